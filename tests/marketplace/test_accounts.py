"""Sign up, email verification, log in/out, password reset, profile, login rate limiting."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from marketplace.models import AuditEntry, User
from tests.conftest import PASSWORD


def link_in(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", body).group(1)


@pytest.mark.django_db
def test_sign_up_logs_in_and_sends_a_confirmation_link(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("signup"),
            {"full_name": "Wang Fang", "email": "Wang@Example.com", "password": PASSWORD, "language": "zh-hans"},
        )
    assert response.status_code == 302
    user = User.objects.get(email="wang@example.com")
    assert not user.email_verified
    assert user.language == "zh-hans"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wang@example.com"]
    assert "确认" in message.subject  # rendered in the user's language

    profile = client.get(reverse("profile"))
    assert profile.status_code == 200

    response = client.get(link_in(message.body), follow=True)
    user.refresh_from_db()
    assert user.email_verified
    assert AuditEntry.objects.filter(action="user.email_verified", actor=user).exists()


@pytest.mark.django_db
def test_sign_up_rejects_weak_password_and_duplicate_email(client, make_user):
    make_user("taken@example.com")
    response = client.post(
        reverse("signup"), {"full_name": "X", "email": "TAKEN@example.com", "password": "123", "language": "en"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "An account with this email address already exists." in page
    assert "This password is too short." in page
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_tampered_verification_link_is_404(client):
    assert client.get(reverse("verify_email", args=["not-a-token"])).status_code == 404


def test_login_with_email_and_logout(client, owner):
    response = client.post(reverse("login"), {"username": owner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("profile")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("profile")).status_code == 302


def test_password_reset_by_email(client, owner):
    client.post(reverse("password_reset"), {"email": owner.email})
    assert len(mail.outbox) == 1
    link = link_in(mail.outbox[0].body)
    response = client.get(link, follow=True)  # Django redirects to a URL without the token
    form_url = response.redirect_chain[-1][0]
    client.post(form_url, {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"})
    owner.refresh_from_db()
    assert owner.check_password("a-brand-new-passphrase")


def test_password_reset_for_unknown_address_sends_nothing_and_reveals_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert response.status_code == 200
    assert "If an account uses that address" in response.content.decode()
    assert mail.outbox == []


def test_profile_update_is_audited_and_switches_language(client, owner):
    client.force_login(owner)
    response = client.post(reverse("profile"), {"full_name": "Olivia O.", "language": "zh-hans"}, follow=True)
    owner.refresh_from_db()
    assert owner.full_name == "Olivia O."
    assert "你的资料" in response.content.decode() or "个人资料" in response.content.decode()
    assert AuditEntry.objects.get(action="user.profile_updated").after == {
        "full_name": "Olivia O.", "language": "zh-hans"
    }


class TestLoginRateLimit:
    def test_locked_out_after_repeated_failures_even_with_right_password(self, client, owner, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            response = client.post(reverse("login"), {"username": owner.email, "password": "wrong"})
            assert response.status_code in (200, 429)
        response = client.post(reverse("login"), {"username": owner.email, "password": PASSWORD})
        assert response.status_code == 429
        assert "Too many failed log-in attempts" in response.content.decode()
        assert client.get(reverse("profile")).status_code == 302  # not logged in

    def test_failures_below_the_limit_do_not_lock(self, client, owner, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            client.post(reverse("login"), {"username": owner.email, "password": "wrong"})
        response = client.post(reverse("login"), {"username": owner.email, "password": PASSWORD})
        assert response.status_code == 302

    def test_lockout_of_one_account_leaves_others_alone(self, client, owner, outsider, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(reverse("login"), {"username": owner.email, "password": "wrong"})
        response = client.post(reverse("login"), {"username": outsider.email, "password": PASSWORD})
        assert response.status_code == 302
