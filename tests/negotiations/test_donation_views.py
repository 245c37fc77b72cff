"""The pages of one-step licences: the listing shows the buttons and the places claimed; the open-licence and
donation pages show the fixed terms, the eligibility result (an ineligible organisation sees why and nothing to
click), and one form; login required; 404 for listings that are not browsable or offer nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from listings import actions as listing_actions
from marketplace import actions as org_actions
from negotiations.models import DealState, DonationClaim
from tests.conftest import PASSWORD
from tests.negotiations.grants import grants  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def open_url(listing):
    return reverse("open_licence_accept", args=[listing.pk])


def donation_url(listing):
    return reverse("donation_claim", args=[listing.pk])


def post(user, *, statement=None, password=PASSWORD, organisation=None, **extra):
    data = {"typed_name": user.full_name, "confirmed": "on", "password": password, **extra}
    if statement is not None:
        data["statement"] = statement
    if organisation is not None:
        data["organisation"] = organisation.slug
    return data


def test_the_listing_shows_the_buttons_and_places(client, grants):
    org = grants.make_sme("Tiny Cells")
    client.force_login(org.user)
    page = client.get(grants.donation.get_absolute_url()).content.decode()
    assert 'id="claim-donation"' in page and donation_url(grants.donation) in page
    assert "0 of 5 places claimed" in page
    page = client.get(grants.free_open.get_absolute_url()).content.decode()
    assert 'id="accept-open-licence"' in page and open_url(grants.free_open) in page
    client.force_login(grants.donor_user)  # not for the owner's members, who see the places claimed
    assert 'id="accept-open-licence"' not in client.get(grants.free_open.get_absolute_url()).content.decode()
    page = client.get(grants.donation.get_absolute_url()).content.decode()
    assert 'id="claim-donation"' not in page and "0 of 5 places claimed" in page


def test_anonymous_visitors_see_the_button_and_are_asked_to_log_in(client, grants):
    assert 'id="claim-donation"' in client.get(grants.donation.get_absolute_url()).content.decode()
    response = client.get(donation_url(grants.donation))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_open_licence_page_shows_the_terms_and_the_form(client, grants):
    org = grants.make_sme("Tiny Cells")
    client.force_login(org.user)
    page = client.get(open_url(grants.paid_open)).content.decode()
    assert "Non-exclusive licence" in page and "¥50,000.00" in page
    assert 'id="grant-form"' in page and 'name="password"' in page and 'name="statement"' not in page
    assert 'id="payment-note"' in page


def test_an_ineligible_organisation_sees_why_and_nothing_to_click(client, grants):
    medium = grants.make_sme("Acme Ltd", size="medium")
    client.force_login(medium.user)
    page = client.get(donation_url(grants.donation)).content.decode()
    assert "Acme Ltd is classed as a medium enterprise (2011 SME classification)." in page
    assert 'id="grant-form"' not in page and 'name="password"' not in page


def test_an_organisation_without_profile_gets_the_link_to_fill_it(client, grants):
    blank = grants.make_sme("Blank Cells", profile=False)
    client.force_login(blank.user)
    page = client.get(donation_url(grants.donation)).content.decode()
    assert 'id="fill-profile"' in page and reverse("sme_profile_edit", args=[blank.slug]) in page


@pytest.mark.parametrize("change", ["draft", "paused", "nothing"])
def test_404_for_listings_not_browsable_or_without_the_offer(client, grants, change):
    org = grants.make_sme("Tiny Cells")
    client.force_login(org.user)
    if change == "paused":
        listing_actions.pause_listing(grants.donation, actor=grants.donor_user)
        listing_actions.pause_listing(grants.free_open, actor=grants.donor_user)
        assert client.get(donation_url(grants.donation)).status_code == 404
        assert client.get(open_url(grants.free_open)).status_code == 404
    elif change == "draft":
        patent, _ = listing_actions.save_patent(grants.donor, actor=grants.donor_user, number="CN399999999B",
                                                title="Draft patent")
        draft = listing_actions.create_listing(grants.donor, actor=grants.donor_user, patents=[patent],
                                               open_licence=True, donation_quota=3)
        assert client.get(donation_url(draft)).status_code == 404
        assert client.get(open_url(draft)).status_code == 404
    else:
        assert client.get(open_url(grants.donation)).status_code == 404  # no open licence
        assert client.get(donation_url(grants.free_open)).status_code == 404  # no donation quota
        assert client.get(reverse("donation_claim", args=[999_999])).status_code == 404


def test_a_successful_claim_goes_to_the_deal_page(client, grants):
    org = grants.make_sme("Tiny Cells")
    client.force_login(org.user)
    response = client.post(donation_url(grants.donation), post(org.user, statement="Blade de-icing on our wind farm."))
    claim = DonationClaim.objects.get()
    assert response.status_code == 302 and response["Location"] == claim.deal.get_absolute_url()
    assert claim.deal.state == DealState.COMPLETED
    deal_page = client.get(claim.deal.get_absolute_url()).content.decode()
    assert 'id="deal-origin"' in deal_page and "Donated licence" in deal_page
    page = client.get(grants.donation.get_absolute_url()).content.decode()
    assert "1 of 5 places claimed" in page
    page = client.get(donation_url(grants.donation)).content.decode()
    assert 'id="already-held"' in page and 'id="grant-form"' not in page


def test_a_wrong_password_shows_the_refusal_and_changes_nothing(client, grants):
    org = grants.make_sme("Tiny Cells")
    client.force_login(org.user)
    response = client.post(open_url(grants.free_open), post(org.user, password="wrong"))
    assert response.status_code == 200 and 'id="grant-errors"' in response.content.decode()
    assert not org.deals_as_licensee.exists()


def test_a_missing_statement_or_box_is_asked_for(client, grants):
    org = grants.make_sme("Tiny Cells")
    client.force_login(org.user)
    data = post(org.user, statement="")
    del data["confirmed"]
    page = client.post(donation_url(grants.donation), data).content.decode()
    assert page.count("invalid-feedback") >= 2 and not DonationClaim.objects.exists()


def test_a_user_with_several_organisations_picks_one(client, grants, make_org):
    org = grants.make_sme("Tiny Cells")
    second = make_org("Second Cells", kind="sme", owner=org.user, verified=True, province="GD")
    org_actions.save_sme_profile(second, actor=org.user, industry="02", employees=40, annual_revenue_cny=5_000_000,
                                 total_assets_cny=None)
    client.force_login(org.user)
    page = client.get(donation_url(grants.donation)).content.decode()
    assert 'id="choose-organisation"' in page and 'id="grant-form"' not in page
    page = client.get(donation_url(grants.donation) + f"?organisation={second.slug}").content.decode()
    assert 'id="grant-form"' in page and f'value="{second.slug}"' in page
    assert client.get(donation_url(grants.donation) + "?organisation=" + grants.donor.slug).status_code == 404
    response = client.post(donation_url(grants.donation), post(org.user, statement="Pilot use on our production line.", organisation=second))
    assert response.status_code == 302 and DonationClaim.objects.get().organisation == second


def test_the_owner_sees_no_form(client, grants):
    client.force_login(grants.donor_user)
    page = client.get(donation_url(grants.donation)).content.decode()
    assert 'id="no-organisation"' in page and 'id="grant-form"' not in page


def test_an_sme_accepts_an_open_licence_and_downloads_its_signed_pdf(client, grants, make_user):
    from negotiations import pdf

    org = grants.make_sme("Tiny Cells")
    client.force_login(org.user)
    assert 'id="grant-form"' in client.get(open_url(grants.free_open)).content.decode()
    response = client.post(open_url(grants.free_open), post(org.user))
    deal = org.deals_as_licensee.get()
    assert response.status_code == 302 and response["Location"] == deal.get_absolute_url()
    assert deal.state == DealState.COMPLETED
    signed_url = reverse("deal_agreement_signed_pdf", args=[deal.pk, 1])
    download = client.get(signed_url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    text = pdf.text_of(b"".join(download.streaming_content))
    assert "Tiny Cells" in text and "Northern Power Group" in text
    assert "By the published standing offer" in text and "Consent of Northern Power Group" in text
    outsider = make_user("nosy@example.com")
    client.force_login(outsider)
    assert client.get(signed_url).status_code == 404


def test_when_every_place_is_claimed_the_listing_says_so(client, grants):
    from negotiations import actions
    from tests.negotiations.grants import sign

    listing = listing_actions.update_listing(grants.donation, actor=grants.donor_user, donation_quota=1)
    first = grants.make_sme("First Cells")
    actions.claim_donation(listing, first, actor=first.user, statement="Pilot use on our production line.", **sign(first.user))
    late = grants.make_sme("Late Cells")
    client.force_login(late.user)
    page = client.get(listing.get_absolute_url()).content.decode()
    assert "All donated licences claimed" in page and 'id="claim-donation"' not in page
    assert "1 of 1 places claimed" in page
    page = client.get(donation_url(listing)).content.decode()
    assert "The 1 donated licence of “Wind blade de-icing coating” has been claimed." in page
    assert 'id="grant-form"' not in page
