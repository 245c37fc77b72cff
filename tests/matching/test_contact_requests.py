"""Licence requests ("contact requests"): the status table, the owner's inbox (reply, decline, mark done), the
SME's side on the need page (status, reply, withdraw), notifications and emails, and who may see what."""

from __future__ import annotations

import itertools

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from listings import actions as listing_actions
from marketplace import actions as org_actions
from marketplace import notifications
from marketplace.actions import ActionError, NotAllowed
from marketplace.models import (
    AuditEntry, MemberRole, Notification, NotificationPreference, Organisation, OrganisationKind
)
from marketplace.states import IllegalTransition, check_transition
from matching import actions
from matching.models import ContactRequest, ContactRequestStatus, Need, Suggestion

pytestmark = pytest.mark.django_db

MESSAGE = "We make e-bike batteries in Shenzhen and would like a non-exclusive licence."
REPLY = "Thank you. A non-exclusive licence is possible; could you tell us your yearly volume?"

S = ContactRequestStatus
EXPECTED_TRANSITIONS = {
    S.OPEN: {S.REPLIED, S.DECLINED, S.WITHDRAWN, S.CLOSED},
    S.REPLIED: {S.DECLINED, S.WITHDRAWN, S.CLOSED},
    S.DECLINED: set(),
    S.WITHDRAWN: set(),
    S.CLOSED: set(),
}


# --- fixtures -----------------------------------------------------------------------------------
@pytest.fixture
def owner_colleague(make_user, holder):
    """A member of the listing's owner who reads Chinese and wants the daily digest."""
    user = make_user("colleague@example.com", full_name="Chen Colleague")
    user = org_actions.update_profile(user, full_name=user.full_name, language="zh-hans",
                                      notification_emails=NotificationPreference.DAILY)
    org_actions.add_member(holder, user=user, role=MemberRole.MEMBER, actor=None, operator=True)
    return user


@pytest.fixture
def sme_colleague(make_user, sme):
    """A member of the SME who wants no notification emails."""
    user = make_user("sme-colleague@example.com", full_name="Sue Second")
    user = org_actions.update_profile(user, full_name=user.full_name, language="en",
                                      notification_emails=NotificationPreference.NONE)
    org_actions.add_member(sme, user=user, role=MemberRole.MEMBER, actor=None, operator=True)
    return user


@pytest.fixture
def listing(publish):
    return publish("Lithium iron phosphate cathode coating",
                   abstract="A carbon coating for lithium iron phosphate cathode particles.", ipc_codes=["H01M 4/136"])


def _need(organisation, user, title="Cathode coating for e-bike batteries"):
    need = actions.create_need(organisation, actor=user, title=title,
                               description="Our cells lose capacity after a year; we look for a better cathode.")
    # Matched just now: the need page shows the stored suggestions without refreshing them.
    Need.objects.filter(pk=need.pk).update(last_matched_at=timezone.now())
    need.refresh_from_db()
    return need


def _suggest(need, listing):
    """The suggestion of the listing for the need (the fan-out of a listing published after the need may have
    made it already)."""
    suggestion, _created = Suggestion.objects.get_or_create(
        need=need, listing=listing, defaults={"score": 0.8, "pushed_at": timezone.now()})
    return suggestion


@pytest.fixture
def need(sme, sme_user, listing):
    return _need(sme, sme_user)


@pytest.fixture
def suggestion(need, listing):
    return _suggest(need, listing)


@pytest.fixture
def contact(suggestion, sme_user, owner_colleague, sme_colleague):
    return actions.request_licence(suggestion, actor=sme_user, message=MESSAGE)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def sme_client(client, sme_user):
    client.force_login(sme_user)
    return client


def _detail(contact):
    return reverse("owner_request_detail", args=[contact.listing.owner.slug, contact.pk])


def _need_page(client, need):
    return client.get(reverse("need_detail", args=[need.organisation.slug, need.pk])).content.decode()


def _notes(kind):
    return {n.recipient.email: n for n in Notification.objects.filter(kind=kind).select_related("recipient")}


def _audit(contact, action):
    return list(AuditEntry.objects.for_target(contact).filter(action=action))


# --- the status table ---------------------------------------------------------------------------
def test_transition_table_is_the_documented_one():
    assert {k: set(v) for k, v in ContactRequestStatus.TRANSITIONS.items()} == EXPECTED_TRANSITIONS
    assert set(ContactRequestStatus.TRANSITIONS) == set(ContactRequestStatus.values)


@pytest.mark.parametrize("current, target", list(itertools.product(ContactRequestStatus.values, repeat=2)))
def test_check_transition_allows_only_the_table(current, target):
    if target in EXPECTED_TRANSITIONS[current]:
        check_transition(ContactRequestStatus, current, target)
    else:
        with pytest.raises(IllegalTransition):
            check_transition(ContactRequestStatus, current, target)


def _reply(contact, owner):
    return actions.reply_to_request(contact, actor=owner, message=REPLY)


def _decline(contact, owner):
    return actions.decline_request(contact, actor=owner, reason="Licensed exclusively last month.")


def _withdraw(contact, sme_user):
    return actions.withdraw_request(contact, actor=sme_user)


def _close(contact, owner):
    return actions.close_request(contact, actor=owner)


MOVES = {"reply": (_reply, "owner"), "decline": (_decline, "owner"), "withdraw": (_withdraw, "sme"),
         "close": (_close, "owner")}


@pytest.mark.parametrize("first, then", [
    ("reply", "reply"),  # answered once
    ("decline", "reply"), ("decline", "withdraw"), ("decline", "decline"), ("decline", "close"),
    ("withdraw", "reply"), ("withdraw", "decline"), ("withdraw", "withdraw"),
    ("close", "reply"), ("close", "withdraw"),
])
def test_illegal_moves_raise_and_change_nothing(contact, owner, sme_user, first, then):
    if first == "close":
        _reply(contact, owner)
    do_first, side = MOVES[first]
    do_first(contact, owner if side == "owner" else sme_user)
    contact.refresh_from_db()
    before = (contact.status, contact.reply, contact.decline_reason, contact.closed_at)
    entries = AuditEntry.objects.count()
    notes = Notification.objects.count()
    do_then, side = MOVES[then]
    with pytest.raises(IllegalTransition):
        do_then(contact, owner if side == "owner" else sme_user)
    contact.refresh_from_db()
    assert (contact.status, contact.reply, contact.decline_reason, contact.closed_at) == before
    assert AuditEntry.objects.count() == entries and Notification.objects.count() == notes


def test_the_owner_closes_only_replied_requests_but_negotiations_may_close_open_ones(contact, owner):
    with pytest.raises(ActionError, match="Reply to or decline"):
        actions.close_request(contact, actor=owner)
    contact.refresh_from_db()
    assert contact.status == "open"
    actions.close_request(contact, operator=True)
    contact.refresh_from_db()
    assert contact.status == "closed" and contact.closed_at is not None and contact.closed_by is None


def test_actions_check_the_side_of_the_actor(contact, owner, sme_user, staff, make_user, make_org):
    stranger = make_user("stranger@example.com")
    make_org("Stranger Institute", owner=stranger, verified=True)
    for user in (sme_user, staff, stranger):
        with pytest.raises(NotAllowed):
            actions.reply_to_request(contact, actor=user, message="Hello")
        with pytest.raises(NotAllowed):
            actions.decline_request(contact, actor=user)
    for user in (owner, staff, stranger):
        with pytest.raises(NotAllowed):
            actions.withdraw_request(contact, actor=user)
    contact.refresh_from_db()
    assert contact.status == "open" and contact.reply == ""


def test_a_reply_needs_text(contact, owner):
    with pytest.raises(ActionError):
        actions.reply_to_request(contact, actor=owner, message="   ")
    with pytest.raises(ActionError):
        actions.reply_to_request(contact, actor=owner, message="x" * 3001)
    contact.refresh_from_db()
    assert contact.status == "open"


# --- requesting ---------------------------------------------------------------------------------
def test_request_notifies_the_owner_members_and_emails_them_once_on_commit(
        suggestion, sme_user, owner, owner_colleague, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        contact = actions.request_licence(suggestion, actor=sme_user, message=MESSAGE)
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    notes = _notes("contact.requested")
    assert set(notes) == {"owner@example.com", "colleague@example.com"}
    mine = notes["owner@example.com"]
    assert mine.title == "Tiny Cells Ltd asks for a licence: “Lithium iron phosphate cathode coating”"
    assert mine.body == MESSAGE and mine.url == _detail(contact) and mine.read_at is None
    # One email each (the request's own email, with a link to the inbox), whatever the notification preference.
    assert sorted(m.to[0] for m in mail.outbox) == ["colleague@example.com", "owner@example.com"]
    english = next(m for m in mail.outbox if m.to == ["owner@example.com"])
    assert MESSAGE in english.body and "sme@example.com" in english.body
    assert _detail(contact) in english.body
    # ... and the notification does not come again in the daily digest.
    assert notifications.send_digest(owner_colleague) == 0


def test_open_and_replied_requests_block_a_second_one_declined_does_not(contact, suggestion, sme_user, owner):
    with pytest.raises(ActionError, match="already asked"):
        actions.request_licence(suggestion, actor=sme_user, message="Again")
    _reply(contact, owner)
    with pytest.raises(ActionError, match="already asked"):
        actions.request_licence(suggestion, actor=sme_user, message="Again")
    _decline(contact, owner)
    again = actions.request_licence(suggestion, actor=sme_user, message="Our plans changed: a field-of-use licence?")
    assert again.status == "open" and ContactRequest.objects.count() == 2


def test_the_success_message_says_the_answer_comes_on_the_site(sme_client, sme, need, suggestion):
    url = reverse("suggestion_contact", args=[sme.slug, need.pk, suggestion.pk])
    page = sme_client.post(url, {"message": MESSAGE}, follow=True).content.decode()
    assert "Their answer will appear on this page" in page
    assert "Waiting for the owner&#x27;s answer" in page or "Waiting for the owner's answer" in page


# --- the owner's inbox --------------------------------------------------------------------------
def test_inbox_lists_only_the_organisations_requests_newest_first(
        owner_client, owner, holder, sme, sme_user, need, listing, contact, make_user, make_org, publish):
    # A second request to the same owner, and one to another owner.
    second_listing = publish("Ceramic separator membrane")
    second = actions.request_licence(_suggest(need, second_listing), actor=sme_user, message="About the separator")
    rival_owner = make_user("rival@example.com")
    rival = make_org("Rival University", kind=OrganisationKind.UNIVERSITY, owner=rival_owner, verified=True)
    patent, _created = listing_actions.save_patent(rival, actor=rival_owner, number="CN119999999B",
                                                    title="Rival cathode binder")
    rival_listing = listing_actions.create_listing(rival, actor=rival_owner, patents=[patent])
    listing_actions.publish_listing(rival_listing, actor=rival_owner)
    foreign = actions.request_licence(_suggest(need, rival_listing), actor=sme_user, message="For the rival only")
    _reply(second, owner)

    response = owner_client.get(reverse("owner_requests", args=[holder.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-contact="{contact.pk}"' in page and f'data-contact="{second.pk}"' in page
    assert f'data-contact="{foreign.pk}"' not in page and "For the rival only" not in page
    assert page.index(f'data-contact="{second.pk}"') < page.index(f'data-contact="{contact.pk}"')  # newest first
    assert "1 open request waits for your answer." in page
    assert "Tiny Cells Ltd" in page

    replied = owner_client.get(reverse("owner_requests", args=[holder.slug]), {"status": "replied"}).content.decode()
    assert f'data-contact="{second.pk}"' in replied and f'data-contact="{contact.pk}"' not in replied
    empty = owner_client.get(reverse("owner_requests", args=[holder.slug]), {"status": "withdrawn"}).content.decode()
    assert 'id="no-requests"' in empty


def test_request_detail_shows_the_sme_its_need_and_the_requester(owner_client, sme, sme_user, need, contact):
    profile = org_actions.save_sme_profile(sme, actor=sme_user, industry="02", employees=50,
                                           annual_revenue_cny=10_000_000, total_assets_cny=None)
    page = owner_client.get(_detail(contact)).content.decode()
    assert "Tiny Cells Ltd" in page and profile.get_size_class_display() in page
    assert need.title in page and "Our cells lose capacity after a year" in page
    assert MESSAGE in page
    assert "Sam Smallfirm" in page and "mailto:sme@example.com" in page
    assert contact.listing.title in page and contact.listing.get_absolute_url() in page
    assert 'id="reply-form"' in page and 'id="decline-form"' in page and 'id="close-form"' not in page


def test_owner_replies_the_sme_members_are_notified_and_emailed_per_preference(
        owner_client, owner, sme, sme_user, sme_colleague, need, contact, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("owner_request_reply", args=[contact.listing.owner.slug, contact.pk]),
                                     {"message": REPLY})
    assert response.status_code == 302 and response["Location"] == _detail(contact)
    contact.refresh_from_db()
    assert (contact.status, contact.reply, contact.replied_by) == ("replied", REPLY, owner)
    assert contact.replied_at is not None and contact.closed_at is None
    [entry] = _audit(contact, "contact_request.replied")
    assert entry.actor == owner and entry.before == {"status": "open"} and entry.after["status"] == "replied"

    notes = _notes("contact.replied")
    assert set(notes) == {"sme@example.com", "sme-colleague@example.com"}
    note = notes["sme@example.com"]
    assert note.title == ("South Battery Institute replied to your licence request for "
                          "“Lithium iron phosphate cathode coating”")
    assert note.body == REPLY
    assert note.url == reverse("need_detail", args=[sme.slug, need.pk]) + f"#contact-{contact.pk}"
    # sme_user wants an email for each notification; the colleague wants none.
    assert [m.to for m in mail.outbox] == [["sme@example.com"]]
    email = mail.outbox[0]
    assert "South Battery Institute replied to your licence request" in email.subject
    assert REPLY in email.body and "owner@example.com" in email.body and need.title in email.body
    assert f"/notifications/{note.pk}/open/" in email.body

    detail = owner_client.get(_detail(contact)).content.decode()
    assert 'id="contact-reply"' in detail and REPLY in detail
    assert 'id="reply-form"' not in detail and 'id="decline-form"' in detail and 'id="close-form"' in detail


def test_the_sme_sees_the_reply_on_its_need_page(client, owner, sme_user, need, contact):
    _reply(contact, owner)
    client.force_login(sme_user)
    page = _need_page(client, need)
    assert f'id="contact-{contact.pk}"' in page and 'data-status="replied"' in page
    assert REPLY in page and "Reply from South Battery Institute" in page and "mailto:owner@example.com" in page
    assert reverse("sme_request_withdraw", args=[need.organisation.slug, need.pk, contact.pk]) in page
    assert "Send the request" not in page  # no second request while this one is active


def test_reply_message_has_no_double_full_stop_after_a_company_name(owner_client, sme, contact):
    """Company names often end with a full stop ("Co., Ltd."): the confirmation must not add a second one."""
    Organisation.objects.filter(pk=sme.pk).update(name="Shenzhen Lingxi Battery Technology Co., Ltd.")
    url = reverse("owner_request_reply", args=[contact.listing.owner.slug, contact.pk])
    page = owner_client.post(url, {"message": REPLY}, follow=True).content.decode()
    assert "Shenzhen Lingxi Battery Technology Co., Ltd. sees it" in page
    assert "Ltd.." not in page


def test_reply_without_text_shows_the_error(owner_client, contact):
    response = owner_client.post(reverse("owner_request_reply", args=[contact.listing.owner.slug, contact.pk]),
                                 {"message": "  "})
    assert response.status_code == 200 and "Write your reply to the enterprise." in response.content.decode()
    contact.refresh_from_db()
    assert contact.status == "open" and not Notification.objects.filter(kind="contact.replied").exists()


def test_replying_twice_is_refused_with_a_message(owner_client, owner, contact):
    _reply(contact, owner)
    url = reverse("owner_request_reply", args=[contact.listing.owner.slug, contact.pk])
    page = owner_client.post(url, {"message": "A second answer"}, follow=True).content.decode()
    assert "This request is already “Replied”; nothing was changed." in page
    contact.refresh_from_db()
    assert contact.reply == REPLY


@pytest.mark.parametrize("reason, body", [
    ("Licensed exclusively last month.", "Licensed exclusively last month."),
    ("", "No reason was given."),
])
def test_owner_declines(owner_client, owner, sme, sme_user, need, contact, reason, body,
                        django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("owner_request_decline", args=[contact.listing.owner.slug, contact.pk]), {"reason": reason})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.status, contact.decline_reason, contact.closed_by) == ("declined", reason, owner)
    assert contact.closed_at is not None
    [entry] = _audit(contact, "contact_request.declined")
    assert entry.actor == owner and entry.after == {"status": "declined", "reason": reason}
    note = _notes("contact.declined")["sme@example.com"]
    assert note.title.startswith("South Battery Institute declined your licence request")
    assert note.body == body
    assert [m.to for m in mail.outbox] == [["sme@example.com"]]
    assert "declined your licence request" in mail.outbox[0].subject
    if reason:
        assert "Their reason:" in mail.outbox[0].body and reason in mail.outbox[0].body
    else:
        assert "Their reason:" not in mail.outbox[0].body

    owner_client.force_login(sme_user)
    page = _need_page(owner_client, need)
    assert 'data-status="declined"' in page and "South Battery Institute declined this request." in page
    if reason:
        assert reason in page
    assert "Send the request" in page  # they may ask again
    assert reverse("sme_request_withdraw", args=[sme.slug, need.pk, contact.pk]) not in page


def test_owner_marks_a_replied_request_done(owner_client, owner, contact):
    _reply(contact, owner)
    response = owner_client.post(reverse("owner_request_close", args=[contact.listing.owner.slug, contact.pk]),
                                 follow=True)
    assert "The request is marked as done." in response.content.decode()
    contact.refresh_from_db()
    assert contact.status == "closed" and contact.closed_by == owner
    assert len(_audit(contact, "contact_request.closed")) == 1


def test_closing_an_open_request_is_refused(owner_client, contact):
    page = owner_client.post(reverse("owner_request_close", args=[contact.listing.owner.slug, contact.pk]),
                             follow=True).content.decode()
    assert "Reply to or decline this request first." in page
    contact.refresh_from_db()
    assert contact.status == "open"


# --- the SME withdraws --------------------------------------------------------------------------
def test_sme_withdraws_and_the_owner_members_are_told(
        sme_client, sme, sme_user, owner, owner_colleague, need, contact, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    url = reverse("sme_request_withdraw", args=[sme.slug, need.pk, contact.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = sme_client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("need_detail", args=[sme.slug, need.pk])
    contact.refresh_from_db()
    assert (contact.status, contact.closed_by) == ("withdrawn", sme_user) and contact.closed_at is not None
    [entry] = _audit(contact, "contact_request.withdrawn")
    assert entry.actor == sme_user and entry.organisation == sme
    notes = _notes("contact.withdrawn")
    assert set(notes) == {"owner@example.com", "colleague@example.com"}
    assert notes["owner@example.com"].title == ("Tiny Cells Ltd withdrew its licence request for "
                                                "“Lithium iron phosphate cathode coating”")
    assert notes["owner@example.com"].url == _detail(contact)
    # owner: instant email; colleague: daily digest, so nothing now.
    assert [m.to for m in mail.outbox] == [["owner@example.com"]]
    assert "Tiny Cells Ltd withdrew its licence request" in mail.outbox[0].subject

    page = _need_page(sme_client, need)
    assert "You withdrew this request." in page and url not in page

    sme_client.force_login(owner)
    detail = sme_client.get(_detail(contact)).content.decode()
    assert 'id="contact-withdrawn"' in detail and 'id="reply-form"' not in detail and 'id="decline-form"' not in detail


# --- the links to the inbox ---------------------------------------------------------------------
def test_dashboard_and_navigation_link_to_the_inbox_with_the_open_count(owner_client, owner, holder, contact):
    inbox = reverse("owner_requests", args=[holder.slug])
    dashboard = owner_client.get(reverse("owner_listings", args=[holder.slug])).content.decode()
    assert f'id="inbox-link" href="{inbox}"' in dashboard and "1 open" in dashboard
    home = owner_client.get(reverse("home")).content.decode()
    assert f'href="{inbox}">Licence requests <span class="badge text-bg-warning"' in home
    _reply(contact, owner)
    dashboard = owner_client.get(reverse("owner_listings", args=[holder.slug])).content.decode()
    assert f'href="{inbox}"' in dashboard and "1 open" not in dashboard
    home = owner_client.get(reverse("home")).content.decode()
    assert f'href="{inbox}">Licence requests</a>' in home


# --- who may see what ---------------------------------------------------------------------------
OWNER_URLS = {
    "inbox": ("get", "owner_requests"),
    "detail": ("get", "owner_request_detail"),
    "reply": ("post", "owner_request_reply"),
    "decline": ("post", "owner_request_decline"),
    "close": ("post", "owner_request_close"),
}
SME_URLS = {"withdraw": ("post", "sme_request_withdraw")}
URL_NAMES = [*OWNER_URLS, *SME_URLS]


def _url(name, contact):
    if name in OWNER_URLS:
        method, view = OWNER_URLS[name]
        args = [contact.listing.owner.slug] if name == "inbox" else [contact.listing.owner.slug, contact.pk]
    else:
        method, view = SME_URLS[name]
        args = [contact.need.organisation.slug, contact.need_id, contact.pk]
    return method, reverse(view, args=args)


@pytest.fixture
def intruders(make_user, make_org, staff, owner, sme_colleague):
    """Signed-in people who are not the party: members of the requesting SME, of the listing's owner, of another
    owner and of another SME, and platform staff."""
    rival_owner = make_user("rival@example.com", full_name="Rita Rival")
    make_org("Rival University", kind=OrganisationKind.UNIVERSITY, owner=rival_owner, verified=True)
    other_sme_user = make_user("other-sme@example.com")
    make_org("Other Small Co", kind=OrganisationKind.SME, owner=other_sme_user, verified=True)
    return {"sme member": sme_colleague, "owner member": owner, "other owner": rival_owner,
            "other sme member": other_sme_user, "staff": staff}


def _attempt(client, name, contact):
    method, url = _url(name, contact)
    data = {"message": "Hijack", "reason": "Hijack"}
    return client.post(url, data) if method == "post" else client.get(url)


def _unchanged(contact):
    contact.refresh_from_db()
    assert contact.status == "open" and contact.reply == "" and contact.decline_reason == ""


NON_PARTIES = [*itertools.product(OWNER_URLS, ("sme member", "other owner", "other sme member", "staff")),
               *itertools.product(SME_URLS, ("owner member", "other owner", "other sme member", "staff"))]


@pytest.mark.parametrize("name, who", NON_PARTIES)
def test_non_parties_get_404(client, intruders, contact, name, who):
    client.force_login(intruders[who])
    response = _attempt(client, name, contact)
    assert response.status_code == 404, (name, who)
    _unchanged(contact)


@pytest.mark.parametrize("name", URL_NAMES)
def test_anonymous_visitors_are_sent_to_login(client, contact, name):
    response = _attempt(client, name, contact)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    _unchanged(contact)


@pytest.mark.parametrize("name", [n for n in OWNER_URLS if n != "inbox"])
def test_a_member_of_another_organisation_of_the_owner_cannot_reach_the_request_through_it(
        client, owner, other_holder, contact, name):
    """``owner`` is also a member of ``other_holder``: the request is not that organisation's."""
    method, view = OWNER_URLS[name]
    url = reverse(view, args=[other_holder.slug, contact.pk])
    client.force_login(owner)
    response = client.post(url, {"message": "Hijack"}) if method == "post" else client.get(url)
    assert response.status_code == 404
    _unchanged(contact)
    inbox = client.get(reverse("owner_requests", args=[other_holder.slug])).content.decode()
    assert f'data-contact="{contact.pk}"' not in inbox


def test_withdraw_through_another_need_of_the_same_sme_is_404(sme_client, sme, sme_user, contact):
    other_need = _need(sme, sme_user, title="Another need")
    response = sme_client.post(reverse("sme_request_withdraw", args=[sme.slug, other_need.pk, contact.pk]))
    assert response.status_code == 404
    _unchanged(contact)


# --- Chinese --------------------------------------------------------------------------------------
def test_inbox_and_request_pages_render_in_chinese(client, owner, holder, contact):
    client.force_login(owner)
    client.cookies["django_language"] = "zh-hans"
    inbox = client.get(reverse("owner_requests", args=[holder.slug]))
    page = inbox.content.decode()
    assert inbox.status_code == 200 and '<html lang="zh-Hans">' in page
    assert f'data-contact="{contact.pk}"' in page and "Tiny Cells Ltd" in page
    detail = client.get(_detail(contact))
    page = detail.content.decode()
    assert detail.status_code == 200 and '<html lang="zh-Hans">' in page and MESSAGE in page


def test_chinese_speaking_owner_gets_the_inbox_in_chinese_by_preference(client, owner_colleague, holder, contact):
    client.force_login(owner_colleague)  # language "zh-hans" on the profile, no cookie
    response = client.get(reverse("owner_requests", args=[holder.slug]))
    assert response.status_code == 200 and '<html lang="zh-Hans">' in response.content.decode()
    assert f'data-contact="{contact.pk}"' in response.content.decode()
