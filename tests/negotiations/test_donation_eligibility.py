"""Who may claim a donated licence: small and micro enterprises by default, the donor's provinces and industries,
places left; each refusal names the rule and the organisation's own value."""

from __future__ import annotations

import pytest

from listings import actions as listing_actions
from negotiations.eligibility import donation_refusals, needs_sme_profile, places_left
from tests.negotiations.grants import grants  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_a_small_enterprise_is_eligible_by_default(grants):
    assert grants.donation.donation_sme_only is True
    assert donation_refusals(grants.donation, grants.make_sme("Tiny Cells")) == []
    assert donation_refusals(grants.donation, grants.make_sme("Micro Cells", size="micro")) == []


@pytest.mark.parametrize("size", ["medium", "large"])
def test_a_medium_or_large_enterprise_is_refused_with_its_class(grants, size):
    org = grants.make_sme("Acme Ltd", size=size)
    assert donation_refusals(grants.donation, org) == [
        f"This donated licence is for small and micro enterprises; Acme Ltd is classed as a {size} enterprise "
        "(2011 SME classification)."]


def test_an_organisation_without_sme_profile_is_told_to_fill_it(grants):
    org = grants.make_sme("Blank Cells", profile=False)
    [reason] = donation_refusals(grants.donation, org)
    assert "Blank Cells has no SME profile, so its size class cannot be checked" in reason
    assert needs_sme_profile(grants.donation, org, donation=True)


def test_without_the_sme_rule_a_medium_enterprise_may_claim(grants):
    listing = listing_actions.update_listing(grants.donation, actor=grants.donor_user, donation_sme_only=False)
    assert donation_refusals(listing, grants.make_sme("Midsize Motors", size="medium")) == []


def test_industries_name_the_organisations_industry(grants):
    listing = listing_actions.update_listing(grants.donation, actor=grants.donor_user, donation_industries=["01"])
    [reason] = donation_refusals(listing, grants.make_sme("Tiny Cells", industry="02"))
    assert reason.startswith("This donated licence is for the industries ")
    assert reason.endswith("; Tiny Cells is in Industry.")
    # ¥1M revenue makes a small farm (industry 01 classifies by revenue only)
    assert donation_refusals(listing, grants.make_sme("Farm Cells", industry="01", size="micro")) == []


def test_industries_without_profile_and_without_sme_rule(grants):
    listing = listing_actions.update_listing(grants.donation, actor=grants.donor_user, donation_industries=["02"],
                                             donation_sme_only=False)
    [reason] = donation_refusals(listing, grants.make_sme("Blank Cells", profile=False))
    assert "so its industry cannot be checked" in reason


def test_provinces(grants):
    listing = listing_actions.update_listing(grants.donation, actor=grants.donor_user, donation_provinces=["SC"])
    assert donation_refusals(listing, grants.make_sme("Tiny Cells", province="GD")) == [
        "This donated licence is for organisations in Sichuan; Tiny Cells is in Guangdong."]
    assert donation_refusals(listing, grants.make_sme("Chengdu Cells", province="SC")) == []


def test_unverified_owner_and_no_quota(grants):
    pending = grants.make_sme("Pending Cells", verified=False)
    assert donation_refusals(grants.donation, pending) == [
        "Pending Cells is not verified yet. Only verified organisations can accept a donated licence."]
    assert donation_refusals(grants.donation, grants.donor)[0] == (
        "Northern Power Group owns this listing; it cannot license it to itself.")
    assert donation_refusals(grants.free_open, grants.make_sme("Tiny Cells")) == [
        "“Transformer oil cooling” offers no donated licences."]


def test_no_places_left(grants):
    listing = listing_actions.update_listing(grants.donation, actor=grants.donor_user, donation_quota=0)
    assert "offers no donated licences" in donation_refusals(listing, grants.make_sme("Tiny Cells"))[0]
    assert places_left(grants.donation) == 5
