"""While a listing's open licence stands, no exclusive or sole licence and no assignment can be agreed on it (the
deal room's form warns); a non-exclusive one can; withdrawing the open licence lifts the block."""

from __future__ import annotations

import pytest

from listings import actions as listing_actions
from negotiations import actions
from negotiations.models import DealState
from tests.negotiations.parties import open_deal_for, parties  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_listing(parties):
    parties.listing = listing_actions.update_listing(parties.listing, actor=parties.licensor_user, open_licence=True)
    return parties


@pytest.mark.parametrize("kind", ["exclusive", "sole", "assignment"])
def test_no_exclusive_sole_or_assignment_while_the_open_licence_stands(open_listing, kind):
    deal = open_deal_for(open_listing, licence_kind=kind, territory=["CN-GD"])
    with pytest.raises(actions.ExclusivityConflict, match="is under an open licence: while it stands, no exclusive"):
        actions.accept_offer(deal, actor=open_listing.licensor_user, version=1)
    deal.refresh_from_db()
    assert deal.state == DealState.NEGOTIATING and deal.offers.get().status == "open"


def test_a_non_exclusive_licence_can_be_agreed(open_listing):
    deal = open_deal_for(open_listing, licence_kind="non_exclusive", territory=["CN"])
    deal = actions.accept_offer(deal, actor=open_listing.licensor_user, version=1)
    assert deal.state in (DealState.AGREED, DealState.SIGNING)


def test_withdrawing_the_open_licence_lifts_the_block(open_listing):
    deal = open_deal_for(open_listing, licence_kind="exclusive", territory=["CN"])
    listing_actions.update_listing(open_listing.listing, actor=open_listing.licensor_user, open_licence=False)
    deal = actions.accept_offer(deal, actor=open_listing.licensor_user, version=1)
    assert deal.state in (DealState.AGREED, DealState.SIGNING)


def test_the_offer_form_warns_in_the_room(client, open_listing):
    deal = open_deal_for(open_listing)
    client.force_login(open_listing.licensor_user)
    page = client.get(deal.get_absolute_url()).content.decode()
    assert 'id="open-licence-warning"' in page
    assert "only a non-exclusive licence can be agreed here" in page
