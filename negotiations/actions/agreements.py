"""Licence agreements: generation from the accepted terms, signatures, the final document, completion.

    generate_agreement(deal, *, actor=None, offer=None) -> Agreement   SIGNING (deal agreed → signing), or FAILED
                                                  with ``render_error`` (the deal stays agreed; nothing escapes)
    retry_agreement(agreement, *, actor) -> Agreement                  staff: render a FAILED agreement again
    sign_agreement(agreement, *, actor, typed_name, password, confirmed, ip_address, user_agent) -> Signature
                                                  an authorised signatory of one party signs that party's side;
                                                  ``SignatureRefused`` (audited) otherwise
    record_standing_consent(agreement, *, note) -> Signature           the licensor's consent by its published
                                                  open licence or donation offer
    complete_deal(deal, *, actor=None) -> Deal                         awaiting_payment → completed (payments)
    void_live_agreement(deal)                                          the deal ended before both signed

When both sides have signed, the final PDF is the exact signed PDF followed by the signature page and the
certificate of completion; it is stored once and the deal moves to ``completed`` (nothing due upfront) or
``awaiting_payment``. Completing an exclusive licence or an assignment marks the listing licensed out.
"""

from __future__ import annotations

import logging
import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from listings.models import LicenceKind, ListingState
from marketplace import audit
from marketplace.actions import ActionError, require_staff
from marketplace.models import Membership
from marketplace.states import check_transition
from marketplace.verification import VerifiedOnly, blocked_reason
from negotiations import agreement_content, agreement_render
from negotiations import pdf as pdfs
from negotiations.actions.common import _emit, _lock, _lock_listing, _move, _notify, side_of
from negotiations.models import (
    HOLDING_DEAL_STATES,
    Agreement,
    AgreementStatus,
    Deal,
    DealOrigin,
    DealState,
    Offer,
    Side,
    Signature,
    SignatureMethod,
)

log = logging.getLogger(__name__)

# Licences whose completion takes the listing off the market.
LICENSING_OUT_KINDS = (LicenceKind.EXCLUSIVE, LicenceKind.ASSIGNMENT)


class SignatureRefused(ActionError):
    """A signature was refused (the message says why); ``code`` names the rule for the audit log."""

    def __init__(self, message: str, code: str):
        self.code = code
        super().__init__(message)


# --- helpers --------------------------------------------------------------------------------------
def _set_status(agreement: Agreement, target: str) -> None:
    check_transition(AgreementStatus, agreement.status, target, _("Agreement"))
    agreement.status, agreement.status_changed_at = target, timezone.now()


def _event(deal: Deal, agreement: Agreement) -> None:
    _emit(deal, "deal.agreement_changed", agreement=agreement.pk, version=agreement.version,
          status=agreement.status, state=deal.state)


def _render(deal: Deal, offer: Offer, version: int):
    """(content, html_en, html_zh, pdf bytes, error): everything or the error text; never raises."""
    content = {}
    try:
        content = agreement_content.build_content(deal, offer, version=version,
                                                  template_version=agreement_render.TEMPLATE_VERSION)
        html_en, html_zh = agreement_render.render_texts(content)
        data = agreement_render.render_document(content, html_en, html_zh)
    except Exception as exc:  # a template or PDF failure: staff see it and retry
        log.exception("agreement %s of deal %s could not be rendered", version, deal.pk)
        return content, "", "", None, f"{type(exc).__name__}: {exc}"
    return content, html_en, html_zh, data, ""


def _file_name(agreement: Agreement, sha256: str, kind: str = "agreement") -> str:
    """A name never used before: storage is write-once, and a transaction rolled back after the file was
    written leaves it behind (the same deal, version and bytes may then be produced again)."""
    return f"{agreement.reference}-{kind}-{sha256[:16]}-{secrets.token_hex(4)}.pdf"


def _store_rendered(agreement: Agreement, content, html_en, html_zh, data: bytes) -> None:
    agreement.content, agreement.html_en, agreement.html_zh = content, html_en, html_zh
    agreement.pdf_sha256 = pdfs.sha256(data)
    agreement.pdf.save(_file_name(agreement, agreement.pdf_sha256), ContentFile(data), save=False)
    agreement.render_error = ""


def _lock_agreement(agreement: Agreement) -> Agreement:
    return Agreement.objects.select_for_update().get(pk=agreement.pk)


def _lock_for(deal: Deal, offer: Offer | None) -> Deal:
    """Lock the listing first (the order of every deal action) when completion may license it out."""
    if offer is not None and offer.licence_kind in LICENSING_OUT_KINDS:
        _lock_listing(deal.listing_id)
    return _lock(deal)


# --- generation -----------------------------------------------------------------------------------
def generate_agreement(deal: Deal, *, actor=None, offer: Offer | None = None) -> Agreement:
    """The next agreement version of the deal from ``offer`` (default: the agreed one). A live version (out for
    signature, or failed) is superseded or voided; a SIGNED one stays signed until the new one is signed."""
    with transaction.atomic():
        locked = _lock(deal)
        offer = offer or locked.agreed_offer
        if offer is None or locked.state not in HOLDING_DEAL_STATES:
            raise ActionError(_("This deal has no agreed terms to make an agreement of."))
        for live in Agreement.objects.select_for_update().filter(deal=locked).live():
            _set_status(live, AgreementStatus.SUPERSEDED if live.status == AgreementStatus.SIGNING
                        else AgreementStatus.VOID)
            live.save(update_fields=["status", "status_changed_at"])
        version = (Agreement.objects.filter(deal=locked).aggregate(n=Max("version"))["n"] or 0) + 1
        content, html_en, html_zh, data, error = _render(locked, offer, version)
        agreement = Agreement(deal=locked, version=version, offer=offer, content=content,
                              template_version=agreement_render.TEMPLATE_VERSION, render_attempts=1)
        side = side_of(actor, locked) if actor is not None else None
        if data is None:
            agreement.status, agreement.render_error = AgreementStatus.FAILED, error
            agreement.save()
            audit.record("agreement.failed", actor=actor, target=locked, organisation=locked.licensor,
                         after={"version": version, "error": error[:500]})
            _event(locked, agreement)
            return agreement
        _store_rendered(agreement, content, html_en, html_zh, data)
        agreement.status = AgreementStatus.SIGNING
        agreement.save()
        audit.record("agreement.generated", actor=actor, target=locked, organisation=locked.licensor,
                     after={"version": version, "reference": agreement.reference, "sha256": agreement.pdf_sha256,
                            "template": agreement.template_version})
        if locked.state == DealState.AGREED:
            _move(locked, DealState.SIGNING, actor=actor, side=side)
        _event(locked, agreement)
        if locked.origin == DealOrigin.NEGOTIATED:  # a one-click grant is signed at once and notified as such
            _notify(locked, "deal.agreement_ready", side=None, actor=actor, version=version,
                    reference=agreement.reference)
    return agreement


def retry_agreement(agreement: Agreement, *, actor) -> Agreement:
    """Staff render a FAILED agreement again (same version and terms). Still failing: it stays FAILED with the
    new error (returned, not raised, so the staff page shows it)."""
    require_staff(actor)
    with transaction.atomic():
        locked_deal = _lock(agreement.deal)
        locked = _lock_agreement(agreement)
        if locked.status != AgreementStatus.FAILED:
            raise ActionError(_("Agreement %(ref)s is %(status)s: only a failed agreement is produced again.")
                              % {"ref": locked.reference, "status": locked.get_status_display().lower()})
        content, html_en, html_zh, data, error = _render(locked_deal, locked.offer, locked.version)
        locked.render_attempts += 1
        if data is None:
            locked.render_error = error
            locked.save(update_fields=["render_error", "render_attempts"])
            audit.record("agreement.failed", actor=actor, target=locked_deal, organisation=locked_deal.licensor,
                         after={"version": locked.version, "error": error[:500], "attempt": locked.render_attempts})
            return locked
        _store_rendered(locked, content, html_en, html_zh, data)
        _set_status(locked, AgreementStatus.SIGNING)
        locked.save()
        audit.record("agreement.generated", actor=actor, target=locked_deal, organisation=locked_deal.licensor,
                     after={"version": locked.version, "reference": locked.reference, "sha256": locked.pdf_sha256,
                            "attempt": locked.render_attempts})
        if locked_deal.state == DealState.AGREED:
            _move(locked_deal, DealState.SIGNING, actor=None, side=None)
        _event(locked_deal, locked)
        _notify(locked_deal, "deal.agreement_ready", side=None, actor=None, version=locked.version,
                reference=locked.reference)
    return locked


# --- signing --------------------------------------------------------------------------------------
def _normal(name: str) -> str:
    return " ".join((name or "").split()).casefold()


def signing_membership(user, deal: Deal) -> tuple[str | None, Membership | None]:
    """The side the user may sign for and their membership there: the licensee side for a member of the licensee,
    else the licensor side for a member of the licensor (a user signs only for the party they belong to)."""
    if not user or not user.is_authenticated:
        return None, None
    for side, organisation in ((Side.LICENSEE, deal.licensee_id), (Side.LICENSOR, deal.licensor_id)):
        membership = Membership.objects.filter(user=user, organisation_id=organisation).first()
        if membership is not None:
            return side, membership
    return None, None


def _refusal(agreement: Agreement, deal: Deal, *, actor, typed_name, password, confirmed):
    """(side, message, code) of the first rule the signature breaks, or (side, None, None)."""
    side, membership = signing_membership(actor, deal)
    if membership is None or not membership.may_sign:
        org = deal.organisation_of(side).name if side else ""
        text = (_("You are not an authorised signatory of %(org)s: an owner of %(org)s can sign, or mark you as "
                  "signatory on the organisation's page.") % {"org": org} if side
                else _("You are not an authorised signatory of either party."))
        return side, text, "not_signatory"
    blocked = blocked_reason(deal.organisation_of(side), VerifiedOnly.SIGN)
    if blocked:
        return side, blocked, "not_verified"
    if deal.disputed and agreement.offer.proposed_in_id is None:
        return side, _("This deal is in mediation: agreement %(ref)s waits until the dispute is closed, or the "
                       "mediator's revised terms are agreed and signed.") % {"ref": agreement.reference}, "paused"
    if agreement.status != AgreementStatus.SIGNING:
        return side, (_("Agreement %(ref)s is %(status)s: it can no longer be signed.")
                      % {"ref": agreement.reference, "status": agreement.get_status_display().lower()}), "not_signing"
    if agreement.signatures.filter(side=side).exists():
        return side, _("%(org)s has already signed this agreement.") % {"org": deal.organisation_of(side).name}, \
            "already_signed"
    if not confirmed:
        return side, _("Tick the box to confirm that you sign the agreement for your organisation."), "unconfirmed"
    if _normal(typed_name) != _normal(actor.full_name) or not _normal(typed_name):
        return side, (_("The name you typed does not match the name of your account (%(name)s). Type your full "
                        "name exactly as it appears there.") % {"name": actor.full_name}), "name_mismatch"
    if not actor.check_password(password or ""):
        return side, _("That password is not right. Enter the password you log in with."), "wrong_password"
    return side, None, None


def _refuse(agreement: Agreement, deal: Deal, *, actor, side, message, code, ip_address) -> None:
    """Audit a refused signature in its own transaction (the refusal changes nothing else), then raise."""
    with transaction.atomic():
        audit.record("agreement.signature_refused", actor=actor, target=deal,
                     organisation=deal.organisation_of(side) if side else None,
                     after={"version": agreement.version, "reference": agreement.reference, "side": side or "",
                            "reason": code, "ip": ip_address or ""})
    raise SignatureRefused(message, code)


def _stored_hash(agreement: Agreement) -> str:
    with agreement.pdf.open("rb") as handle:
        return pdfs.sha256(handle.read())


def sign_agreement(agreement: Agreement, *, actor, typed_name: str, password: str, confirmed: bool,
                   ip_address: str | None, user_agent: str) -> Signature:
    """The actor signs for their party: re-typed full name, confirmation box, password. Records who, the name
    typed, when, from where and the SHA-256 of the exact stored PDF. The second signature completes it."""
    refused = None
    with transaction.atomic():
        deal = _lock_for(agreement.deal, agreement.offer)
        locked = _lock_agreement(agreement)
        side, message, code = _refusal(locked, deal, actor=actor, typed_name=typed_name, password=password,
                                       confirmed=confirmed)
        if message is None and _stored_hash(locked) != locked.pdf_sha256:
            message, code = _("The stored agreement does not match its fingerprint; staff are told."), "hash_mismatch"
            log.error("agreement %s: stored PDF does not match pdf_sha256", locked.reference)
        if message is not None:
            refused = (side, message, code)
        else:
            signature = Signature.objects.create(
                agreement=locked, side=side, organisation=deal.organisation_of(side), method=SignatureMethod.TYPED,
                user=actor, typed_name=" ".join(typed_name.split()), ip_address=ip_address or None,
                user_agent=(user_agent or "")[:400], pdf_sha256=locked.pdf_sha256)
            _after_signature(deal, locked, signature, actor=actor)
    if refused is not None:
        _refuse(agreement, agreement.deal, actor=actor, side=refused[0], message=refused[1], code=refused[2],
                ip_address=ip_address)
    agreement.refresh_from_db()
    return signature


def record_standing_consent(agreement: Agreement, *, note: str) -> Signature:
    """The licensor's side of an open-licence or donation agreement: consent given by publishing the offer."""
    with transaction.atomic():
        deal = _lock_for(agreement.deal, agreement.offer)
        locked = _lock_agreement(agreement)
        if deal.origin == DealOrigin.NEGOTIATED:
            raise ActionError(_("A negotiated agreement is signed by the licensor, not by a standing offer."))
        if locked.status != AgreementStatus.SIGNING:
            raise ActionError(_("Agreement %(ref)s is not out for signature.") % {"ref": locked.reference})
        if locked.signatures.filter(side=Side.LICENSOR).exists():
            raise ActionError(_("%(org)s has already signed this agreement.") % {"org": deal.licensor.name})
        signature = Signature.objects.create(
            agreement=locked, side=Side.LICENSOR, organisation=deal.licensor, method=SignatureMethod.STANDING_OFFER,
            pdf_sha256=locked.pdf_sha256, consent_note=(note or "").strip())
        _after_signature(deal, locked, signature, actor=None)
    agreement.refresh_from_db()
    return signature


def _after_signature(deal: Deal, agreement: Agreement, signature: Signature, *, actor) -> None:
    audit.record("agreement.signed", actor=actor, target=deal, organisation=signature.organisation,
                 after={"version": agreement.version, "reference": agreement.reference, "side": signature.side,
                        "method": signature.method, "sha256": signature.pdf_sha256,
                        "ip": signature.ip_address or ""})
    _emit(deal, "deal.agreement_signed", agreement=agreement.pk, version=agreement.version, side=signature.side)
    if agreement.signatures.count() < 2:
        _notify(deal, "deal.agreement_signed", side=signature.side, actor=actor, version=agreement.version,
                reference=agreement.reference)
        return
    _finalise(deal, agreement, actor=actor)


# --- completion -----------------------------------------------------------------------------------
def _finalise(deal: Deal, agreement: Agreement, *, actor) -> None:
    """Both signed: the final PDF (stored once), the agreement SIGNED (an older signed version superseded), the
    deal completed or awaiting payment. A rendering failure raises: the signature is not kept either."""
    now = timezone.now()
    with agreement.pdf.open("rb") as handle:
        signed = handle.read()
    try:
        certificate = agreement_render.render_certificate(agreement, pages=pdfs.page_count(signed), completed_at=now)
    except pdfs.PdfError as exc:
        raise ActionError(_("The signed agreement could not be completed just now (%(error)s). Nothing was "
                            "signed; please try again in a moment.") % {"error": exc}) from exc
    final = pdfs.merge(signed, certificate)
    agreement.final_sha256 = pdfs.sha256(final)
    agreement.final_pdf.save(_file_name(agreement, agreement.final_sha256, "signed"), ContentFile(final), save=False)
    agreement.signed_at = now
    _set_status(agreement, AgreementStatus.SIGNED)
    agreement.save()
    for older in Agreement.objects.select_for_update().filter(deal=deal, status=AgreementStatus.SIGNED).exclude(
            pk=agreement.pk):
        _set_status(older, AgreementStatus.SUPERSEDED)
        older.save(update_fields=["status", "status_changed_at"])
    audit.record("agreement.completed", actor=actor, target=deal, organisation=deal.licensor,
                 after={"version": agreement.version, "reference": agreement.reference,
                        "final_sha256": agreement.final_sha256})
    if deal.state == DealState.SIGNING:
        due = agreement_content.upfront_minor(agreement.content.get("terms") or {})
        if due:
            _move(deal, DealState.AWAITING_PAYMENT, actor=actor, side=None)
        else:
            _complete_locked(deal, agreement.offer, actor=actor)
    _event(deal, agreement)
    # A one-click grant tells the licensor once, in its own notice (open licence accepted, donation claimed).
    sides = None if deal.origin == DealOrigin.NEGOTIATED else (Side.LICENSEE,)
    _notify(deal, "deal.agreement_completed", side=None, actor=None, version=agreement.version,
            reference=agreement.reference, state=deal.state, url=reverse("deal_agreement", args=[deal.pk]),
            sides=sides)


def _complete_locked(deal: Deal, offer: Offer, *, actor) -> None:
    _move(deal, DealState.COMPLETED, actor=actor, side=None)
    if offer.licence_kind in LICENSING_OUT_KINDS:
        from listings import actions as listing_actions

        listing = deal.listing
        listing.refresh_from_db()
        if listing.state == ListingState.PUBLISHED:
            listing_actions.mark_licensed_out(listing, actor=actor)
        else:
            log.warning("deal %s completed an exclusive licence of listing %s, which is %s", deal.pk, listing.pk,
                        listing.state)


def complete_deal(deal: Deal, *, actor=None) -> Deal:
    """A deal whose fee is paid: awaiting_payment → completed (called by payments)."""
    with transaction.atomic():
        locked = _lock_for(deal, deal.agreed_offer)
        if locked.state != DealState.AWAITING_PAYMENT:
            raise ActionError(_("This deal is %(state)s, not awaiting payment.")
                              % {"state": locked.get_state_display().lower()})
        _complete_locked(locked, locked.agreed_offer, actor=actor)
        _notify(locked, "deal.completed", side=None, actor=actor)
    deal.refresh_from_db()
    return deal


def void_live_agreement(deal: Deal) -> None:
    """The deal ended before both signed (the caller holds the deal lock): its live agreement is void."""
    for live in Agreement.objects.select_for_update().filter(deal=deal).live():
        _set_status(live, AgreementStatus.VOID)
        live.save(update_fields=["status", "status_changed_at"])
        audit.record("agreement.voided", target=deal, organisation=deal.licensor,
                     after={"version": live.version, "reference": live.reference})
        _event(deal, live)
