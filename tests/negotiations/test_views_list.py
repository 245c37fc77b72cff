"""The deals list: the user's organisations' deals only, newest activity first, state tabs with counts,
"Waiting for me", and the organisation filter."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from marketplace.models import OrganisationKind
from negotiations import actions
from negotiations.models import Offer

pytestmark = pytest.mark.django_db


def _rows(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-deal="(\d+)"', response.content.decode())]


@pytest.fixture
def second_deal(deal_parties, make_listing, django_capture_on_commit_callbacks):
    """A second listing of the institute, its deal opened by the licensee and answered by the licensor: the
    licensee's move."""
    p = deal_parties
    listing = make_listing(p.licensor, p.licensor_user, title="Sodium-ion anode", offers_non_exclusive=True)
    with django_capture_on_commit_callbacks(execute=True):
        deal = actions.open_deal(listing, p.licensee, actor=p.licensee_user)
        terms = {**Offer.objects.get(deal=deal, version=1).terms(), "note": "Please start in Q3."}
        actions.make_offer(deal, actor=p.licensor_user, terms=terms, expected_version=1)
    return deal


def test_the_list_shows_the_users_deals_newest_activity_first(client, deal_parties, second_deal):
    client.force_login(deal_parties.licensee_user)
    response = client.get(reverse("deal_list"))
    page = response.content.decode()
    assert _rows(response) == [second_deal.pk, deal_parties.deal.pk]
    assert "Sodium-ion anode" in page and "South Battery Institute" in page
    assert "Your move" in page and "Their move" in page


def test_waiting_for_me_lists_only_the_deals_whose_move_is_mine(client, deal_parties, second_deal):
    client.force_login(deal_parties.licensee_user)
    response = client.get(reverse("deal_list") + "?waiting=1")
    assert _rows(response) == [second_deal.pk]
    assert "1 deal waits for your move." in response.content.decode()
    client.force_login(deal_parties.licensor_user)
    assert _rows(client.get(reverse("deal_list") + "?waiting=1")) == [deal_parties.deal.pk]


def test_state_tabs_filter_and_count(client, deal_parties, second_deal):
    actions.end_deal(second_deal, actor=deal_parties.licensee_user)
    client.force_login(deal_parties.licensor_user)
    page = client.get(reverse("deal_list")).content.decode()
    assert re.search(r'state=withdrawn">Withdrawn <span class="badge text-bg-light">1<', page)
    assert re.search(r'state=negotiating">Negotiating <span class="badge text-bg-light">1<', page)
    assert _rows(client.get(reverse("deal_list") + "?state=withdrawn")) == [second_deal.pk]


def test_outsiders_see_none_of_it(client, deal_parties):
    client.force_login(deal_parties.outsider)
    response = client.get(reverse("deal_list"))
    assert response.status_code == 200 and _rows(response) == []


def test_the_organisation_filter(client, deal_parties, make_org, make_listing, django_capture_on_commit_callbacks):
    p = deal_parties
    # the licensee's owner also runs a second company with its own deal on the listing
    other = make_org("Tiny Cells Two Ltd", kind=OrganisationKind.SME, owner=p.licensee_user, verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        deal = actions.open_deal(p.listing, other, actor=p.licensee_user)
    client.force_login(p.licensee_user)
    assert set(_rows(client.get(reverse("deal_list")))) == {deal.pk, p.deal.pk}
    response = client.get(reverse("deal_list") + f"?organisation={other.slug}")
    assert _rows(response) == [deal.pk]
    assert 'name="organisation"' in response.content.decode()
    assert client.get(reverse("deal_list") + f"?organisation={p.licensor.slug}").status_code == 404


def test_the_navigation_links_to_the_deals(client, deal_parties):
    client.force_login(deal_parties.licensee_user)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("deal_list")}?organisation={deal_parties.licensee.slug}"' in page
