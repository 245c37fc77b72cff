"""The daily digest (``manage.py send_digests``): sent after the notifications are claimed and committed, a failed
send hands them back to the next run, each notification is in one digest only, rendered in the user's language."""

from __future__ import annotations

import smtplib
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from marketplace import actions as marketplace_actions
from marketplace import notifications
from marketplace.models import Notification, NotificationPreference
from matching import actions
from matching.models import Suggestion

CATHODE = dict(
    abstract="A carbon coating for lithium iron phosphate cathode particles improves rate capability.",
    ipc_codes=["H01M 4/136", "H01M 10/052"],
)
REPLY = "可以提供非独占许可。请告诉我们贵公司的年产量。"


def _prefer(user, preference, language=None):
    user = marketplace_actions.update_profile(user, full_name=user.full_name, language=language or user.language,
                                              notification_emails=preference)
    user.refresh_from_db()
    return user


def _notify(user, title, body="Open it on the site."):
    return notifications.notify(user, "organisation.note", title, body, "/accounts/profile/")


def _unemailed(user):
    return set(Notification.objects.filter(recipient=user, emailed_at__isnull=True).values_list("title", flat=True))


def _digests() -> str:
    out = StringIO()
    call_command("send_digests", "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def _refuse(error):
    def send_messages(self, messages):
        raise error

    return send_messages


@pytest.fixture
def daily_user(make_user):
    return _prefer(make_user("daily@example.com", full_name="Dana Daily"), NotificationPreference.DAILY)


# --- (a) a failed send ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_failed_send_leaves_the_notifications_for_the_next_run(daily_user, monkeypatch):
    _notify(daily_user, "First news")
    _notify(daily_user, "Second news")
    mail.outbox.clear()

    monkeypatch.setattr(EmailBackend, "send_messages", _refuse(smtplib.SMTPException("421 mail server unavailable")))
    with pytest.raises(smtplib.SMTPException):
        notifications.send_digest(daily_user)
    assert mail.outbox == []
    assert _unemailed(daily_user) == {"First news", "Second news"}  # un-claimed: the next run carries them

    monkeypatch.undo()  # the mail server is back
    assert "sent 1 digest(s) with 2 notification(s)" in _digests()
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == ["daily@example.com"]
    assert "2 new notifications" in digest.subject
    assert "First news" in digest.body and "Second news" in digest.body
    assert _unemailed(daily_user) == set()

    _digests()
    assert len(mail.outbox) == 1  # sent once


@pytest.mark.django_db
def test_send_digests_reports_a_failed_send_and_goes_on(daily_user, make_user, monkeypatch):
    other = _prefer(make_user("other@example.com", full_name="Otto Other"), NotificationPreference.DAILY)
    _notify(daily_user, "News for Dana")
    _notify(other, "News for Otto")
    mail.outbox.clear()
    deliver = EmailBackend.send_messages

    def refuse_dana(self, messages):
        if any("daily@example.com" in m.to for m in messages):
            raise smtplib.SMTPRecipientsRefused({"daily@example.com": (450, b"mailbox busy")})
        return deliver(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_dana)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 digest\\(s\\) could not be sent; they will be retried on the next run"):
        call_command("send_digests", "--no-progress", stdout=out, stderr=err)
    assert err.getvalue().splitlines() == [
        f"user {daily_user.pk} <daily@example.com>: digest not sent: {{'daily@example.com': (450, b'mailbox busy')}}"]
    assert "sent 1 digest(s) with 1 notification(s)" in out.getvalue()
    assert [m.to for m in mail.outbox] == [["other@example.com"]]
    assert _unemailed(daily_user) == {"News for Dana"} and _unemailed(other) == set()

    monkeypatch.undo()
    assert "sent 1 digest(s) with 1 notification(s)" in _digests()
    assert [m.to for m in mail.outbox] == [["other@example.com"], ["daily@example.com"]]
    assert "News for Dana" in mail.outbox[1].body


@pytest.mark.django_db
def test_a_failed_send_hands_back_only_the_notifications_it_claimed(daily_user, monkeypatch):
    _notify(daily_user, "Carried news")
    already = _notify(daily_user, "Emailed elsewhere")
    Notification.objects.filter(pk=already.pk).update(emailed_at=already.created_at)
    monkeypatch.setattr(EmailBackend, "send_messages", _refuse(smtplib.SMTPServerDisconnected("connection lost")))
    with pytest.raises(smtplib.SMTPServerDisconnected):
        notifications.send_digest(daily_user)
    assert _unemailed(daily_user) == {"Carried news"}
    assert Notification.objects.get(pk=already.pk).emailed_at == already.created_at


@pytest.mark.django_db(transaction=True)
def test_the_digest_is_sent_after_its_claim_is_committed(daily_user, monkeypatch):
    _notify(daily_user, "Committed news")
    seen = {}
    deliver = EmailBackend.send_messages

    def watch(self, messages):
        seen["in_transaction"] = connection.in_atomic_block
        seen["unemailed"] = _unemailed(daily_user)
        return deliver(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", watch)
    mail.outbox.clear()
    assert notifications.send_digest(daily_user) == 1
    assert seen == {"in_transaction": False, "unemailed": set()}  # claimed and committed, then sent
    assert len(mail.outbox) == 1 and "Committed news" in mail.outbox[0].body


@pytest.mark.django_db
def test_dry_run_sends_and_claims_nothing(daily_user):
    _notify(daily_user, "Pending news")
    mail.outbox.clear()
    assert notifications.send_digest(daily_user, dry_run=True) == 1
    assert mail.outbox == [] and _unemailed(daily_user) == {"Pending news"}


# --- (b) in the user's language, with a match and a licence request reply --------------------------------------
@pytest.mark.django_db
def test_a_chinese_users_digest_is_in_chinese_with_a_match_and_a_reply(
        need, sme_user, owner, publish, django_capture_on_commit_callbacks):
    sme_user = _prefer(sme_user, NotificationPreference.DAILY, language="zh-hans")
    listing = publish("Lithium iron phosphate cathode coating", **CATHODE)
    suggestion = Suggestion.objects.get(need=need, listing=listing)
    with django_capture_on_commit_callbacks(execute=True):
        contact = actions.request_licence(suggestion, actor=sme_user, message="我们需要非独占许可。")
        actions.reply_to_request(contact, actor=owner, message=REPLY)
    assert set(Notification.objects.filter(recipient=sme_user, emailed_at__isnull=True)
               .values_list("kind", flat=True)) == {"match.new_listing", "contact.replied"}
    mail.outbox.clear()

    _digests()
    [digest] = mail.outbox
    assert digest.to == [sme_user.email]
    assert digest.subject == "PatentBridge：2 条新通知"
    body = digest.body
    assert "Sam Smallfirm，您好：" in body
    assert "自上次摘要以来，您有 2 条通知：" in body and "全部通知：" in body
    # the match: its title, listing and reasons in Chinese
    assert f"新挂牌与您的需求“{need.title}”匹配" in body
    assert f"挂牌：{listing.title}" in body
    assert "IPC 分类号相同：H01M 10/052" in body
    # the licence request reply: its title and the owner's reply (the notification's text)
    assert f"South Battery Institute答复了您对“{listing.title}”的许可申请" in body
    assert REPLY in body
    assert "Here is what happened" not in body and "All your notifications" not in body
    for n in Notification.objects.filter(recipient=sme_user):
        assert f"/notifications/{n.pk}/open/" in body


# --- (c) never twice -----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_running_twice_sends_nothing_twice(daily_user):
    _notify(daily_user, "Monday news")
    mail.outbox.clear()
    _digests()
    _digests()
    assert len(mail.outbox) == 1 and "Monday news" in mail.outbox[0].body

    _notify(daily_user, "Tuesday news")
    _digests()
    _digests()
    assert len(mail.outbox) == 2
    tuesday = mail.outbox[1]
    assert "1 new notification" in tuesday.subject
    assert "Tuesday news" in tuesday.body and "Monday news" not in tuesday.body
