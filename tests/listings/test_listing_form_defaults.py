"""The new-listing form's default territory is written in the reader's language: a Chinese owner saw the
English words "Mainland China" in the 许可地域 box (and saved them into Chinese listings)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _territory_value(page: str) -> str:
    tag = re.search(r'<input[^>]*name="territory"[^>]*>', page).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1)


@pytest.mark.parametrize("language, expected", [("zh-hans", "中国大陆"), ("en", "Mainland China")])
def test_default_territory_in_the_readers_language(client, owner, verified_holder, language, expected):
    client.force_login(owner)
    client.cookies["django_language"] = language
    page = client.get(reverse("owner_listing_create", args=[verified_holder.slug])).content.decode()
    assert _territory_value(page) == expected
