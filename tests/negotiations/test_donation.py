"""Donated licences: an eligible SME claims one in one step (free, non-exclusive, signed by the SME, the donor's
consent being its published donation); one claim per organisation and listing; the quota holds; every refusal
gives the reason and changes nothing. The concurrent race is in test_donation_race.py (PostgreSQL)."""

from __future__ import annotations

import pytest

from listings import actions as listing_actions
from marketplace.actions import ActionError
from negotiations.actions import SignatureRefused
from marketplace.models import AuditEntry, Notification
from negotiations import actions
from negotiations.models import Agreement, AgreementStatus, Deal, DealOrigin, DealState, DonationClaim, Side
from negotiations.models.agreements import SignatureMethod
from tests.negotiations.grants import grants, sign  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
STATEMENT = "De-icing the blades of our two small wind farms in Inner Mongolia."


def claim(grants, org, listing=None, statement=STATEMENT, **changes):
    return actions.claim_donation(listing or grants.donation, org, actor=org.user, statement=statement,
                                  **sign(org.user, **changes))


def test_a_small_enterprise_claims_a_free_signed_licence(grants, django_capture_on_commit_callbacks):
    org = grants.make_sme("Tiny Cells", province="NM")
    with django_capture_on_commit_callbacks(execute=True):
        donation = claim(grants, org)
    deal = donation.deal
    assert deal.state == DealState.COMPLETED and deal.origin == DealOrigin.DONATION
    offer = deal.agreed_offer
    assert offer.licence_kind == "non_exclusive" and offer.fee_model == "free" and offer.lump_sum_minor == 0
    assert (donation.statement, donation.size_class, donation.province, donation.industry) == (
        STATEMENT, "small", "NM", "02")
    assert donation.value_forgone_minor == 8_000_000 and donation.currency == "CNY"  # the listing's list price
    agreement = Agreement.objects.get(deal=deal)
    assert agreement.status == AgreementStatus.SIGNED and agreement.final_sha256
    consent = agreement.signature_of(Side.LICENSOR)
    assert consent.method == SignatureMethod.STANDING_OFFER and "donated licence offer" in consent.consent_note
    assert agreement.signature_of(Side.LICENSEE).user == org.user
    entry = AuditEntry.objects.get(action="donation.claimed")
    assert entry.after["place"] == 1 and entry.after["quota"] == 5
    notice = Notification.objects.get(recipient=grants.donor_user, kind="deal.donation_claimed")
    assert notice.title == "Tiny Cells claimed a donated licence of “Wind blade de-icing coating”"
    assert "Place 1 of 5 is claimed" in notice.body


def test_a_second_claim_is_refused(grants):
    org = grants.make_sme("Tiny Cells")
    first = claim(grants, org)
    with pytest.raises(actions.AlreadyClaimed, match="has already claimed a donated licence") as caught:
        claim(grants, org)
    assert caught.value.deal == first.deal and DonationClaim.objects.count() == 1


def test_a_medium_enterprise_is_refused_with_its_class(grants):
    medium = grants.make_sme("Acme Ltd", size="medium")
    with pytest.raises(actions.NotEligible) as caught:
        claim(grants, medium)
    assert caught.value.reasons == [
        "This donated licence is for small and micro enterprises; Acme Ltd is classed as a medium enterprise "
        "(2011 SME classification)."]
    assert not Deal.objects.filter(licensee=medium).exists() and not DonationClaim.objects.exists()


def test_after_the_quota_the_claims_are_refused_in_order(grants):
    listing = listing_actions.update_listing(grants.donation, actor=grants.donor_user, donation_quota=3)
    orgs = [grants.make_sme(f"Cells {n}") for n in range(5)]
    outcomes = []
    for org in orgs:
        try:
            claim(grants, org, listing=listing)
            outcomes.append("claimed")
        except actions.QuotaUsedUp as exc:
            outcomes.append(str(exc))
    assert outcomes[:3] == ["claimed"] * 3
    assert outcomes[3:] == ["All 3 donated licences of “Wind blade de-icing coating” have been claimed: the quota is "
                            "used up."] * 2
    assert DonationClaim.objects.count() == 3
    assert Deal.objects.filter(origin=DealOrigin.DONATION, state=DealState.COMPLETED).count() == 3


def test_a_wrong_password_changes_nothing(grants):
    org = grants.make_sme("Tiny Cells")
    with pytest.raises(SignatureRefused, match="password is not right"):
        claim(grants, org, password="wrong")
    assert not DonationClaim.objects.exists() and not Deal.objects.exists() and not Agreement.objects.exists()
    assert AuditEntry.objects.filter(action="donation.signature_refused").exists()


@pytest.mark.parametrize("statement, message", [("  ", "what you will use the licence for"),
                                                ("ab", r"at least 20 characters .* \(this has 2\)"),
                                                ("x" * 1001, "At most 1000 characters")])
def test_the_statement_of_intended_use_is_required_and_short(grants, statement, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=message):
        claim(grants, grants.make_sme("Tiny Cells"), statement=statement)
    assert not Deal.objects.exists()


def test_a_listing_without_quota_offers_nothing(grants):
    with pytest.raises(actions.NotEligible, match="offers no donated licences"):
        claim(grants, grants.make_sme("Tiny Cells"), listing=grants.free_open)


def test_an_agreement_that_cannot_be_produced_records_nothing(grants, monkeypatch):
    from negotiations import pdf as pdfs

    def broken(html, **kwargs):
        raise OSError("no fonts today")

    monkeypatch.setattr(pdfs, "render_pdf", broken)
    with pytest.raises(ActionError, match="could not be produced just now, so nothing was recorded"):
        claim(grants, grants.make_sme("Tiny Cells"))
    assert not DonationClaim.objects.exists() and not Deal.objects.exists() and not Agreement.objects.exists()


def test_the_quota_cannot_go_below_the_licences_claimed(grants):
    for n in range(2):
        claim(grants, grants.make_sme(f"Cells {n}"))
    with pytest.raises(ActionError, match="2 donated licences are already claimed"):
        listing_actions.update_listing(grants.donation, actor=grants.donor_user, donation_quota=1)
    assert listing_actions.update_listing(grants.donation, actor=grants.donor_user, donation_quota=2).donation_quota == 2
