"""What the second signature does: the final PDF (signed PDF + signature page + certificate of completion), stored
once and never changed; the deal completed or awaiting payment; an exclusive licence takes the listing off the
market; standing consent of open licences; revisions; backing out; a PDF that fails to render."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from listings.models import ListingState
from marketplace.actions import ActionError, NotAllowed
from marketplace.models import Notification
from negotiations import actions
from negotiations import pdf as pdfs
from negotiations.models import AgreementStatus, Deal, DealOrigin, DealState, ImmutableAgreement, Side
from negotiations.storage import AlreadyStored
from tests.negotiations.agreements import agree, normal, sign, sign_both, signers  # noqa: F401 - fixture
from tests.negotiations.parties import parties  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _read(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def test_the_final_pdf_is_the_signed_pdf_plus_the_certificate(signers):
    deal, agreement = agree(signers)
    agreement = sign_both(signers, agreement)
    signed, final = _read(agreement.pdf), _read(agreement.final_pdf)
    assert pdfs.sha256(final) == agreement.final_sha256 and pdfs.sha256(signed) == agreement.pdf_sha256
    signed_pages = pdfs.page_count(signed)
    assert pdfs.page_count(final) > signed_pages
    assert final.count(b"%PDF") >= 1 and pdfs.text_of(final).startswith(pdfs.text_of(signed)[:200])
    certificate = normal(pdfs.text_of(final)[len(pdfs.text_of(signed)):])
    assert "Signature page" in certificate and "Certificate of completion" in certificate
    assert "Sam Smallfirm" in certificate and "Lena Licensor" in certificate
    assert "203.0.113.7" in certificate and "Mozilla/5.0 test" in certificate
    assert agreement.pdf_sha256[:32] in certificate.replace(" ", "")
    assert "Term sheet accepted" in certificate and "Licence agreement produced" in certificate  # the deal history
    assert "/agreements/verify/" in certificate


def test_a_signed_agreement_cannot_be_written_again(signers):
    deal, agreement = agree(signers)
    agreement = sign_both(signers, agreement)
    agreement.final_sha256 = "0" * 64
    with pytest.raises(ImmutableAgreement):
        agreement.save()
    agreement.refresh_from_db()
    agreement.html_en = "<p>other words</p>"
    with pytest.raises(ImmutableAgreement):
        agreement.save()
    agreement.refresh_from_db()
    with pytest.raises(AlreadyStored):
        storages["agreements"].save(agreement.final_pdf.name, ContentFile(b"%PDF-1.7 forged"))
    with pytest.raises(AlreadyStored):
        storages["agreements"].delete(agreement.pdf.name)
    signature = agreement.signatures.first()
    signature.typed_name = "Someone Else"
    with pytest.raises(ImmutableAgreement):
        signature.save()
    assert pdfs.sha256(_read(agreement.final_pdf)) == agreement.final_sha256


def test_a_stored_pdf_changed_behind_the_platforms_back_is_not_signed(signers, tmp_path):
    deal, agreement = agree(signers)
    path = storages["agreements"].path(agreement.pdf.name)
    with open(path, "ab") as handle:
        handle.write(b"% tampered")
    with pytest.raises(actions.SignatureRefused) as refused:
        sign(agreement, signers.licensee_user)
    assert refused.value.code == "hash_mismatch" and agreement.signatures.count() == 0


def test_a_free_licence_completes_at_once(signers):
    deal, agreement = agree(signers, licence_kind="non_exclusive", fee_model="free", lump_sum_minor=0)
    sign_both(signers, agreement)
    deal.refresh_from_db()
    assert deal.state == DealState.COMPLETED
    signers.listing.refresh_from_db()
    assert signers.listing.state == ListingState.PUBLISHED  # a non-exclusive licence leaves it on the market


def test_a_paid_licence_waits_for_payment_then_completes(signers):
    deal, agreement = agree(signers)
    sign_both(signers, agreement)
    deal.refresh_from_db()
    assert deal.state == DealState.AWAITING_PAYMENT
    actions.complete_deal(deal)
    assert deal.state == DealState.COMPLETED
    with pytest.raises(ActionError, match="not awaiting payment"):
        actions.complete_deal(deal)


def test_a_royalty_only_licence_has_nothing_due_upfront(signers):
    deal, agreement = agree(signers, fee_model="royalty", lump_sum_minor=0, royalty_rate_bp=500)
    sign_both(signers, agreement)
    deal.refresh_from_db()
    assert deal.state == DealState.COMPLETED


@pytest.mark.parametrize("kind, fee", [("exclusive", "free"), ("assignment", "lump_sum")])
def test_completing_an_exclusive_licence_or_an_assignment_licenses_the_listing_out(signers, kind, fee):
    terms = {"licence_kind": kind, "fee_model": fee}
    if fee == "free":
        terms["lump_sum_minor"] = 0
    deal, agreement = agree(signers, **terms)
    sign_both(signers, agreement)
    deal.refresh_from_db()
    if deal.state == DealState.AWAITING_PAYMENT:
        signers.listing.refresh_from_db()
        assert signers.listing.state == ListingState.PUBLISHED  # not before the licence is granted
        actions.complete_deal(deal)
    assert deal.state == DealState.COMPLETED
    signers.listing.refresh_from_db()
    assert signers.listing.state == ListingState.LICENSED_OUT


def test_each_step_notifies_the_other_side(signers):
    deal, agreement = agree(signers)
    assert Notification.objects.filter(kind="deal.agreement_ready", recipient=signers.licensee_user).exists()
    sign(agreement, signers.licensee_user)
    told = Notification.objects.get(kind="deal.agreement_signed", recipient=signers.licensor_user)
    assert "Tiny Cells Ltd signed the licence agreement" in told.title
    assert not Notification.objects.filter(kind="deal.agreement_signed", recipient=signers.licensee_user).exists()
    sign(agreement, signers.licensor_user)
    done = Notification.objects.get(kind="deal.agreement_completed", recipient=signers.licensee_user)
    assert done.url == f"/deals/{deal.pk}/agreement/" and "licence fee is now due" in done.body
    types = list(deal.events.values_list("type", flat=True))
    assert types.count("deal.agreement_signed") == 2 and types[-1] == "deal.agreement_changed"


def test_an_open_licence_is_signed_by_the_licensee_alone(signers):
    deal, agreement = agree(signers, fee_model="free", lump_sum_minor=0)
    with pytest.raises(ActionError, match="negotiated agreement"):
        actions.record_standing_consent(agreement, note="Published")
    Deal.objects.filter(pk=deal.pk).update(origin=DealOrigin.OPEN_LICENCE)
    consent = actions.record_standing_consent(agreement, note="Open licence published on 2026-11-01 by Lena")
    assert consent.side == Side.LICENSOR and consent.user is None and consent.pdf_sha256 == agreement.pdf_sha256
    with pytest.raises(actions.SignatureRefused, match="already signed"):
        sign(agreement, signers.licensor_user)
    sign(agreement, signers.licensee_user)
    agreement.refresh_from_db()
    deal.refresh_from_db()
    assert agreement.status == AgreementStatus.SIGNED and deal.state == DealState.COMPLETED
    assert "Open licence published on 2026-11-01" in normal(pdfs.text_of(_read(agreement.final_pdf)))


def test_a_revised_version_keeps_the_signed_one_until_it_is_signed(signers):
    deal, first = agree(signers, fee_model="free", lump_sum_minor=0)
    sign_both(signers, first)
    second = actions.generate_agreement(deal, offer=first.offer)
    first.refresh_from_db()
    deal.refresh_from_db()
    assert second.version == 2 and second.status == AgreementStatus.SIGNING
    assert first.status == AgreementStatus.SIGNED and deal.state == DealState.COMPLETED
    sign_both(signers, second)
    first.refresh_from_db()
    deal.refresh_from_db()
    assert first.status == AgreementStatus.SUPERSEDED and second.status == AgreementStatus.SIGNED
    assert deal.state == DealState.COMPLETED


def test_backing_out_while_signing_voids_the_agreement(signers):
    deal, agreement = agree(signers)
    sign(agreement, signers.licensee_user)
    actions.end_deal(deal, actor=signers.licensee_user, reason="Board said no")
    agreement.refresh_from_db()
    assert deal.state == DealState.WITHDRAWN and agreement.status == AgreementStatus.VOID
    with pytest.raises(actions.SignatureRefused, match="no longer be signed"):
        sign(agreement, signers.licensor_user)


def test_a_pdf_that_fails_to_render_leaves_the_deal_agreed_until_staff_retry(signers, monkeypatch, make_user):
    def broken(html, **kwargs):
        raise pdfs.PdfError("Pango is missing")

    monkeypatch.setattr(pdfs, "render_pdf", broken)
    deal, agreement = agree(signers)
    assert deal.state == DealState.AGREED
    assert agreement.status == AgreementStatus.FAILED and "Pango is missing" in agreement.render_error
    assert not agreement.pdf and not agreement.pdf_sha256 and agreement.signatures.count() == 0
    with pytest.raises(actions.SignatureRefused):
        sign(agreement, signers.licensee_user)
    staff = make_user("staff-agreements@example.com", full_name="Stella Staff", staff=True)
    with pytest.raises(NotAllowed):
        actions.retry_agreement(agreement, actor=signers.licensor_user)
    again = actions.retry_agreement(agreement, actor=staff)  # still broken: still failed, the new error kept
    assert again.status == AgreementStatus.FAILED and again.render_attempts == 2
    monkeypatch.undo()
    fixed = actions.retry_agreement(agreement, actor=staff)
    deal.refresh_from_db()
    assert fixed.status == AgreementStatus.SIGNING and fixed.render_error == "" and len(fixed.pdf_sha256) == 64
    assert deal.state == DealState.SIGNING and fixed.version == 1
    with pytest.raises(ActionError, match="only a failed agreement"):
        actions.retry_agreement(fixed, actor=staff)
    sign(fixed, signers.licensee_user)


def test_an_acceptance_rolled_back_after_the_pdf_was_written_can_be_made_again(signers):
    from django.db import transaction

    from tests.negotiations.parties import open_deal_for

    deal = open_deal_for(signers)
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.accept_offer(deal, actor=signers.licensor_user, version=1)
        raise RuntimeError("something after the acceptance failed")
    deal.refresh_from_db()
    assert deal.state == DealState.NEGOTIATING and deal.agreements.count() == 0
    actions.accept_offer(deal, actor=signers.licensor_user, version=1)  # the same bytes again: a new file name
    deal.refresh_from_db()
    assert deal.state == DealState.SIGNING and deal.agreements.get().status == AgreementStatus.SIGNING


def test_the_deal_history_names_each_actors_own_role(signers, make_user):
    from django.utils import timezone

    from marketplace import audit
    from negotiations.agreement_render import _history
    from negotiations.models import Dispute

    deal, agreement = agree(signers)
    staff = make_user("staff-history@example.com", full_name="Platform Staff", staff=True)
    mediator = make_user("mediator-history@example.com", full_name="Liu Yang")
    Dispute.objects.create(deal=deal, raised_by=signers.licensee_user, raised_side=Side.LICENSEE,
                           category="payment", statement="Late", deal_state_at_raise=deal.state,
                           respond_by=timezone.now(), mediator=mediator)
    # events without a side are filed under the licensor: the history must not name it for the others
    for action, actor in (("agreement.generated", signers.licensee_user), ("dispute.mediator_assigned", staff),
                          ("dispute.note_posted", mediator), ("agreement.voided", None)):
        audit.record(action, actor=actor, target=deal, organisation=signers.licensor)
    rows = [row["what"] for row in _history(deal)]
    assert any(row.startswith("Term sheet accepted") and row.endswith("(Lena Licensor, Battery Institute)")
               for row in rows)
    assert "Licence agreement produced" in rows[-4] and rows[-4].endswith("(Sam Smallfirm, Tiny Cells Ltd)")
    assert "Mediator assigned" in rows[-3] and "(Platform Staff, PatentBridge staff" in rows[-3]
    assert "Mediation note posted" in rows[-2] and "(Liu Yang, mediator" in rows[-2]
    assert "Licence agreement void" in rows[-1] and "(" not in rows[-1]
    assert not any("Battery Institute" in row for row in rows[-4:])
