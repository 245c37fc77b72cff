"""A member who reads the site in Chinese through the language switch gets the import's messages in
Chinese: the background job writes them in the member's stored language, which the switch now sets.
(On the demo, institute@ switched to 简体中文 and its failed import said "The file is not valid CSV…".)"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from listings.models import ImportJob

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_search_index")]

UNCLOSED = 'number,title,abstract\nCN201710000001B,"Unclosed title,abs\nCN201710000002B,Normal,abs\n'


def test_the_switch_stores_a_signed_in_users_language(client, owner):
    client.force_login(owner)
    assert owner.language == "en"
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    owner.refresh_from_db()
    assert owner.language == "zh-hans"
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})  # unknown: ignored
    owner.refresh_from_db()
    assert owner.language == "zh-hans"


def test_import_messages_follow_the_language_switch(client, owner, import_holder,
                                                    django_capture_on_commit_callbacks):
    client.force_login(owner)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_new", args=[import_holder.slug]),
                    {"file": SimpleUploadedFile("bad.csv", UNCLOSED.encode()), "mode": "all-or-nothing"})
    job = ImportJob.objects.latest("pk")
    page = client.get(reverse("import_detail", args=[import_holder.slug, job.pk])).content.decode()
    assert "文件不是有效的 CSV" in page
    assert "The file is not valid CSV" not in page
    assert "is not closed where the value ends" not in page
