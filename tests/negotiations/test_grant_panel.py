"""The listing page's panel of one-step licences (negotiations.panels, through listings.panels): everyone sees who
an offer is for; an ineligible organisation sees why instead of the button; a holder sees its deal. And the one-step
forms: password guesses are throttled, the statement of use has a minimum, the page says what is signed."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from listings import actions as listing_actions
from listings import panels
from negotiations import actions
from negotiations.models import DonationClaim
from tests.conftest import PASSWORD
from tests.negotiations.grants import grants, sign  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

STATEMENT = "De-icing the blades of our wind farm."


def page_of(client, listing) -> str:
    return client.get(listing.get_absolute_url()).content.decode()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_negotiations_registers_its_panel_with_listings():
    assert "negotiations.grants" in panels._panels


def test_a_medium_enterprise_sees_why_instead_of_the_button(client, grants):
    medium = grants.make_sme("Acme Ltd", size="medium")
    client.force_login(medium.user)
    page = page_of(client, grants.donation)
    assert 'id="claim-donation"' not in page and 'id="donation-refused"' in page
    assert "Acme Ltd is classed as a medium enterprise (2011 SME classification)." in text(page)
    assert "For small and micro enterprises only" in page


def test_a_research_institute_sees_why_instead_of_the_button(client, grants, make_user, make_org):
    user = make_user("lab@example.com", full_name="Lab Head")
    make_org("Grid Lab", kind="research_institute", owner=user, verified=True, province="GD")
    client.force_login(user)
    page = page_of(client, grants.donation)
    assert 'id="claim-donation"' not in page and 'id="donation-refused"' in page
    assert "Grid Lab" in text(page)


def test_the_restrictions_of_an_open_licence_are_shown_to_everyone(client, grants):
    listing = listing_actions.update_listing(grants.free_open, actor=grants.donor_user, open_licence_sme_only=True,
                                             open_licence_provinces=["GD"])
    page = page_of(client, listing)  # anonymous: the restriction and the button (its page asks to log in)
    assert "For small and micro enterprises only" in page and "For organisations in: Guangdong" in page
    assert 'id="accept-open-licence"' in page
    client.force_login(grants.make_sme("Tiny Cells").user)  # eligible: the button
    assert 'id="accept-open-licence"' in page_of(client, listing)
    client.force_login(grants.make_sme("Far Cells", province="SC").user)
    page = page_of(client, listing)
    assert 'id="accept-open-licence"' not in page and 'id="open-licence-refused"' in page
    assert "This open licence is for organisations in Guangdong; Far Cells is in Sichuan." in text(page)


def test_a_user_without_an_organisation_gets_the_button_to_the_explaining_page(client, grants, make_user):
    client.force_login(make_user("solo@example.com", full_name="Solo"))
    page = page_of(client, grants.donation)
    assert 'id="claim-donation"' in page
    assert 'id="no-organisation"' in client.get(reverse("donation_claim", args=[grants.donation.pk])).content.decode()


def test_after_claiming_or_accepting_the_listing_links_to_the_deal(client, grants):
    org = grants.make_sme("Tiny Cells")
    claim = actions.claim_donation(grants.donation, org, actor=org.user, statement=STATEMENT, **sign(org.user))
    deal = actions.accept_open_licence(grants.free_open, org, actor=org.user, **sign(org.user))
    client.force_login(org.user)
    page = page_of(client, grants.donation)
    assert 'id="claim-donation"' not in page and "Claim a free licence" not in page
    assert "Your organisation holds this licence — open the deal" in page
    assert f'href="{claim.deal.get_absolute_url()}" id="donation-held"' in page
    page = page_of(client, grants.free_open)
    assert "Accept the open licence" not in page
    assert f'href="{deal.get_absolute_url()}" id="open-licence-held"' in page


def test_one_step_listings_do_not_say_the_terms_are_negotiated(client, grants):
    page = page_of(client, grants.donation)
    assert "The final terms are negotiated with the owner." not in page
    assert "A donated licence is granted in one step on these standing terms" in page
    assert "The final terms are negotiated with the owner." not in page_of(client, grants.free_open)


def test_wrong_passwords_are_throttled(client, grants):
    org = grants.make_sme("Tiny Cells")
    client.force_login(org.user)
    url = reverse("open_licence_accept", args=[grants.free_open.pk])
    data = {"typed_name": org.user.full_name, "confirmed": "on", "password": "wrong"}
    statuses = [client.post(url, data).status_code for _ in range(12)]
    assert statuses[0] == 200 and statuses[-1] == 429
    response = client.post(url, {**data, "password": PASSWORD})  # still refused, even with the right one
    assert response.status_code == 429
    assert "Too many signing attempts: try again in 15 minutes." in response.content.decode()
    assert not org.deals_as_licensee.exists()
    donation = reverse("donation_claim", args=[grants.donation.pk])  # the same counter as the agreement forms
    assert client.post(donation, {**data, "statement": STATEMENT}).status_code == 429


def test_a_two_character_statement_is_refused(client, grants):
    org = grants.make_sme("Tiny Cells")
    client.force_login(org.user)
    data = {"typed_name": org.user.full_name, "confirmed": "on", "password": PASSWORD, "statement": "ab"}
    page = client.post(reverse("donation_claim", args=[grants.donation.pk]), data).content.decode()
    assert "Say in at least 20 characters what you will use the licence for (this has 2)." in page
    assert not DonationClaim.objects.exists()


def test_the_grant_page_lists_the_patents_and_says_what_is_signed(client, grants):
    client.force_login(grants.make_sme("Tiny Cells").user)
    page = client.get(reverse("donation_claim", args=[grants.donation.pk])).content.decode()
    patent = grants.donation.patents.get()
    section = page[page.index('id="grant-patents"'):]
    assert patent.display_number in section and patent.title in section and "2039" in section
    said = text(page[page.index('id="what-you-sign"'):])
    assert "bilingual (English and Chinese) licence agreement" in said and "fixed terms" in said
    assert "download it from the deal page right after signing" in said


def test_the_agreement_can_be_previewed_without_storing_anything(client, grants, make_user):
    from negotiations.models import Agreement, Deal

    org = grants.make_sme("Tiny Cells")
    client.force_login(org.user)
    page = client.get(reverse("donation_claim", args=[grants.donation.pk])).content.decode()
    preview = reverse("donation_preview", args=[grants.donation.pk])
    assert f'href="{preview}?organisation={org.slug}"' in page
    response = client.get(f"{preview}?organisation={org.slug}")
    html = response.content.decode()
    assert response.status_code == 200 and "PREVIEW" in html and "not signed" in html
    assert "Tiny Cells" in html and "Northern Power Group" in html
    assert grants.donation.patents.get().display_number.replace(" ", "") in html.replace(" ", "")
    assert not Deal.objects.exists() and not Agreement.objects.exists()
    assert client.get(reverse("open_licence_preview", args=[grants.free_open.pk])).status_code == 200
    assert client.get(f"{preview}?organisation={grants.donor.slug}").status_code == 404  # not the viewer's
    client.force_login(grants.donor_user)  # the owner's members have no licensee to preview for
    assert client.get(preview).status_code == 404
    client.force_login(make_user("solo@example.com", full_name="Solo"))
    assert client.get(preview).status_code == 404
    client.logout()
    assert client.get(preview).status_code == 302
