"""Exclusivity is a promise: once an exclusive, sole or assignment licence is agreed for part of a territory, no
other licence there can be agreed (unless the licensor confirms distinct fields of use), and the other open deals
on the listing are told. The race between two licensees is in test_exclusivity_race.py (PostgreSQL)."""

from __future__ import annotations

import pytest

from marketplace.models import Notification
from negotiations import actions
from negotiations.models import DealEvent, DealState
from tests.negotiations.parties import open_deal_for, parties  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def agree(parties, licensee, **terms):
    deal = open_deal_for(parties, licensee=licensee, **terms)
    return actions.accept_offer(deal, actor=parties.licensor_user, version=1)


def test_a_second_licence_in_an_exclusively_licensed_territory_is_refused(parties):
    agree(parties, parties.licensee, licence_kind="exclusive", territory=["CN-GD"])
    rival = open_deal_for(parties, licensee=parties.rival, licence_kind="non_exclusive", territory=["CN"])
    with pytest.raises(actions.ExclusivityConflict, match="already licensed exclusively in Guangdong Province"):
        actions.accept_offer(rival, actor=parties.licensor_user, version=1)
    rival.refresh_from_db()
    assert rival.state == DealState.NEGOTIATING and rival.offers.get().status == "open"


def test_a_territory_that_does_not_overlap_can_be_agreed(parties):
    agree(parties, parties.licensee, licence_kind="sole", territory=["CN-GD", "HK"])
    rival = agree(parties, parties.rival, licence_kind="exclusive", territory=["CN-ZJ", "FR"])
    assert rival.state == DealState.SIGNING


def test_distinct_fields_of_use_need_the_licensors_confirmation(parties):
    agree(parties, parties.licensee, licence_kind="exclusive", territory=["WORLD"], field_of_use="E-bike batteries")
    rival = open_deal_for(parties, licensee=parties.rival, licence_kind="exclusive", territory=["CN"],
                          field_of_use="Grid storage")
    with pytest.raises(actions.ExclusivityConflict):
        actions.accept_offer(rival, actor=parties.licensor_user, version=1)
    actions.accept_offer(rival, actor=parties.licensor_user, version=1, confirm_distinct_field=True)
    rival.refresh_from_db()
    assert rival.state == DealState.SIGNING and rival.agreed_offer.field_of_use == "Grid storage"


def test_a_licensee_cannot_confirm_distinct_fields_for_the_licensor(parties):
    agree(parties, parties.licensee, licence_kind="exclusive", territory=["CN"], field_of_use="E-bikes")
    rival = open_deal_for(parties, licensee=parties.rival, licence_kind="exclusive", territory=["CN"],
                          field_of_use="Ships")
    actions.make_offer(rival, actor=parties.rival_user, terms=rival.offers.get().terms(), expected_version=1,
                       distinct_field_confirmed=True)  # ignored: only the licensor's side may confirm
    with pytest.raises(actions.ExclusivityConflict):
        actions.accept_offer(rival, actor=parties.licensor_user, version=2)


def test_other_open_deals_in_the_territory_are_told(parties, make_user, make_org):
    rival = open_deal_for(parties, licensee=parties.rival, licence_kind="non_exclusive", territory=["CN-SH"])
    far_user = make_user("far@example.com")
    far = make_org("Far Away GmbH", kind="sme", owner=far_user, verified=True)
    elsewhere = actions.open_deal(parties.listing, far, actor=far_user,
                                  terms={**actions.first_terms(parties.listing), "territory": ["DE"]})
    agree(parties, parties.licensee, licence_kind="exclusive", territory=["CN"])
    told = DealEvent.objects.filter(deal=rival, type="deal.exclusivity_taken").get()
    assert told.payload == {"listing": parties.listing.pk, "licence_kind": "exclusive", "territory": ["CN"]}
    notice = Notification.objects.get(kind="deal.exclusivity", recipient=parties.rival_user)
    assert "Mainland China" in notice.body
    assert not DealEvent.objects.filter(deal=elsewhere, type="deal.exclusivity_taken").exists()
    assert not Notification.objects.filter(kind="deal.exclusivity", recipient=far_user).exists()


def test_an_ended_exclusive_deal_frees_its_territory(parties):
    first = agree(parties, parties.licensee, licence_kind="assignment", territory=["WORLD"])
    actions.end_deal(first, actor=parties.licensee_user, reason="Funding fell through")
    assert agree(parties, parties.rival, licence_kind="exclusive", territory=["CN"]).state == DealState.SIGNING
