"""Licences granted in one step on a standing offer: a listing's open licence, or one of its donated licences.

    accept_open_licence(listing, organisation, *, actor, typed_name, password, confirmed, ip_address,
                        user_agent) -> Deal
    claim_donation(listing, organisation, *, actor, statement, typed_name, password, confirmed, ip_address,
                   user_agent) -> DonationClaim

Each locks the listing row first (the quota and the "one per organisation" rules are checked under it, so
simultaneous claims for the last places cannot all succeed), checks eligibility (``negotiations.eligibility``),
creates the deal already ``agreed`` on version 1 built from the listing's fixed terms (non-exclusive; a donation
at zero price), generates the agreement, records the licensor's consent (given by publishing the offer) and the
licensee's signature — all in one transaction, so a refusal (a wrong password, the quota used up meanwhile, an
agreement that cannot be produced) changes nothing. A free licence is then completed; a paid open licence awaits
payment.

Refusals: ``NotEligible`` (``reasons``: sentences), ``QuotaUsedUp``, ``AlreadyClaimed``; ``NotAllowed`` for a user
who may not sign for the organisation; the signature's own refusals (``SignatureRefused``) pass through.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from listings.models import FeeModel, LicenceKind, Listing
from marketplace import audit
from marketplace.actions import ActionError, NotAllowed, membership_of
from marketplace.models import AuditEntry, Organisation
from negotiations import eligibility, exclusivity, territories
from negotiations import terms as term_sheets
from negotiations.actions.common import _emit, _lock, _lock_listing, _notify, _offer_payload
from negotiations.models import (
    HOLDING_DEAL_STATES,
    Deal,
    DealOrigin,
    DealState,
    DonationClaim,
    Offer,
    OfferStatus,
    Side,
)
from negotiations.models.grants import STATEMENT_MAX_CHARS, STATEMENT_MIN_CHARS

log = logging.getLogger(__name__)


class NotEligible(ActionError):
    """The organisation does not meet the offer's rules; ``reasons`` says which, with its own values."""

    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__(" ".join(self.reasons))


class QuotaUsedUp(ActionError):
    """Every donated licence of the listing has been claimed."""


class AlreadyClaimed(ActionError):
    """The organisation already holds this open licence / a donated licence of this listing (``deal`` is it)."""

    def __init__(self, message: str, deal: Deal | None = None):
        self.deal = deal
        super().__init__(message)


# --- the fixed terms ------------------------------------------------------------------------------
def fixed_terms(listing: Listing, origin: str) -> dict:
    """Version 1 of a granted licence: the listing's terms as a non-exclusive licence (a donation: free)."""
    terms = term_sheets.defaults_from_listing(listing, validity_days=1)
    terms["licence_kind"] = str(LicenceKind.NON_EXCLUSIVE)
    if not terms["territory"] and not (listing.territory or "").strip():
        terms["territory"] = [territories.WORLD]  # no territory named: the licence is not limited to one
    if origin == DealOrigin.DONATION:
        terms.update(fee_model=str(FeeModel.FREE), lump_sum_minor=0, entry_fee_minor=0, royalty_rate_bp=0,
                     minimum_annual_royalty_minor=0)
    return terms


def _published(listing: Listing, field: str):
    """Who switched the offer on (``field`` became true in a listing audit entry) and when: (user, moment)."""
    entries = (AuditEntry.objects.for_target(listing).filter(action__in=("listing.created", "listing.updated"))
               .select_related("actor").order_by("-created_at", "-id"))
    for entry in entries[:200]:
        if (entry.after or {}).get(field):
            return entry.actor, entry.created_at
    return listing.created_by, listing.published_at


def _consent_note(listing: Listing, origin: str) -> str:
    """The licensor's consent, in both languages of the agreement: what was published, by whom, when."""
    if origin == DealOrigin.OPEN_LICENCE:
        user, _at = _published(listing, "open_licence")
        when = listing.open_licence_since or _at
        en, zh = "open licence", "开放许可"
    else:
        user, when = _published(listing, "donation_quota")
        en, zh = "donated licence offer", "捐赠许可要约"
    who = getattr(user, "full_name", "") or getattr(user, "email", "") or listing.owner.name
    stamp = timezone.localtime(when).strftime("%Y-%m-%d %H:%M %Z") if when else "—"
    return (f"Consent of {listing.owner.name} given by publishing the {en} of listing #{listing.pk} "
            f"“{listing.title}” on PatentBridge ({who}, {stamp}); the licensee accepted its standing terms.\n"
            f"许可方{listing.owner.name}已通过在PatentBridge发布第{listing.pk}号挂牌“{listing.title}”的{zh}表示同意"
            f"（{who}，{stamp}）；被许可方接受了其既定条款。")


# --- shared steps ---------------------------------------------------------------------------------
def _require_signatory(actor, organisation: Organisation) -> None:
    membership = membership_of(actor, organisation)
    if membership is None:
        raise NotAllowed(_("Only members of %(org)s can accept a licence for it.") % {"org": organisation.name})
    if not membership.may_sign:
        raise NotAllowed(_("Only an owner or an authorised signatory of %(org)s can sign a licence for it.")
                         % {"org": organisation.name})


def _holding_deal(listing: Listing, organisation: Organisation, origin: str) -> Deal | None:
    return (Deal.objects.filter(listing=listing, licensee=organisation, origin=origin, state__in=HOLDING_DEAL_STATES)
            .order_by("-pk").first())


def _check_exclusivity(listing: Listing, cleaned: dict) -> None:
    """A granted licence is a licence like any other: not inside a territory already promised exclusively."""
    probe = Offer(territory=cleaned["territory"], field_of_use=cleaned["field_of_use"])
    places = exclusivity.conflicting_places(Deal(listing_id=listing.pk), probe)
    if places:
        raise NotEligible([_("“%(title)s” is already licensed exclusively in %(places)s, which this licence's "
                             "territory overlaps.") % {"title": listing.title, "places": territories.display(places)}])


def _grant(listing: Listing, organisation: Organisation, *, actor, origin: str, sign: dict) -> Deal:
    """Inside the caller's transaction, the listing locked: the agreed deal, its agreement, both signatures."""
    from negotiations.actions.agreements import generate_agreement, record_standing_consent, sign_agreement
    from negotiations.models import AgreementStatus

    try:
        cleaned = term_sheets.clean_terms(fixed_terms(listing, origin))
    except ValidationError as exc:
        raise NotEligible([_("The terms of “%(title)s” do not make a complete licence (%(errors)s); the owner needs "
                             "to correct them.") % {"title": listing.title, "errors": " ".join(exc.messages)}]) from None
    _check_exclusivity(listing, cleaned)
    now = timezone.now()
    try:
        with transaction.atomic():  # a savepoint: an active negotiation of the same pair is refused cleanly
            deal = Deal.objects.create(listing=listing, licensor=listing.owner, licensee=organisation, opened_by=actor,
                                       opened_side=Side.LICENSEE, origin=origin, state=DealState.AGREED,
                                       state_changed_at=now)
    except IntegrityError:
        existing = Deal.objects.active().filter(listing=listing, licensee=organisation).first()
        raise AlreadyClaimed(_("%(org)s already has an open deal room for this listing; finish or end it first.")
                             % {"org": organisation.name}, existing) from None
    deal = _lock(deal)
    audit.record("deal.opened", actor=actor, target=deal, organisation=organisation,
                 after={"listing": listing.pk, "licensee": organisation.pk, "side": Side.LICENSEE, "origin": origin})
    offer = Offer.objects.create(deal=deal, version=1, side=Side.LICENSOR, made_by=None, status=OfferStatus.ACCEPTED,
                                 status_changed_at=now, licensee_accepted_at=now, licensor_accepted_at=now,
                                 **cleaned)
    deal.current_version, deal.agreed_offer, deal.agreed_at, deal.waiting_for = 1, offer, now, ""
    deal.save(update_fields=["current_version", "agreed_offer", "agreed_at", "waiting_for", "last_activity_at"])
    audit.record("deal.agreed", actor=actor, target=deal, organisation=organisation,
                 before={"state": DealState.NEGOTIATING}, after={"state": DealState.AGREED, "origin": origin})
    _emit(deal, "deal.offer_created", side=Side.LICENSOR, state=DealState.AGREED, **_offer_payload(offer))
    _emit(deal, "deal.offer_accepted", side=Side.LICENSEE, state=DealState.AGREED, **_offer_payload(offer))
    agreement = generate_agreement(deal, actor=actor, offer=offer)
    if agreement.status == AgreementStatus.FAILED:
        log.error("grant of listing %s to %s: the agreement failed to render: %s", listing.pk, organisation.pk,
                  agreement.render_error)
        raise ActionError(_("The licence agreement could not be produced just now, so nothing was recorded. Please "
                            "try again in a few minutes; platform staff have been told."))
    record_standing_consent(agreement, note=_consent_note(listing, origin))
    sign_agreement(agreement, actor=actor, **sign)
    deal.refresh_from_db()
    return deal


def _signature_args(actor, typed_name, password, confirmed, ip_address, user_agent) -> dict:
    """The signature's arguments, its own rules checked first (the same as ``sign_agreement``'s, which checks them
    again): a refused signature then costs no agreement to render and store (agreement files are written once)."""
    from negotiations.actions.agreements import SignatureRefused

    def normal(name):
        return " ".join((name or "").split()).casefold()

    if not confirmed:
        raise SignatureRefused(_("Tick the box to confirm that you sign the agreement for your organisation."),
                               "unconfirmed")
    if not normal(typed_name) or normal(typed_name) != normal(actor.full_name):
        raise SignatureRefused(_("The name you typed does not match the name of your account (%(name)s). Type your "
                                 "full name exactly as it appears there.") % {"name": actor.full_name}, "name_mismatch")
    if not actor.check_password(password or ""):
        raise SignatureRefused(_("That password is not right. Enter the password you log in with."), "wrong_password")
    return {"typed_name": typed_name, "password": password, "confirmed": confirmed, "ip_address": ip_address,
            "user_agent": user_agent}


def _notify_licensor(deal: Deal, kind: str, *, actor, **extra) -> None:
    licensor_ids = set(deal.licensor.memberships.values_list("user_id", flat=True))
    _notify(deal, kind, side=Side.LICENSEE, actor=actor, only=licensor_ids, **extra)


def _record_refusal(code: str, listing: Listing, organisation: Organisation, actor, exc: Exception) -> None:
    """A refused signature (wrong password, another name) is logged, after the rollback of everything else."""
    from negotiations.actions.agreements import SignatureRefused

    if isinstance(exc, SignatureRefused):
        audit.record(code, actor=actor, target=listing, organisation=organisation,
                     after={"reason": getattr(exc, "code", ""), "message": str(exc)})


# --- open licences --------------------------------------------------------------------------------
def accept_open_licence(listing: Listing, organisation: Organisation, *, actor, typed_name: str, password: str,
                        confirmed: bool, ip_address: str | None, user_agent: str) -> Deal:
    """``organisation`` takes ``listing``'s open licence on its standing terms, signed by ``actor`` at once."""
    _require_signatory(actor, organisation)
    try:
        sign = _signature_args(actor, typed_name, password, confirmed, ip_address, user_agent)
        with transaction.atomic():
            locked = _lock_listing(listing.pk)
            locked = Listing.objects.select_related("owner").get(pk=locked.pk)
            licensee = Organisation.objects.select_related("sme_profile").get(pk=organisation.pk)
            held = _holding_deal(locked, licensee, DealOrigin.OPEN_LICENCE)
            if held is not None:
                raise AlreadyClaimed(_("%(org)s already holds the open licence of “%(title)s”.")
                                     % {"org": licensee.name, "title": locked.title}, held)
            reasons = eligibility.open_licence_refusals(locked, licensee)
            if reasons:
                raise NotEligible(reasons)
            deal = _grant(locked, licensee, actor=actor, origin=DealOrigin.OPEN_LICENCE, sign=sign)
            audit.record("open_licence.accepted", actor=actor, target=deal, organisation=licensee,
                         after={"listing": locked.pk, "fee_model": deal.agreed_offer.fee_model, "state": deal.state})
            _notify_licensor(deal, "deal.open_licence_accepted", actor=actor)
    except ActionError as exc:
        _record_refusal("open_licence.signature_refused", listing, organisation, actor, exc)
        raise
    return deal


# --- donated licences -----------------------------------------------------------------------------
def _clean_statement(statement: str) -> str:
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError({"statement": _("Say in a few words what you will use the licence for.")})
    if len(statement) < STATEMENT_MIN_CHARS:
        raise ValidationError({"statement": _("Say in at least %(limit)d characters what you will use the licence "
                                              "for (this has %(length)d).")
                               % {"limit": STATEMENT_MIN_CHARS, "length": len(statement)}})
    if len(statement) > STATEMENT_MAX_CHARS:
        raise ValidationError({"statement": _("At most %(limit)d characters (this has %(length)d).")
                               % {"limit": STATEMENT_MAX_CHARS, "length": len(statement)}})
    return statement


def claim_donation(listing: Listing, organisation: Organisation, *, actor, statement: str, typed_name: str,
                   password: str, confirmed: bool, ip_address: str | None, user_agent: str) -> DonationClaim:
    """``organisation`` claims one of ``listing``'s donated licences (free, non-exclusive), signed by ``actor``."""
    statement = _clean_statement(statement)
    _require_signatory(actor, organisation)
    try:
        sign = _signature_args(actor, typed_name, password, confirmed, ip_address, user_agent)
        with transaction.atomic():
            locked = _lock_listing(listing.pk)  # serialises the claims of this listing: the count below holds
            locked = Listing.objects.select_related("owner").get(pk=locked.pk)
            licensee = Organisation.objects.select_related("sme_profile").get(pk=organisation.pk)
            earlier = DonationClaim.objects.filter(listing=locked, organisation=licensee).select_related("deal").first()
            if earlier is not None:
                raise AlreadyClaimed(_("%(org)s has already claimed a donated licence of “%(title)s” (one per "
                                       "organisation).") % {"org": licensee.name, "title": locked.title}, earlier.deal)
            claimed = DonationClaim.objects.filter(listing=locked).count()
            if locked.donation_quota and claimed >= locked.donation_quota:
                raise QuotaUsedUp(ngettext("The %(n)s donated licence of “%(title)s” has been claimed: the quota is "
                                           "used up.",
                                           "All %(n)s donated licences of “%(title)s” have been claimed: the quota is "
                                           "used up.", locked.donation_quota)
                                  % {"n": locked.donation_quota, "title": locked.title})
            reasons = eligibility.donation_refusals(locked, licensee)
            if reasons:
                raise NotEligible(reasons)
            deal = _grant(locked, licensee, actor=actor, origin=DealOrigin.DONATION, sign=sign)
            profile = getattr(licensee, "sme_profile", None)
            claim = DonationClaim.objects.create(
                listing=locked, organisation=licensee, deal=deal, claimed_by=actor, statement=statement,
                size_class=licensee.size_class or "", province=licensee.province or "",
                industry=profile.industry if profile else "", value_forgone_minor=locked.upfront_minor,
                currency=locked.currency)
            audit.record("donation.claimed", actor=actor, target=deal, organisation=licensee,
                         after={"listing": locked.pk, "claim": claim.pk, "place": claimed + 1,
                                "quota": locked.donation_quota, "size_class": claim.size_class,
                                "value_forgone_minor": claim.value_forgone_minor, "currency": claim.currency})
            _notify_licensor(deal, "deal.donation_claimed", actor=actor, place=claimed + 1,
                             quota=locked.donation_quota)
    except ActionError as exc:
        _record_refusal("donation.signature_refused", listing, organisation, actor, exc)
        raise
    return claim
