"""As new users, in a browser: a small enterprise on a phone claims a donated licence from the listing page in one
form and lands on its deal with the signed PDF to download; a medium enterprise sees why it is refused and nothing
to sign."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from negotiations import actions
from negotiations.models import DonationClaim
from tests.conftest import PASSWORD
from tests.e2e.conftest import off_the_event_loop
from tests.negotiations.grants import grants, sign  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_small_enterprise_claims_and_a_medium_one_is_refused(page, live_server, login, shoot, request):
    def set_up():
        grants = request.getfixturevalue("grants")
        for n in range(2):
            early = grants.make_sme(f"Early Cells {n}")
            actions.claim_donation(grants.donation, early, actor=early.user, statement="Pilot line of de-icing coatings.",
                                   **sign(early.user))
        return grants, grants.make_sme("Tiny Cells"), grants.make_sme("Acme Ltd", size="medium")

    grants, small, medium = off_the_event_loop(set_up)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, small.user.email)
    page.goto(f"{live_server.url}{grants.donation.get_absolute_url()}")
    expect(page.locator("#donation-places")).to_have_text("2 of 5 places claimed")
    button = page.locator("#claim-donation")
    expect(button).to_be_in_viewport()  # under the terms, before the patents
    button.click()
    page.fill("textarea[name=statement]", "De-icing the blades of our wind farm.")
    page.fill("input[name=typed_name]", small.user.full_name)
    page.check("input[name=confirmed]")
    page.fill("input[name=password]", PASSWORD)
    shoot(page, "donation-claim-phone")
    page.click("#grant-form button[type=submit]")
    expect(page.get_by_role("link", name="Download the signed PDF")).to_be_visible()
    shoot(page, "donation-deal-phone")
    page.goto(f"{live_server.url}{grants.donation.get_absolute_url()}")
    expect(page.locator("#donation-held")).to_have_text("Your organisation holds this licence — open the deal")
    expect(page.locator("#claim-donation")).to_have_count(0)
    shoot(page, "donation-listing-held-phone")
    assert DonationClaim.objects.filter(organisation=small).count() == 1

    page.context.clear_cookies()
    login(page, medium.user.email)
    page.goto(f"{live_server.url}{grants.donation.get_absolute_url()}")  # the listing says why, with no button
    refused = page.locator("#donation-refused")
    expect(refused).to_contain_text("Acme Ltd is classed as a medium enterprise (2011 SME classification).")
    expect(refused).to_be_in_viewport()
    expect(page.locator("#claim-donation")).to_have_count(0)
    shoot(page, "donation-listing-refused-phone")
    page.goto(f"{live_server.url}/deals/donation/{grants.donation.pk}/")
    expect(page.locator("#not-eligible")).to_contain_text(
        "Acme Ltd is classed as a medium enterprise (2011 SME classification).")
    expect(page.locator("#grant-form")).to_have_count(0)
    shoot(page, "donation-refused-phone")


def test_a_new_sme_accepts_an_open_licence_and_downloads_the_signed_pdf_in_chinese(
        page, live_server, login, shoot, request, tmp_path):
    """The issue's first journey: from the listing page to the signed PDF in one form, here in Chinese on a
    desktop; the PDF holds the Chinese agreement and the certificate of completion as text, not boxes."""
    from negotiations.pdf import text_of

    def set_up():
        grants = request.getfixturevalue("grants")
        return grants, grants.make_sme("Tiny Cells")

    grants, small = off_the_event_loop(set_up)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    login(page, small.user.email)
    page.goto(f"{live_server.url}{grants.free_open.get_absolute_url()}")
    button = page.locator("#accept-open-licence")
    expect(button).to_have_text("接受开放许可")
    expect(button).to_be_in_viewport()
    button.click()
    page.fill("input[name=typed_name]", small.user.full_name)
    page.check("input[name=confirmed]")
    page.fill("input[name=password]", PASSWORD)
    shoot(page, "open-licence-accept-zh")
    page.click("#grant-form button[type=submit]")
    link = page.get_by_role("link", name="下载已签署的 PDF")
    expect(link).to_be_visible()
    shoot(page, "open-licence-deal-zh")
    with page.expect_download() as download:
        link.click()
    signed = tmp_path / "signed.pdf"
    download.value.save_as(signed)
    text = text_of(signed.read_bytes())
    assert "专利实施许可合同" in text and "Tiny Cells" in text and "Northern Power Group" in text
    assert "Certificate of completion" in text
