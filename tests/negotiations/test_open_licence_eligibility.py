"""Who may accept an open licence: each rule refuses with a sentence naming the rule and the organisation's own
value; the owner's listing form and actions keep the open licence non-exclusive and remember when it was
published."""

from __future__ import annotations

import pytest

from listings import actions as listing_actions
from listings.models import ListingState
from marketplace import actions as org_actions
from marketplace.actions import ActionError
from negotiations.eligibility import open_licence_refusals
from tests.negotiations.grants import grants  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_a_verified_sme_elsewhere_is_eligible_for_an_unrestricted_open_licence(grants):
    assert open_licence_refusals(grants.free_open, grants.make_sme("Tiny Cells")) == []


def test_an_organisation_not_verified_is_refused(grants):
    org = grants.make_sme("Pending Cells", verified=False)
    reasons = open_licence_refusals(grants.free_open, org)
    assert reasons == ["Pending Cells is not verified yet. Only verified organisations can accept an open licence."]


def test_the_owner_cannot_take_its_own_open_licence(grants):
    assert open_licence_refusals(grants.free_open, grants.donor) == [
        "Northern Power Group owns this listing; it cannot license it to itself."]


def test_a_listing_not_browsable_or_without_open_licence_is_refused(grants):
    org = grants.make_sme("Tiny Cells")
    listing_actions.pause_listing(grants.free_open, actor=grants.donor_user)
    grants.free_open.refresh_from_db()
    assert grants.free_open.state == ListingState.PAUSED
    assert "“Transformer oil cooling” is not open for licensing right now." in open_licence_refusals(
        grants.free_open, org)
    assert open_licence_refusals(grants.donation, org) == ["“Wind blade de-icing coating” has no open licence."]


def test_sme_only_refuses_a_medium_enterprise_with_its_class(grants):
    listing = listing_actions.update_listing(grants.free_open, actor=grants.donor_user, open_licence_sme_only=True)
    medium = grants.make_sme("Midsize Motors", size="medium")
    assert open_licence_refusals(listing, medium) == [
        "This open licence is for small and micro enterprises; Midsize Motors is classed as a medium enterprise "
        "(2011 SME classification)."]
    assert open_licence_refusals(listing, grants.make_sme("Micro Motors", size="micro")) == []


def test_sme_only_without_a_profile_says_so(grants):
    listing = listing_actions.update_listing(grants.free_open, actor=grants.donor_user, open_licence_sme_only=True)
    org = grants.make_sme("Blank Cells", profile=False)
    [reason] = open_licence_refusals(listing, org)
    assert "Blank Cells has no SME profile, so its size class cannot be checked" in reason


def test_provinces_name_the_organisations_province(grants):
    listing = listing_actions.update_listing(grants.free_open, actor=grants.donor_user,
                                             open_licence_provinces=["ZJ", "JS"])
    assert listing.open_licence_provinces == ["JS", "ZJ"]
    assert open_licence_refusals(listing, grants.make_sme("Tiny Cells", province="GD")) == [
        "This open licence is for organisations in Jiangsu, Zhejiang; Tiny Cells is in Guangdong."]
    assert open_licence_refusals(listing, grants.make_sme("Lake Cells", province="ZJ")) == []
    nowhere = grants.make_sme("Nowhere Cells", province="")
    assert "Nowhere Cells has no province on its profile" in open_licence_refusals(listing, nowhere)[0]


def test_an_open_licence_must_offer_a_non_exclusive_licence(grants):
    with pytest.raises(ActionError, match="An open licence is a non-exclusive licence"):
        listing_actions.update_listing(grants.free_open, actor=grants.donor_user, offers_non_exclusive=False,
                                       offers_exclusive=True)


def test_open_licence_since_is_set_kept_and_cleared(grants):
    listing = grants.free_open
    since = listing.open_licence_since
    assert since is not None
    listing = listing_actions.update_listing(listing, actor=grants.donor_user, title="Transformer oil cooling v2")
    assert listing.open_licence_since == since
    listing = listing_actions.update_listing(listing, actor=grants.donor_user, open_licence=False)
    assert listing.open_licence_since is None
    listing = listing_actions.update_listing(listing, actor=grants.donor_user, open_licence=True)
    assert listing.open_licence_since is not None and listing.open_licence_since > since


def test_unknown_province_codes_are_refused(grants):
    with pytest.raises(ActionError, match="unknown codes QQ"):
        listing_actions.update_listing(grants.free_open, actor=grants.donor_user, open_licence_provinces=["QQ"])


def test_owner_form_shows_the_eligibility_fields(client, grants, make_org):
    client.force_login(grants.donor_user)
    from django.urls import reverse

    page = client.get(reverse("owner_listing_edit", args=[grants.donor.slug, grants.donation.pk])).content.decode()
    for name in ("open_licence_sme_only", "open_licence_provinces", "donation_sme_only", "donation_industries",
                 "donation_provinces"):
        assert f'name="{name}"' in page
    # an organisation that is no demonstration enterprise sets no donation rules
    org_actions.set_demonstration(grants.donor, actor=None, value=False, operator=True)
    page = client.get(reverse("owner_listing_edit", args=[grants.donor.slug, grants.donation.pk])).content.decode()
    assert 'name="open_licence_provinces"' in page and 'name="donation_provinces"' not in page


def test_owner_form_saves_the_eligibility_rules(client, grants):
    from django.urls import reverse

    from listings.models import Listing
    from tests.listings.test_owner import listing_post

    listing = grants.donation
    client.force_login(grants.donor_user)
    data = listing_post(patents=[p.pk for p in listing.patents.all()], title=listing.title, territory="Mainland China",
                        fee_model="lump_sum", lump_sum="80000", donation_quota="5", open_licence="on",
                        open_licence_sme_only="on", open_licence_provinces=["GD", "SC"],
                        donation_industries=["02"], donation_provinces=["NM"], save="1")
    response = client.post(reverse("owner_listing_edit", args=[grants.donor.slug, listing.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    listing = Listing.objects.get(pk=listing.pk)
    assert listing.open_licence and listing.open_licence_since is not None and listing.open_licence_sme_only
    assert listing.open_licence_provinces == ["GD", "SC"]
    assert listing.donation_sme_only is False  # unticked on the form
    assert (listing.donation_industries, listing.donation_provinces) == (["02"], ["NM"])
