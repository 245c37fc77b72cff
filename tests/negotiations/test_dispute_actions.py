"""Disputes as the parties, staff and mediators use them: raising (and what is refused), the pause of the
deal's other moves, accreditation and assignment rules, notes and who is told, proposals, closing and
withdrawing; the working-day deadline of the first answer."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketplace.actions import ActionError, NotAllowed
from marketplace.models import AuditEntry, Notification
from negotiations import actions, mediation
from negotiations.actions.common import _move
from negotiations.models import (
    Deal,
    DealEvent,
    DealState,
    Dispute,
    DisputeStatus,
    MediatorAccreditation,
    OfferStatus,
)
from tests.negotiations.mediators import assigned, mediation as mediation_fixture, proposal_terms, raised  # noqa: F401
from tests.negotiations.parties import open_deal_for, parties  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def med(mediation_fixture):  # noqa: F811
    return mediation_fixture


def told(kind) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


# --- working days -----------------------------------------------------------------------------------
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("start, due", [
    ((2026, 12, 7, 9, 30), (2026, 12, 9, 9, 30)),    # Monday → Wednesday
    ((2026, 12, 10, 15, 0), (2026, 12, 14, 15, 0)),  # Thursday → Monday
    ((2026, 12, 11, 15, 0), (2026, 12, 15, 15, 0)),  # Friday → Tuesday
    ((2026, 12, 12, 10, 0), (2026, 12, 15, 10, 0)),  # Saturday → Tuesday
    ((2026, 12, 13, 23, 0), (2026, 12, 15, 23, 0)),  # Sunday → Tuesday
])
def test_the_first_answer_is_due_two_working_days_later(start, due, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    moment = datetime.datetime(*start, tzinfo=SHANGHAI)
    assert mediation.working_days_after(moment, 2) == datetime.datetime(*due, tzinfo=SHANGHAI)


def test_the_response_target_is_due_then_overdue_then_met_or_missed(med):
    dispute = raised(med)
    assert mediation.response_target(dispute).state == "due"
    assert mediation.response_target(dispute, now=dispute.respond_by + datetime.timedelta(minutes=1)).state == "overdue"
    dispute.first_response_at = dispute.respond_by
    assert mediation.response_target(dispute).state == "met"
    dispute.first_response_at = dispute.respond_by + datetime.timedelta(hours=1)
    assert mediation.response_target(dispute).state == "missed"


# --- raising ----------------------------------------------------------------------------------------
def test_either_party_raises_a_dispute_and_the_deal_is_paused(med, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        dispute = raised(med)
    med.deal.refresh_from_db()
    assert med.deal.disputed and med.deal.state == DealState.SIGNING  # agreed, the agreement out for signature
    assert (dispute.status, dispute.raised_side, dispute.deal_state_at_raise) == (
        DisputeStatus.OPEN, "licensee", DealState.SIGNING)
    assert dispute.respond_by == mediation.working_days_after(dispute.created_at, 2)
    assert DealEvent.objects.filter(deal=med.deal, type="deal.dispute_raised").exists()
    assert AuditEntry.objects.filter(action="dispute.raised", target_id=str(med.deal.pk)).exists()
    # The other side's members and platform staff are told (staff with a link to the queue).
    assert {"licensor@example.com", "colleague@example.com", "mediation-staff@example.com"} <= told(
        "deal.dispute_raised")
    assert "sme@example.com" not in told("deal.dispute_raised")
    assert Notification.objects.get(kind="deal.dispute_raised", recipient=med.staff).url == "/disputes/"


def test_no_dispute_on_a_negotiating_deal_nor_by_an_outsider(med):
    negotiating = open_deal_for(med.p, licensee=med.p.rival)
    with pytest.raises(ActionError, match="this one is negotiating"):
        actions.raise_dispute(negotiating, actor=med.p.rival_user, category="other", statement="Too slow.")
    with pytest.raises(NotAllowed):
        actions.raise_dispute(med.deal, actor=med.p.outsider_user, category="other", statement="Hm.")
    with pytest.raises(ValidationError):
        actions.raise_dispute(med.deal, actor=med.p.licensee_user, category="other", statement="   ")
    with pytest.raises(ValidationError):
        actions.raise_dispute(med.deal, actor=med.p.licensee_user, category="weather", statement="Rain.")
    assert not Dispute.objects.exists()


def test_one_unresolved_dispute_per_deal(med):
    raised(med)
    with pytest.raises(ActionError, match="already has an open dispute"):
        actions.raise_dispute(med.deal, actor=med.p.licensor_user, category="other", statement="Also us.")
    assert Dispute.objects.count() == 1


def test_a_disputed_deal_cannot_be_ended_moved_or_expire(med):
    raised(med)
    with pytest.raises(actions.DealPaused, match="in mediation"):
        actions.end_deal(med.deal, actor=med.p.licensee_user, reason="Let us stop.")
    locked = Deal.objects.get(pk=med.deal.pk)
    with pytest.raises(actions.DealPaused):
        _move(locked, DealState.COMPLETED, actor=None, side=None)
    med.deal.refresh_from_db()
    assert med.deal.state == DealState.SIGNING
    # A negotiating deal marked disputed does not expire however idle it is.
    other = open_deal_for(med.p, licensee=med.p.rival)
    Deal.objects.filter(pk=other.pk).update(disputed=True)
    far = timezone.now() + datetime.timedelta(days=400)
    assert actions.expire_due(far).deals == 0
    other.refresh_from_db()
    assert other.state == DealState.NEGOTIATING
    with pytest.raises(actions.DealPaused):
        actions.make_offer(other, actor=med.p.rival_user, terms=proposal_terms(other), expected_version=1)
    with pytest.raises(actions.DealPaused):
        actions.accept_offer(other, actor=med.p.licensor_user, version=1)


# --- mediators --------------------------------------------------------------------------------------
def test_accreditation_is_for_members_of_verified_ip_agencies_by_staff(med, make_org, make_user):
    with pytest.raises(NotAllowed):
        actions.accredit_mediator(med.agency_member, actor=med.mediator)
    with pytest.raises(ActionError, match="not a member of a verified IP service agency"):
        actions.accredit_mediator(med.p.licensee_user, actor=med.staff)
    pending = make_user("pending@example.com", full_name="Pat Pending")
    make_org("Unverified IP Agency", kind="ip_agency", owner=pending)
    with pytest.raises(ActionError, match="not a member of a verified"):
        actions.accredit_mediator(pending, actor=med.staff)
    with pytest.raises(ActionError, match="already an accredited mediator"):
        actions.accredit_mediator(med.mediator, actor=med.staff)
    accreditation = actions.accredit_mediator(med.agency_member, actor=med.staff)
    assert accreditation.organisation == med.agency and mediation.may_mediate(med.agency_member)
    assert Notification.objects.filter(kind="mediation.accredited", recipient=med.agency_member).exists()
    actions.revoke_mediator(med.agency_member, actor=med.staff)
    assert not mediation.may_mediate(med.agency_member)
    assert MediatorAccreditation.objects.filter(user=med.agency_member, revoked_at__isnull=False).exists()
    assert AuditEntry.objects.filter(action="mediator.revoked").exists()


def test_staff_assign_staff_or_an_accredited_mediator_never_a_party(med):
    dispute = raised(med)
    with pytest.raises(NotAllowed):
        actions.assign_mediator(dispute, actor=med.mediator, mediator=med.mediator)
    with pytest.raises(ActionError, match="neither platform staff nor an accredited mediator"):
        actions.assign_mediator(dispute, actor=med.staff, mediator=med.agency_member)
    # An accredited mediator who is also a member of a party cannot mediate this deal.
    from marketplace import actions as org_actions
    org_actions.add_member(med.p.licensor, user=med.other_mediator, role="member", actor=None, operator=True)
    with pytest.raises(ActionError, match="member of a party"):
        actions.assign_mediator(dispute, actor=med.staff, mediator=med.other_mediator)
    actions.assign_mediator(dispute, actor=med.staff, mediator=med.mediator)
    assert (dispute.status, dispute.mediator) == (DisputeStatus.MEDIATING, med.mediator)
    assert Notification.objects.filter(kind="deal.mediator_assigned", recipient=med.mediator).exists()
    # Re-assignment: to staff.
    actions.assign_mediator(dispute, actor=med.staff, mediator=med.staff)
    assert dispute.mediator == med.staff
    assert AuditEntry.objects.filter(action="dispute.mediator_assigned").count() == 2


# --- notes ------------------------------------------------------------------------------------------
def test_only_the_mediator_posts_notes_and_one_side_notes_reach_only_that_side(med):
    dispute = assigned(med)
    for intruder in (med.p.licensee_user, med.other_mediator, med.staff):
        with pytest.raises(NotAllowed):
            actions.post_mediation_note(dispute, actor=intruder, body="I decide.", visibility="both")
    first = actions.post_mediation_note(dispute, actor=med.mediator, body="Secret to licensor", visibility="licensor")
    dispute.refresh_from_db()
    assert dispute.first_response_at == first.created_at
    actions.post_mediation_note(dispute, actor=med.mediator, body="To both", visibility="both")
    dispute.refresh_from_db()
    assert dispute.first_response_at == first.created_at  # the first answer stays the first
    licensor_side = {"licensor@example.com", "colleague@example.com"}
    notices = Notification.objects.filter(kind="deal.mediation_note")
    assert {n.recipient.email for n in notices if "Secret" in n.body} == licensor_side
    assert {n.recipient.email for n in notices if "both" in n.body} == licensor_side | {"sme@example.com"}
    assert [n.body for n in mediation.visible_notes(dispute, "licensee")] == ["To both"]
    assert len(mediation.visible_notes(dispute, None)) == 2
    event = DealEvent.objects.filter(type="deal.mediation_note").order_by("seq").first().message()
    assert not mediation.event_visible_to(event, "licensee") and mediation.event_visible_to(event, "licensor")


# --- proposals, closing -----------------------------------------------------------------------------
def test_a_proposal_is_a_new_version_not_acceptable_through_accept_offer(med):
    dispute = assigned(med)
    with pytest.raises(NotAllowed):
        actions.propose_terms(dispute, actor=med.staff, terms=proposal_terms(med.deal))
    offer = actions.propose_terms(dispute, actor=med.mediator, terms=proposal_terms(med.deal, lump_sum_minor=8_000_000))
    med.deal.refresh_from_db()
    assert (offer.version, offer.proposed_in, offer.status, med.deal.current_version) == (2, dispute, "open", 2)
    with pytest.raises(ActionError):
        actions.accept_offer(med.deal, actor=med.p.licensor_user, version=2)
    # One side's acceptance is recorded; the proposal waits for the other.
    actions.accept_proposal(offer, actor=med.p.licensor_user)
    assert offer.licensor_accepted_at is not None and offer.licensee_accepted_at is None
    assert offer.status == OfferStatus.OPEN
    with pytest.raises(ActionError, match="already accepted"):
        actions.accept_proposal(offer, actor=med.p.colleague)
    with pytest.raises(NotAllowed):
        actions.accept_proposal(offer, actor=med.mediator)
    # A newer proposal supersedes it.
    newer = actions.propose_terms(dispute, actor=med.mediator, terms=proposal_terms(med.deal, lump_sum_minor=7_000_000))
    offer.refresh_from_db()
    assert offer.status == OfferStatus.SUPERSEDED and newer.version == 3
    assert Notification.objects.filter(kind="deal.terms_proposed", recipient=med.p.licensee_user).count() == 2


def test_closing_unpauses_the_deal_and_closes_an_open_proposal(med):
    dispute = assigned(med)
    offer = actions.propose_terms(dispute, actor=med.mediator, terms=proposal_terms(med.deal))
    with pytest.raises(NotAllowed):
        actions.close_dispute(dispute, actor=med.p.licensor_user, outcome="settled", summary="Done")
    with pytest.raises(ValidationError):
        actions.close_dispute(dispute, actor=med.mediator, outcome="settled", summary=" ")
    actions.close_dispute(dispute, actor=med.mediator, outcome="not_resolved", summary="Referred to court.")
    med.deal.refresh_from_db()
    offer.refresh_from_db()
    assert (dispute.status, dispute.outcome, dispute.closed_by) == ("closed", "not_resolved", med.mediator)
    assert not med.deal.disputed and offer.status == OfferStatus.CLOSED
    assert {"sme@example.com", "licensor@example.com"} <= told("deal.dispute_closed")
    with pytest.raises(ActionError, match="closed"):
        actions.post_mediation_note(dispute, actor=med.mediator, body="Late", visibility="both")
    # The deal moves again; a new dispute may be raised.
    raised(med)


def test_the_raising_side_may_withdraw_its_dispute_and_staff_may_close_one(med):
    dispute = raised(med)
    with pytest.raises(NotAllowed, match="side that raised"):
        actions.withdraw_dispute(dispute, actor=med.p.licensor_user)
    actions.withdraw_dispute(dispute, actor=med.p.licensee_user)
    assert (dispute.status, dispute.outcome) == ("closed", "withdrawn")
    second = raised(med)
    actions.close_dispute(second, actor=med.staff, outcome="withdrawn", summary="The parties agreed by phone.")
    med.deal.refresh_from_db()
    assert not med.deal.disputed
    actions.end_deal(med.deal, actor=med.p.licensee_user, reason="Changed our plans.")
    med.deal.refresh_from_db()
    assert med.deal.state == DealState.WITHDRAWN
