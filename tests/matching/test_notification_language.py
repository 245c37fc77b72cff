"""Notifications and their emails speak the recipient's language, not the language of whoever triggered them,
and the notification centre shows them in the language of the page being read."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from marketplace import actions as org_actions
from marketplace import notifications
from marketplace.models import MemberRole, Notification, NotificationPreference
from matching import actions
from matching.models import Need, Suggestion

pytestmark = pytest.mark.django_db

NEED_TITLE = "Better cathodes for our e-bike batteries"


def _prefers(user, language, emails=NotificationPreference.INSTANT):
    return org_actions.update_profile(user, full_name=user.full_name, language=language, notification_emails=emails)


@pytest.fixture
def need(sme, sme_user):
    return actions.create_need(sme, actor=sme_user, title=NEED_TITLE,
                               description="We assemble lithium battery packs and want a better cathode coating.",
                               keywords="lithium, cathode, coating", ipc_codes=["H01M 10/052"])


@pytest.fixture
def listing(publish, need):
    return publish("Lithium iron phosphate cathode coating",
                   abstract="A carbon coating for lithium iron phosphate cathode particles.",
                   ipc_codes=["H01M 4/136", "H01M 10/052"])


def _suggestion(need, listing):
    suggestion, _created = Suggestion.objects.get_or_create(
        need=need, listing=listing, defaults={"score": 0.8, "pushed_at": timezone.now()})
    Need.objects.filter(pk=need.pk).update(last_matched_at=timezone.now())
    return suggestion


def test_push_alert_reaches_a_chinese_reader_in_chinese_when_an_english_owner_publishes(
        sme_user, owner, need, publish, mailoutbox):
    _prefers(sme_user, "zh-hans")
    with translation.override("en"):  # the owner publishes from an English page
        publish("Lithium iron phosphate cathode coating",
                abstract="A carbon coating for lithium iron phosphate cathode particles.", ipc_codes=["H01M 10/052"])
    alert = Notification.objects.get(recipient=sme_user, kind="match.new_listing")
    assert alert.title == f"新挂牌与您的需求“{NEED_TITLE}”匹配"
    email = next(m for m in mailoutbox if m.to == [sme_user.email])
    assert "新挂牌" in email.subject and NEED_TITLE in email.subject
    assert "New listing" not in email.subject + email.body


def test_licence_request_from_a_chinese_sme_reaches_english_and_chinese_owners_each_in_their_language(
        sme_user, owner, holder, make_user, need, listing):
    colleague = _prefers(make_user("chen@example.com", full_name="Chen Colleague"), "zh-hans")
    org_actions.add_member(holder, user=colleague, role=MemberRole.MEMBER, actor=None, operator=True)
    _prefers(sme_user, "zh-hans")
    with translation.override("zh-hans"):  # the SME writes from a Chinese page
        actions.request_licence(_suggestion(need, listing), actor=sme_user, message="我们想获得普通许可。")
    english = Notification.objects.get(recipient=owner, kind="contact.requested")
    chinese = Notification.objects.get(recipient=colleague, kind="contact.requested")
    assert english.title.startswith("Tiny Cells Ltd asks for a licence")
    assert chinese.title.startswith("Tiny Cells Ltd申请许可")


def test_reply_from_a_chinese_owner_is_emailed_in_english_to_an_english_sme(sme_user, owner, need, listing,
                                                                         mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    _prefers(owner, "zh-hans")
    contact = actions.request_licence(_suggestion(need, listing), actor=sme_user, message="We would like a licence.")
    mailoutbox.clear()
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        actions.reply_to_request(contact, actor=owner, message="可以，请来电。")  # from a Chinese page
    note = Notification.objects.get(recipient=sme_user, kind="contact.replied")
    assert note.title.startswith("South Battery Institute replied to your licence request")
    email = next(m for m in mailoutbox if m.to == [sme_user.email])
    assert "replied" in email.subject and "答复" not in email.subject + email.body


def test_notification_centre_shows_a_stored_notification_in_the_page_language(client, sme_user, need, publish):
    publish("Lithium iron phosphate cathode coating",
            abstract="A carbon coating for lithium iron phosphate cathode particles.", ipc_codes=["H01M 10/052"])
    alert = Notification.objects.get(recipient=sme_user, kind="match.new_listing")
    assert alert.title.startswith("New listing matches your need")  # stored in the recipient's English
    client.force_login(sme_user)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("notifications")).content.decode()
    assert f"新挂牌与您的需求“{NEED_TITLE}”匹配" in page
    assert "New listing matches" not in page
    assert "匹配关键词" in page  # the reasons too, rebuilt from their codes


def test_digest_is_written_in_the_recipients_language_of_today(sme_user, need, publish):
    _prefers(sme_user, "en", NotificationPreference.DAILY)
    publish("Lithium iron phosphate cathode coating",
            abstract="A carbon coating for lithium iron phosphate cathode particles.", ipc_codes=["H01M 10/052"])
    sme_user = _prefers(sme_user, "zh-hans", NotificationPreference.DAILY)  # changed their language since
    mail.outbox.clear()
    assert notifications.send_digest(sme_user) == 1
    body = mail.outbox[0].body
    assert f"新挂牌与您的需求“{NEED_TITLE}”匹配" in body and "New listing matches" not in body


def test_invitation_to_a_person_with_an_account_is_in_their_language(owner, institute, make_user, mailoutbox,
                                                                    django_capture_on_commit_callbacks):
    make_user("li@example.com", full_name="Li Lei", language="zh-hans")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        org_actions.invite_member(institute, email="li@example.com", role=MemberRole.MEMBER, actor=owner)
    email = mailoutbox[-1]
    assert email.to == ["li@example.com"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in email.subject)
