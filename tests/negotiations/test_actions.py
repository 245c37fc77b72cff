"""Deal actions as the parties use them: opening, offers and counter-offers, acceptance, withdrawal, ending,
expiry, the state tables, and what each move leaves behind (events with sequence numbers, audit, notices)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from marketplace.actions import ActionError, NotAllowed
from marketplace.models import AuditEntry, Notification
from marketplace.states import IllegalTransition, check_transition
from matching import actions as matching_actions
from matching.models import ContactRequest
from negotiations import actions
from negotiations.models import Deal, DealEvent, DealState, ImmutableOffer, Offer, OfferStatus, Side
from tests.negotiations.parties import open_deal_for, parties  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def counter(deal, user, expected, **changes):
    latest = deal.offers.get(version=deal.current_version)
    return actions.make_offer(deal, actor=user, terms={**latest.terms(), **changes}, expected_version=expected)


# --- opening ----------------------------------------------------------------------------------------
def test_a_licensee_opens_a_deal_on_the_listings_terms_and_the_licensor_is_told(parties):
    deal = open_deal_for(parties)
    assert deal.state == DealState.NEGOTIATING and deal.licensor == parties.licensor
    first = deal.offers.get()
    assert (first.version, first.side, first.status) == (1, Side.LICENSEE, OfferStatus.OPEN)
    assert (first.fee_model, first.lump_sum_minor, first.territory, first.term_months) == (
        "lump_sum", 10_000_000, ["CN"], 36)
    assert deal.waiting_for == Side.LICENSOR
    assert [(e.seq, e.type) for e in DealEvent.objects.filter(deal=deal)] == [(1, "deal.offer_created")]
    told = set(Notification.objects.filter(kind="deal.opened").values_list("recipient__email", flat=True))
    assert told == {"licensor@example.com", "colleague@example.com"}
    assert AuditEntry.objects.filter(action="deal.opened", target_id=str(deal.pk)).exists()


def test_one_active_deal_per_listing_and_licensee(parties):
    deal = open_deal_for(parties)
    with pytest.raises(actions.DealExists) as refused:
        open_deal_for(parties)
    assert refused.value.deal == deal
    actions.end_deal(deal, actor=parties.licensee_user, reason="Not now")
    assert open_deal_for(parties).pk != deal.pk  # an ended deal no longer holds the place


def test_only_verified_organisations_open_deals(parties, make_org, make_user):
    unverified_user = make_user("new@example.com")
    unverified = make_org("New Cells", kind="sme", owner=unverified_user)
    with pytest.raises(ActionError, match="verified"):
        actions.open_deal(parties.listing, unverified, actor=unverified_user)
    assert not Deal.objects.exists()


def test_a_licensor_opens_a_deal_only_in_answer_to_a_licence_request(parties):
    with pytest.raises(NotAllowed):
        actions.open_deal(parties.listing, parties.licensee, actor=parties.licensor_user)
    with pytest.raises(ActionError, match="cannot license it to itself"):
        actions.open_deal(parties.listing, parties.licensor, actor=parties.licensor_user)


def test_a_deal_opened_from_a_licence_request_takes_the_request_over(parties):
    need = matching_actions.create_need(parties.licensee, actor=parties.licensee_user, title="Better cathodes",
                                        description="Cathode coating for e-bike cells", keywords="cathode")
    # as matching.actions.request_licence leaves it
    contact = ContactRequest.objects.create(need=need, listing=parties.listing, message="Can we license it?",
                                            created_by=parties.licensee_user)
    deal = actions.open_deal(parties.listing, parties.licensee, actor=parties.licensor_user,
                             contact_request=contact)
    contact.refresh_from_db()
    assert deal.opened_side == Side.LICENSOR and deal.waiting_for == Side.LICENSEE
    assert contact.status == "closed" and contact.follow_up_url == f"/deals/{deal.pk}/"


# --- offers -----------------------------------------------------------------------------------------
def test_a_counter_offer_is_a_new_version_and_supersedes_the_open_one(parties):
    deal = open_deal_for(parties)
    second = counter(deal, parties.licensor_user, 1, lump_sum_minor=15_000_000)
    deal.refresh_from_db()
    assert (second.version, second.side, deal.current_version, deal.waiting_for) == (2, "licensor", 2, "licensee")
    assert deal.offers.get(version=1).status == OfferStatus.SUPERSEDED
    notice = Notification.objects.get(kind="deal.offer", recipient=parties.licensee_user)
    assert "version 2" in notice.title and "Lump sum" in notice.body


def test_a_stale_form_says_the_other_side_has_just_made_a_new_version(parties):
    deal = open_deal_for(parties)
    counter(deal, parties.licensor_user, 1, lump_sum_minor=15_000_000)
    seq = Deal.objects.get(pk=deal.pk).last_seq
    with pytest.raises(actions.StaleVersion, match="other side has just made version 2"):
        counter(deal, parties.licensee_user, 1, lump_sum_minor=12_000_000)
    deal.refresh_from_db()
    assert deal.current_version == 2 and deal.last_seq == seq  # nothing written, no event


def test_bad_terms_are_refused_per_field(parties):
    deal = open_deal_for(parties)
    with pytest.raises(ValidationError) as refused:
        counter(deal, parties.licensor_user, 1, lump_sum_minor=-5, royalty_rate_bp=20_000, currency="XYZ")
    assert {"lump_sum_minor", "currency"} <= set(refused.value.message_dict)
    assert deal.offers.count() == 1


def test_stored_versions_are_immutable(parties):
    offer = open_deal_for(parties).offers.get()
    offer.lump_sum_minor = 1
    with pytest.raises(ImmutableOffer):
        offer.save()
    offer.refresh_from_db()
    assert offer.lump_sum_minor == 10_000_000


# --- accepting and withdrawing ----------------------------------------------------------------------
def test_only_the_other_side_accepts_the_current_version(parties):
    deal = open_deal_for(parties)
    with pytest.raises(NotAllowed, match="You made version 1"):
        actions.accept_offer(deal, actor=parties.licensee_user, version=1)
    actions.accept_offer(deal, actor=parties.colleague, version=1)
    deal.refresh_from_db()
    # agreed, and the licence agreement generated at once: out for signature
    assert deal.state == DealState.SIGNING and deal.agreed_offer.version == 1 and deal.waiting_for == ""
    types = list(DealEvent.objects.filter(deal=deal).values_list("type", flat=True))
    assert types[-4:] == ["deal.offer_accepted", "deal.status_changed", "deal.status_changed",
                         "deal.agreement_changed"]  # agreed, then signing: the agreement is out
    assert Notification.objects.filter(kind="deal.accepted", recipient=parties.licensee_user).exists()


def test_accepting_a_superseded_version_names_the_current_one(parties):
    deal = open_deal_for(parties)
    counter(deal, parties.licensor_user, 1, lump_sum_minor=15_000_000)
    counter(deal, parties.licensee_user, 2, lump_sum_minor=12_000_000)
    with pytest.raises(actions.OfferNotCurrent, match="Version 2 is superseded; version 3 is the current one"):
        actions.accept_offer(deal, actor=parties.licensee_user, version=2)


def test_a_withdrawn_or_expired_version_cannot_be_accepted(parties):
    deal = open_deal_for(parties)
    with pytest.raises(NotAllowed):
        actions.withdraw_offer(deal, actor=parties.licensor_user, version=1)  # not the maker's side
    actions.withdraw_offer(deal, actor=parties.licensee_user, version=1)
    with pytest.raises(actions.OfferNotCurrent, match="withdrawn; there is no open version"):
        actions.accept_offer(deal, actor=parties.licensor_user, version=1)
    second = counter(deal, parties.licensor_user, 1, valid_until=timezone.now() + timedelta(hours=1))
    Offer.objects.filter(pk=second.pk).update(valid_until=timezone.now() - timedelta(minutes=1))
    with pytest.raises(actions.OfferNotCurrent, match="Version 2 is expired"):
        actions.accept_offer(deal, actor=parties.licensee_user, version=2)
    assert Offer.objects.get(pk=second.pk).status == OfferStatus.EXPIRED  # expired lazily, on the way


def test_ending_a_deal_closes_its_open_version_and_tells_the_other_side(parties):
    deal = open_deal_for(parties)
    actions.end_deal(deal, actor=parties.licensor_user, reason="We licensed it elsewhere")
    assert (deal.state, deal.closed_reason) == (DealState.DECLINED, "We licensed it elsewhere")
    assert deal.offers.get().status == OfferStatus.CLOSED
    assert Notification.objects.filter(kind="deal.ended", recipient=parties.licensee_user).exists()
    with pytest.raises(IllegalTransition):
        actions.end_deal(deal, actor=parties.licensee_user)
    with pytest.raises(ActionError, match="declined"):
        counter(deal, parties.licensee_user, 1)


def test_a_non_party_can_do_nothing(parties):
    deal = open_deal_for(parties)
    for act in (lambda: counter(deal, parties.outsider_user, 1),
                lambda: actions.accept_offer(deal, actor=parties.outsider_user, version=1),
                lambda: actions.withdraw_offer(deal, actor=parties.outsider_user, version=1),
                lambda: actions.end_deal(deal, actor=parties.outsider_user),
                lambda: actions.post_message(deal, actor=parties.outsider_user, body="hello")):
        with pytest.raises(NotAllowed):
            act()
    assert Deal.objects.get(pk=deal.pk).last_seq == 1


# --- the state tables -------------------------------------------------------------------------------
LEGAL_DEAL_MOVES = {
    ("negotiating", "agreed"), ("negotiating", "declined"), ("negotiating", "withdrawn"), ("negotiating", "expired"),
    ("agreed", "signing"), ("agreed", "declined"), ("agreed", "withdrawn"),
    ("signing", "awaiting_payment"), ("signing", "completed"), ("signing", "declined"), ("signing", "withdrawn"),
    ("awaiting_payment", "completed"),
}


@pytest.mark.parametrize("current,target", list(itertools.product(DealState.values, repeat=2)))
def test_every_deal_transition_is_legal_or_raises(current, target):
    if (current, target) in LEGAL_DEAL_MOVES:
        check_transition(DealState, current, target)
    else:
        with pytest.raises(IllegalTransition):
            check_transition(DealState, current, target)


@pytest.mark.parametrize("current,target", list(itertools.product(OfferStatus.values, repeat=2)))
def test_every_offer_transition_is_legal_or_raises(current, target):
    if current == "open" and target != "open":
        check_transition(OfferStatus, current, target)
    else:
        with pytest.raises(IllegalTransition):
            check_transition(OfferStatus, current, target)


# --- expiry -----------------------------------------------------------------------------------------
def test_expire_offers_expires_what_is_due_once(parties):
    deal = open_deal_for(parties)
    Offer.objects.filter(deal=deal).update(valid_until=timezone.now() - timedelta(minutes=1))
    call_command("expire_offers", stdout=(out := __import__("io").StringIO()))
    assert "Expired 1 term sheet and 0 negotiations." in out.getvalue()
    assert deal.offers.get().status == OfferStatus.EXPIRED
    assert DealEvent.objects.filter(deal=deal).last().type == "deal.offer_expired"
    assert Notification.objects.filter(kind="deal.offer_expired", recipient=parties.licensor_user).exists()
    call_command("expire_offers", stdout=(again := __import__("io").StringIO()))
    assert "Expired 0 term sheets" in again.getvalue()


def test_an_idle_negotiation_expires(parties, settings):
    deal = open_deal_for(parties)
    actions.withdraw_offer(deal, actor=parties.licensee_user, version=1)
    Deal.objects.filter(pk=deal.pk).update(
        last_activity_at=timezone.now() - timedelta(days=settings.DEAL_IDLE_EXPIRY_DAYS + 1))
    deal.refresh_from_db()
    done = actions.expire_due(deal=deal)  # lazily, as a page does
    assert (done.deals, deal.state) == (1, DealState.EXPIRED)


def test_opening_a_deal_takes_over_the_licensees_requests_and_counts_as_contact(parties):
    from matching.models import Suggestion

    need = matching_actions.create_need(parties.licensee, actor=parties.licensee_user, title="Better cathodes",
                                        description="Cathode coating for e-bike cells", keywords="cathode")
    suggestion = Suggestion.objects.create(need=need, listing=parties.listing, score=0.8, pushed_at=timezone.now())
    contact = ContactRequest.objects.create(need=need, listing=parties.listing, message="Interested",
                                            created_by=parties.licensee_user)
    deal = open_deal_for(parties)  # from the listing page, not from the request
    contact.refresh_from_db()
    suggestion.refresh_from_db()
    assert (contact.status, contact.follow_up_url) == ("closed", deal.get_absolute_url())
    assert suggestion.status == "contacted"
