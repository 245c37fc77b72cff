"""One-click open licences: an eligible organisation accepts the standing terms in one step — the deal is created
agreed on the listing's terms as a non-exclusive licence, the agreement generated, the licensor's consent recorded
as its published open licence, the licensee's signature taken; a free licence is completed at once (final signed
PDF), a paid one awaits payment. Refusals change nothing."""

from __future__ import annotations

import pytest

from listings import actions as listing_actions
from marketplace.models import AuditEntry, MemberRole, Notification
from marketplace import actions as org_actions
from marketplace.actions import NotAllowed
from negotiations.actions import SignatureRefused
from negotiations import actions
from negotiations.models import Agreement, AgreementStatus, Deal, DealOrigin, DealState, Side
from negotiations.models.agreements import SignatureMethod
from tests.negotiations.grants import grants, sign  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def accept(grants, org, listing=None, **changes):
    return actions.accept_open_licence(listing or grants.free_open, org, actor=org.user, **sign(org.user, **changes))


def test_a_free_open_licence_is_completed_with_a_final_signed_pdf(grants, django_capture_on_commit_callbacks):
    org = grants.make_sme("Tiny Cells")
    with django_capture_on_commit_callbacks(execute=True):
        deal = accept(grants, org)
    assert deal.state == DealState.COMPLETED and deal.origin == DealOrigin.OPEN_LICENCE
    assert deal.licensor == grants.donor and deal.licensee == org and deal.opened_side == Side.LICENSEE
    offer = deal.agreed_offer
    assert offer.version == 1 and offer.status == "accepted" and offer.licence_kind == "non_exclusive"
    assert offer.fee_model == "free" and offer.territory == ["CN"]
    agreement = Agreement.objects.get(deal=deal)
    assert agreement.status == AgreementStatus.SIGNED and agreement.final_sha256
    consent = agreement.signature_of(Side.LICENSOR)
    assert consent.method == SignatureMethod.STANDING_OFFER
    assert "open licence of listing" in consent.consent_note and "Northern Power Group" in consent.consent_note
    assert "Dora Donor" in consent.consent_note  # who published it
    signature = agreement.signature_of(Side.LICENSEE)
    assert signature.user == org.user and signature.typed_name == "Tiny Cells Owner"
    assert AuditEntry.objects.filter(action="open_licence.accepted", organisation=org).exists()
    notice = Notification.objects.get(recipient=grants.donor_user, kind="deal.open_licence_accepted")
    assert notice.title == "Tiny Cells accepted the open licence of “Transformer oil cooling”"
    assert not Notification.objects.filter(recipient=org.user, kind="deal.open_licence_accepted").exists()


def test_a_paid_open_licence_awaits_payment(grants):
    org = grants.make_sme("Tiny Cells")
    deal = accept(grants, org, listing=grants.paid_open)
    assert deal.state == DealState.AWAITING_PAYMENT
    assert deal.agreed_offer.fee_model == "lump_sum" and deal.agreed_offer.lump_sum_minor == 5_000_000
    assert deal.agreed_offer.licence_kind == "non_exclusive"  # the listing also offers exclusive licences


def test_a_wrong_password_changes_nothing_and_is_logged(grants):
    org = grants.make_sme("Tiny Cells")
    with pytest.raises(SignatureRefused, match="password is not right"):
        accept(grants, org, password="not-my-password")
    assert not Deal.objects.filter(licensee=org).exists() and not Agreement.objects.exists()
    assert AuditEntry.objects.filter(action="open_licence.signature_refused", organisation=org).exists()
    assert not Notification.objects.filter(kind="deal.open_licence_accepted").exists()


def test_a_second_acceptance_is_refused(grants):
    org = grants.make_sme("Tiny Cells")
    first = accept(grants, org)
    with pytest.raises(actions.AlreadyClaimed, match="Tiny Cells already holds the open licence") as caught:
        accept(grants, org)
    assert caught.value.deal == first and Deal.objects.filter(licensee=org).count() == 1


def test_an_ineligible_organisation_is_refused_with_the_reasons(grants):
    listing = listing_actions.update_listing(grants.free_open, actor=grants.donor_user, open_licence_sme_only=True,
                                             open_licence_provinces=["SC"])
    medium = grants.make_sme("Midsize Motors", size="medium")
    with pytest.raises(actions.NotEligible) as caught:
        accept(grants, medium, listing=listing)
    assert len(caught.value.reasons) == 2
    assert "Midsize Motors is classed as a medium enterprise" in str(caught.value)
    assert not Deal.objects.filter(licensee=medium).exists()


def test_a_member_who_is_no_signatory_cannot_accept(grants, make_user):
    org = grants.make_sme("Tiny Cells")
    member = make_user("member@tiny.example", full_name="Mo Member")
    org_actions.add_member(org, user=member, role=MemberRole.MEMBER, actor=None, operator=True)
    with pytest.raises(NotAllowed, match="Only an owner or an authorised signatory"):
        actions.accept_open_licence(grants.free_open, org, actor=member, **sign(member))
    with pytest.raises(NotAllowed):
        actions.accept_open_licence(grants.free_open, org, actor=grants.donor_user, **sign(grants.donor_user))


def test_an_open_negotiation_of_the_same_organisation_is_refused_cleanly(grants):
    org = grants.make_sme("Tiny Cells")
    room = actions.open_deal(grants.free_open, org, actor=org.user)
    with pytest.raises(actions.AlreadyClaimed, match="already has an open deal room") as caught:
        accept(grants, org)
    assert caught.value.deal == room and Deal.objects.filter(licensee=org).count() == 1


def test_withdrawing_the_open_licence_keeps_the_licences_granted(grants):
    org = grants.make_sme("Tiny Cells")
    deal = accept(grants, org)
    listing = listing_actions.update_listing(grants.free_open, actor=grants.donor_user, open_licence=False)
    assert listing.open_licence is False and listing.open_licence_since is None
    deal.refresh_from_db()
    assert deal.state == DealState.COMPLETED and deal.agreed_offer.licence_kind == "non_exclusive"
    assert Agreement.objects.get(deal=deal).status == AgreementStatus.SIGNED
    with pytest.raises(actions.NotEligible, match="has no open licence"):
        accept(grants, grants.make_sme("Later Cells"))


def test_an_exclusive_licence_agreed_before_blocks_the_open_licence_in_its_territory(grants):
    listing = grants.paid_open
    listing_actions.update_listing(listing, actor=grants.donor_user, open_licence=False)
    first = grants.make_sme("First Cells")
    deal = actions.open_deal(listing, first, actor=first.user,
                             terms={**actions.first_terms(listing), "licence_kind": "exclusive", "territory": ["CN-GD"]})
    actions.accept_offer(deal, actor=grants.donor_user, version=1)
    listing = listing_actions.update_listing(listing, actor=grants.donor_user, open_licence=True)
    with pytest.raises(actions.NotEligible, match="already licensed exclusively in Guangdong Province"):
        accept(grants, grants.make_sme("Second Cells"), listing=listing)


@pytest.mark.parametrize("changes, message", [({"typed_name": "Someone Else"}, "does not match the name"),
                                              ({"confirmed": False}, "Tick the box")])
def test_a_mismatched_name_or_unticked_box_changes_nothing(grants, changes, message):
    org = grants.make_sme("Tiny Cells")
    with pytest.raises(SignatureRefused, match=message):
        accept(grants, org, **changes)
    assert not Deal.objects.filter(licensee=org).exists() and not Agreement.objects.exists()


def test_after_a_refused_signature_the_next_attempt_succeeds(grants):
    org = grants.make_sme("Tiny Cells")
    with pytest.raises(SignatureRefused):
        accept(grants, org, password="not-my-password")
    deal = accept(grants, org)
    assert deal.state == DealState.COMPLETED and Agreement.objects.get(deal=deal).final_sha256


def test_the_consent_names_the_licensor_when_nobody_is_recorded_as_publisher(grants):
    from listings.models import Listing

    listing = grants.free_open
    AuditEntry.objects.for_target(listing).update(actor=None)  # e.g. published by an import, or the user deleted
    Listing.objects.filter(pk=listing.pk).update(created_by=None)
    listing.refresh_from_db()
    deal = accept(grants, grants.make_sme("Tiny Cells"), listing=listing)
    note = Agreement.objects.get(deal=deal).signature_of(Side.LICENSOR).consent_note
    assert "on PatentBridge (Northern Power Group, " in note and "—" not in note
    assert "（Northern Power Group，" in note
