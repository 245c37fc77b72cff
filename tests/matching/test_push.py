"""Push: a published listing is suggested to the needs it matches, their SMEs are notified, digests."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command

from listings import actions as listing_actions
from listings.models import Listing
from marketplace import actions as marketplace_actions
from marketplace.models import AuditEntry, MemberRole, Notification
from matching import actions, push, scoring
from matching.models import Need, Suggestion, SuggestionStatus
from matching.scoring import match_need

pytestmark = pytest.mark.django_db

CATHODE = dict(
    abstract="A carbon coating for lithium iron phosphate cathode particles improves rate capability.",
    ipc_codes=["H01M 4/136", "H01M 10/052"],
)


@pytest.fixture
def colleague(make_user, sme):
    user = make_user("colleague@example.com", full_name="Cleo Colleague")
    marketplace_actions.add_member(sme, user=user, role=MemberRole.MEMBER, actor=None, operator=True)
    return user


def _set_preference(user, preference):
    marketplace_actions.update_profile(user, full_name=user.full_name, language=user.language,
                                       notification_emails=preference)
    user.refresh_from_db()


def test_matching_listing_is_pushed_and_members_are_notified(need, sme_user, colleague, publish):
    mail.outbox.clear()
    listing = publish("Lithium iron phosphate cathode coating", **CATHODE)
    suggestion = Suggestion.objects.get(need=need, listing=listing)
    assert suggestion.status == SuggestionStatus.PUSHED
    assert suggestion.score >= push.THRESHOLD
    assert suggestion.notified_at is not None
    assert "shares IPC H01M 10/052" in suggestion.reasons
    # the same score and reasons as the need's own search
    own = {m.listing_id: m for m in match_need(need)}[listing.pk]
    assert suggestion.score == pytest.approx(own.score, abs=1e-3)
    assert suggestion.reasons == own.reasons
    # one audit entry for the fan-out
    entry = AuditEntry.objects.get(action="listing.suggestions_pushed")
    assert entry.after["needs"] == [need.pk] and entry.after["count"] == 1
    # every member of the SME is notified, with the reasons
    notes = Notification.objects.filter(kind="match.new_listing").order_by("recipient__email")
    assert [n.recipient for n in notes] == [colleague, sme_user]
    note = notes.get(recipient=sme_user)
    assert note.title == "New listing matches your need “Better cathodes for our e-bike batteries”"
    assert "Lithium iron phosphate cathode coating" in note.body and "shares IPC H01M 10/052" in note.body
    assert note.url == listing.get_absolute_url() and note.organisation == need.organisation
    # instant emails (the default preference): need title, listing title, a reason, the link
    emails = [m for m in mail.outbox if m.to == [sme_user.email]]
    assert len(emails) == 1
    body = emails[0].body
    assert "Better cathodes for our e-bike batteries" in emails[0].subject
    assert "Better cathodes for our e-bike batteries" in body
    assert "Lithium iron phosphate cathode coating" in body
    assert "shares IPC H01M 10/052" in body
    assert f"/notifications/{note.pk}/open/" in body
    note.refresh_from_db()
    assert note.emailed_at is not None


def test_non_matching_need_gets_nothing(sme, sme_user, publish):
    tea = actions.create_need(sme, actor=sme_user, title="Tea leaf processing",
                              description="A machine to roll and dry green tea leaves.", ipc_codes=["A23F 3/06"])
    listing = publish("Lithium iron phosphate cathode coating", **CATHODE)
    assert not Suggestion.objects.filter(need=tea, listing=listing).exists()
    assert not Notification.objects.exists()


def test_an_ipc_subclass_alone_makes_a_need_a_candidate(sme, sme_user, publish):
    """The pre-filter reads the needs' codes as stored JSON: a shared subclass is enough, a neighbour is not."""
    same = actions.create_need(sme, actor=sme_user, title="Supplier of parts", ipc_codes=["A23F", "H01M 50/10"])
    actions.create_need(sme, actor=sme_user, title="Supplier of parts", ipc_codes=["H01L 31/04"])
    listing = publish("Lithium iron phosphate cathode coating", publish=False, **CATHODE)
    assert [p.need_id for p in push.candidate_needs(listing)] == [same.pk]  # not ``near``


@pytest.mark.parametrize("need_text, title, abstract", [
    ("麵條", "一种面条", "一种面条的制作方法和设备。"),  # Taiwan spelling of 面条 (OpenCC s2t gives 麪條)
    ("麪條", "一种面条", "一种面条的制作方法和设备。"),
    ("電線電纜", "一种电缆", "一种电缆及其制备方法。"),  # a compound the index holds only in parts
    ("电线电缆", "一种电缆", "一种电缆及其制备方法。"),
    ("Copy", "Copying device", "A device for copying keys."),  # stem "copi": its word ends in y
    ("Dry body", "Drying tower", "A tower that dries bodies of ceramic ware."),
])
def test_push_reaches_every_need_its_own_search_would_match(sme, sme_user, publish, need_text, title, abstract):
    need = actions.create_need(sme, actor=sme_user, title=need_text)
    language = "en" if title.isascii() else "zh-Hans"
    listing = publish(title, abstract=abstract, language=language)
    own = {m.listing_id: m for m in match_need(need)}[listing.pk]
    assert own.score >= push.THRESHOLD
    suggestion = Suggestion.objects.get(need=need, listing=listing)
    assert suggestion.score == pytest.approx(own.score, abs=1e-3)


def test_editing_a_published_listing_tells_the_needs_it_now_matches(need, sme_user, owner, publish,
                                                                     django_capture_on_commit_callbacks):
    listing = publish("Machine for rolling leaves", abstract="Rolls green tea leaves.", ipc_codes=["A23F 3/06"])
    assert not Suggestion.objects.filter(need=need, listing=listing).exists()
    with django_capture_on_commit_callbacks(execute=True):
        listing_actions.update_listing(
            listing, actor=owner, description="Our coating line for lithium iron phosphate cathode particles: "
                                              "a carbon coating that charges faster.")
    suggestion = Suggestion.objects.get(need=need, listing=listing)
    assert any(r.startswith("matches: ") and "cathode" in r for r in suggestion.reasons)
    assert Notification.objects.filter(recipient=sme_user, kind="match.new_listing", data__listing_id=listing.pk) \
        .count() == 1
    with django_capture_on_commit_callbacks(execute=True):  # edited again: not told twice
        listing_actions.update_listing(listing, actor=owner, field_of_use="E-bike batteries")
    assert Notification.objects.filter(recipient=sme_user, kind="match.new_listing").count() == 1


def test_own_organisation_is_excluded(holder, owner, need, publish):
    # a need stated under the owner's own organisation (not possible through the actions; the push
    # must still never suggest an organisation's own listing to itself)
    own = Need.objects.create(organisation=holder, title=need.title, description=need.description,
                              keywords=need.keywords, ipc_codes=need.ipc_codes)
    listing = publish("Lithium iron phosphate cathode coating", **CATHODE)
    assert Suggestion.objects.filter(listing=listing, need=need).exists()
    assert not Suggestion.objects.filter(listing=listing, need=own).exists()
    assert not Notification.objects.filter(recipient=owner).exists()


def test_dismissed_stays_dismissed(need, sme_user, owner, publish, django_capture_on_commit_callbacks):
    listing = publish("Lithium iron phosphate cathode coating", **CATHODE)
    suggestion = Suggestion.objects.get(need=need, listing=listing)
    actions.dismiss_suggestion(suggestion, actor=sme_user)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        listing_actions.pause_listing(listing, actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        listing_actions.publish_listing(listing, actor=owner)  # published again: fan-out runs again
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.DISMISSED
    assert Suggestion.objects.filter(need=need, listing=listing).count() == 1
    assert not Notification.objects.exists()


def test_inactive_and_free_only_needs_are_skipped(sme, sme_user, need, publish):
    actions.deactivate_need(need, actor=sme_user)
    free_only = actions.create_need(sme, actor=sme_user, title="Cathode coating, free only",
                                    keywords="lithium cathode coating", ipc_codes=["H01M 10/052"],
                                    free_or_donated_only=True)
    listing = publish("Lithium iron phosphate cathode coating", fee_model="lump_sum", lump_sum_minor=500_000,
                      **CATHODE)
    assert not Suggestion.objects.filter(listing=listing).exists()
    free_listing = publish("Lithium iron phosphate cathode coating, free", number="CN199999999B", **CATHODE)
    assert Suggestion.objects.filter(listing=free_listing, need=free_only).exists()
    assert not Suggestion.objects.filter(listing=free_listing, need=need).exists()


def test_push_is_in_the_users_language(need, sme_user, publish):
    marketplace_actions.update_profile(sme_user, full_name=sme_user.full_name, language="zh-hans")
    publish("Lithium iron phosphate cathode coating", **CATHODE)
    note = Notification.objects.get(recipient=sme_user)
    assert note.data["need_title"] == need.title
    assert note.title == f"新挂牌与您的需求“{need.title}”匹配"
    assert "IPC 分类号相同：H01M 10/052" in note.data["reasons"] and "IPC 分类号相同：H01M 10/052" in note.body


def test_daily_digest_sends_one_email_with_both_then_nothing(need, sme_user, publish):
    _set_preference(sme_user, "daily")
    mail.outbox.clear()
    first = publish("Lithium iron phosphate cathode coating", **CATHODE)
    second = publish("Cathode coating with lithium titanate", abstract="A lithium cathode coating.",
                     ipc_codes=["H01M 10/052"])
    assert mail.outbox == []  # daily: no instant email
    assert Notification.objects.filter(recipient=sme_user, emailed_at__isnull=True).count() == 2

    call_command("send_digests", "--dry-run", "--no-progress")
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=sme_user, emailed_at__isnull=True).count() == 2

    call_command("send_digests", "--no-progress")
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == [sme_user.email]
    assert "2 new notifications" in digest.subject
    assert first.title in digest.body and second.title in digest.body
    assert "shares IPC H01M 10/052" in digest.body
    assert not Notification.objects.filter(recipient=sme_user, emailed_at__isnull=True).exists()

    call_command("send_digests", "--no-progress")
    assert len(mail.outbox) == 1  # nothing new: nothing sent


def test_digest_skips_instant_and_none_users(need, sme_user, colleague, publish):
    _set_preference(colleague, "none")
    publish("Lithium iron phosphate cathode coating", **CATHODE)
    mail.outbox.clear()
    call_command("send_digests", "--no-progress")
    assert mail.outbox == []  # sme_user (instant) was emailed already; colleague wants none


def test_fan_out_reports_its_work(need, publish, holder, owner):
    listing = publish("Lithium iron phosphate cathode coating", publish=False, **CATHODE)
    # published without the on-commit callbacks: run the fan-out by hand
    listing_actions.publish_listing(listing, actor=owner)
    from listings import search

    search.update_listings([listing.pk])
    result = push.fan_out(listing.pk)
    assert (result.candidates, result.matched, len(result.suggestions), result.notifications) == (1, 1, 1, 1)
    again = push.fan_out(listing.pk)  # already suggested: not a candidate any more
    assert (again.candidates, len(again.suggestions)) == (0, 0)


def test_score_listing_agrees_with_match_need(sme, sme_user, need, catalogue):
    other = actions.create_need(sme, actor=sme_user, title="Solid electrolyte", keywords="sulfide electrolyte",
                                budget_minor=5_000_000, licence_kinds=["non_exclusive"], province="BJ")
    assert other.ipc_feedback == []
    for n in (need, other):
        actions.record_suggestions(n)  # a need without IPC codes stores the fields of its best matches
        n.refresh_from_db()
    assert need.ipc_feedback == []  # it states its codes
    assert {"code": "H01M 10/00", "level": "main_group", "support": 1.0} in other.ipc_feedback
    for listing in catalogue.values():
        scores = scoring.score_listing_for_needs(listing, [need, other])
        for n in (need, other):
            own = {m.listing_id: m for m in match_need(n, limit=50)}.get(listing.pk)
            if own is not None:  # the pair scores as in the need's own search, inferred IPC part included
                assert scores[n.pk].score == pytest.approx(own.score, abs=1e-3)
                assert scores[n.pk].reason_codes == own.reason_codes
                assert scores[n.pk].reasons == own.reasons
            else:
                assert scores[n.pk].score < push.THRESHOLD


def test_push_uses_the_ipc_fields_a_need_without_codes_learnt(sme, sme_user, catalogue, publish):
    """A need that states no IPC codes is pushed a new listing in the field of its best matches, with the
    "in IPC …" reason its own search gives, from the votes stored at its last refresh."""
    need = actions.create_need(sme, actor=sme_user, title="Lithium cathode coating",
                               description="A coating for cathode particles of lithium batteries.")
    actions.record_suggestions(need)
    need.refresh_from_db()
    assert any(vote["code"] == "H01M 4/00" for vote in need.ipc_feedback)
    listing = publish("Cathode particle coating", abstract="Coating particles of a cathode for cells.",
                      ipc_codes=["H01M 4/139"])
    suggestion = Suggestion.objects.get(need=need, listing=listing)
    assert "in IPC H01M 4/00, like your best matches" in suggestion.reasons
    # without the stored votes the same listing would stay below the threshold
    unaware = scoring.NeedProfile.of_need(need)
    unaware.feedback = {}
    assert scoring.score_listing(listing, [unaware])[need.pk].score < push.THRESHOLD <= suggestion.score
    # and the need's own search agrees, up to the votes the new listing itself now adds
    own = {m.listing_id: m for m in match_need(need)}[listing.pk]
    assert suggestion.score == pytest.approx(own.score, abs=0.01)
    assert suggestion.reasons == own.reasons
