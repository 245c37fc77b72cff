"""Account emails speak the recipient's language, whatever the language of the page that caused them."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_password_reset_asked_from_an_english_page_reaches_a_chinese_user_in_chinese(client, make_user, mailoutbox):
    make_user("zhang@example.com", full_name="Zhang San", language="zh-hans")
    client.cookies["django_language"] = "en"
    client.post(reverse("password_reset"), {"email": "zhang@example.com"}, HTTP_ACCEPT_LANGUAGE="en")
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert "PatentBridge" in email.subject and "Reset your" not in email.subject
    assert "You asked to reset" not in email.body


def test_password_reset_asked_from_a_chinese_page_reaches_an_english_user_in_english(client, make_user, mailoutbox):
    make_user("sam@example.com", full_name="Sam Smith", language="en")
    client.cookies["django_language"] = "zh-hans"
    client.post(reverse("password_reset"), {"email": "sam@example.com"})
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Reset your PatentBridge password"
    assert "You asked to reset the password" in mailoutbox[0].body
