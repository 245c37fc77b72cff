"""Disputes and mediation.

    raise_dispute(deal, *, actor, category, statement) -> Dispute      either party; the deal is then paused
    withdraw_dispute(dispute, *, actor, summary="") -> Dispute          the side that raised it (outcome withdrawn)
    accredit_mediator(user, *, actor, organisation=None) -> MediatorAccreditation   staff
    revoke_mediator(user, *, actor) -> MediatorAccreditation            staff
    assign_mediator(dispute, *, actor, mediator) -> Dispute             staff; again to re-assign
    post_mediation_note(dispute, *, actor, body, visibility) -> MediationNote   the assigned mediator
    propose_terms(dispute, *, actor, terms) -> Offer                    the assigned mediator
    accept_proposal(offer, *, actor) -> Offer                           each side once; both: revised agreement
    close_dispute(dispute, *, actor, outcome, summary) -> Dispute       the mediator or staff

A mediator's proposal is a new term-sheet version (``Offer``) with ``proposed_in`` set. An offer needs a side:
a proposal is stored with ``side = licensor`` (the granting side, the one the agreement speaks for), but it is
nobody's offer: ``accept_offer`` refuses it, and only ``accept_proposal`` records each side's acceptance
(``licensor_accepted_at`` / ``licensee_accepted_at``). Once both accepted it becomes the deal's agreed version
and a new agreement version is generated from it, which both sides sign through the normal flow.

While a dispute is unresolved ``deal.disputed`` is set: ``_move`` refuses every other transition
(``DealPaused``) except the agreement flow on the mediated revision; the deal does not expire.
Every step is audited, sent live to the room and notified to both parties' members and the mediator.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import audit, notifications
from marketplace.actions import ActionError, NotAllowed, require_staff
from marketplace.models import User
from marketplace.states import check_transition
from negotiations import exclusivity, mediation, territories
from negotiations import terms as term_sheets
from negotiations.actions.common import (
    ExclusivityConflict,
    OfferNotCurrent,
    _emit,
    _lock,
    _lock_listing,
    _notify,
    _save,
    _set_offer_status,
    require_party,
    side_of,
)
from negotiations.models import (
    Deal,
    Dispute,
    DisputeCategory,
    DisputeOutcome,
    DisputeStatus,
    MediationNote,
    MediatorAccreditation,
    NoteVisibility,
    Offer,
    OfferStatus,
    Side,
)
from negotiations.models.disputes import DISPUTABLE_DEAL_STATES

MAX_TEXT = 5000


# --- helpers --------------------------------------------------------------------------------------
def _text(value: str, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError({field: _("At most %(n)s characters.") % {"n": limit}})
    return value


def _locked(dispute: Dispute) -> tuple[Deal, Dispute]:
    """The deal row, then the dispute row, locked (the order every deal action uses: deal first)."""
    deal = _lock(Deal(pk=dispute.deal_id))
    return deal, Dispute.objects.select_for_update(of=("self",)).select_related("mediator").get(pk=dispute.pk)


def _require_unresolved(dispute: Dispute) -> None:
    if not dispute.is_unresolved:
        raise ActionError(_("This dispute is closed."))


def _require_mediator(dispute: Dispute, actor) -> None:
    if dispute.mediator_id is None or actor is None or dispute.mediator_id != actor.pk:
        raise NotAllowed(_("Only the mediator assigned to this dispute can do this."))


def _mediator_also(dispute: Dispute, *extra) -> list:
    return [u for u in (dispute.mediator, *extra) if u is not None]


def _org_of(deal: Deal, dispute: Dispute):
    return deal.organisation_of(dispute.raised_side)


def _notice(dispute: Dispute, **extra) -> dict:
    return {"dispute_id": dispute.pk, "category": dispute.category, **extra}


# --- raising --------------------------------------------------------------------------------------
def raise_dispute(deal: Deal, *, actor, category: str, statement: str) -> Dispute:
    """Either party raises a dispute on an agreed, signing, awaiting-payment or completed deal: one unresolved
    dispute per deal; the deal is marked disputed; a mediator should answer within 2 working days."""
    side = require_party(actor, deal)
    if category not in DisputeCategory.values:
        raise ValidationError({"category": _("Choose a category.")})
    statement = _text(statement, "statement")
    try:
        with transaction.atomic():
            locked = _lock(deal)
            if locked.state not in DISPUTABLE_DEAL_STATES:
                raise ActionError(_("A dispute can be raised on an agreed, signing, awaiting-payment or completed "
                                    "deal; this one is %(state)s.") % {"state": locked.get_state_display().lower()})
            if locked.disputed or locked.disputes.unresolved().exists():
                raise ActionError(_("This deal already has an open dispute."))
            now = timezone.now()
            dispute = Dispute.objects.create(
                deal=locked, raised_by=actor, raised_side=side, category=category, statement=statement,
                deal_state_at_raise=locked.state, created_at=now, respond_by=mediation.working_days_after(now))
            locked.disputed = True
            _save(locked, "disputed")
            audit.record("dispute.raised", actor=actor, target=locked, organisation=locked.organisation_of(side),
                         after={"dispute": dispute.pk, "category": category, "side": side,
                                "deal_state": locked.state, "respond_by": dispute.respond_by.isoformat()})
            _emit(locked, "deal.dispute_raised", dispute=dispute.pk, category=category, side=side,
                  state=locked.state)
            staff = list(User.objects.filter(is_staff=True, is_active=True).order_by("pk"))
            _notify(locked, "deal.dispute_raised", side=side, actor=actor, also=staff,
                    also_url=reverse("dispute_queue"), **_notice(dispute))
    except IntegrityError:  # another member raised one a moment ago (the unique constraint)
        raise ActionError(_("This deal already has an open dispute.")) from None
    deal.refresh_from_db()
    return dispute


# --- mediators ------------------------------------------------------------------------------------
def accredit_mediator(user: User, *, actor, organisation=None) -> MediatorAccreditation:
    """Staff accredit a member of a verified IP service agency (``organisation``, or their only/first one)."""
    require_staff(actor)
    agencies = list(mediation.mediator_agencies(user).order_by("name"))
    if organisation is not None:
        agencies = [a for a in agencies if a.pk == organisation.pk]
    if not agencies:
        raise ActionError(_("%(name)s is not a member of a verified IP service agency.")
                          % {"name": user.get_full_name() or user.email})
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        if MediatorAccreditation.objects.current().filter(user=user).exists():
            raise ActionError(_("%(name)s is already an accredited mediator.")
                              % {"name": user.get_full_name() or user.email})
        accreditation = MediatorAccreditation.objects.create(user=user, organisation=agencies[0], accredited_by=actor)
        audit.record("mediator.accredited", actor=actor, target=accreditation, organisation=agencies[0],
                     after={"user": user.pk, "organisation": agencies[0].pk})
        notifications.deliver([notifications.build(
            user, "mediation.accredited", "", "", reverse("my_disputes"), organisation=agencies[0],
            data={"organisation_name": agencies[0].name})])
    return accreditation


def revoke_mediator(user: User, *, actor) -> MediatorAccreditation:
    """Staff revoke a current accreditation. Disputes already assigned to the person stay assigned, but they
    can no longer mediate (nor open the rooms): staff re-assign them."""
    require_staff(actor)
    with transaction.atomic():
        accreditation = MediatorAccreditation.objects.select_for_update().current().filter(user=user).first()
        if accreditation is None:
            raise ActionError(_("%(name)s is not an accredited mediator.") % {"name": user.get_full_name() or user.email})
        accreditation.revoked_at, accreditation.revoked_by = timezone.now(), actor
        accreditation.save(update_fields=["revoked_at", "revoked_by"])
        audit.record("mediator.revoked", actor=actor, target=accreditation, organisation=accreditation.organisation,
                     before={"accredited_at": accreditation.accredited_at.isoformat()}, after={"user": user.pk})
        notifications.deliver([notifications.build(
            user, "mediation.revoked", "", "", "", organisation=accreditation.organisation,
            data={"organisation_name": accreditation.organisation.name})])
    return accreditation


def assign_mediator(dispute: Dispute, *, actor, mediator: User) -> Dispute:
    """Staff assign (or re-assign) a mediator: staff or a currently accredited mediator, never a member of
    either party."""
    require_staff(actor)
    if not mediation.may_mediate(mediator):
        raise ActionError(_("%(name)s is neither platform staff nor an accredited mediator.")
                          % {"name": mediator.get_full_name() or mediator.email})
    with transaction.atomic():
        deal, locked = _locked(dispute)
        _require_unresolved(locked)
        if side_of(mediator, deal) is not None:
            raise ActionError(_("%(name)s is a member of a party to this deal and cannot mediate it.")
                              % {"name": mediator.get_full_name() or mediator.email})
        if locked.mediator_id == mediator.pk:
            raise ActionError(_("%(name)s already mediates this dispute.")
                              % {"name": mediator.get_full_name() or mediator.email})
        previous = locked.mediator
        check_transition(DisputeStatus, locked.status, DisputeStatus.MEDIATING, _("Dispute"))
        locked.mediator, locked.assigned_by, locked.assigned_at = mediator, actor, timezone.now()
        locked.status = DisputeStatus.MEDIATING
        locked.save(update_fields=["mediator", "assigned_by", "assigned_at", "status"])
        _save(deal)
        audit.record("dispute.mediator_assigned", actor=actor, target=deal, organisation=_org_of(deal, locked),
                     before={"mediator": previous.pk if previous else None},
                     after={"dispute": locked.pk, "mediator": mediator.pk})
        _emit(deal, "deal.mediator_assigned", dispute=locked.pk)
        _notify(deal, "deal.mediator_assigned", side=None, actor=actor, also=[mediator],
                mediator_name=mediator.get_full_name() or mediator.email, **_notice(locked))
    dispute.refresh_from_db()
    return dispute


# --- mediating ------------------------------------------------------------------------------------
def post_mediation_note(dispute: Dispute, *, actor, body: str, visibility: str = NoteVisibility.BOTH) -> MediationNote:
    """The mediator's note to both sides or to one; the first one is the first response (the 2-day target)."""
    if visibility not in NoteVisibility.values:
        raise ValidationError({"visibility": _("Choose who sees the note.")})
    body = _text(body, "body", limit=settings.DEAL_MESSAGE_MAX_CHARS)
    with transaction.atomic():
        deal, locked = _locked(dispute)
        _require_unresolved(locked)
        _require_mediator(locked, actor)
        now = timezone.now()
        note = MediationNote.objects.create(dispute=locked, author=actor, visibility=visibility, body=body,
                                            created_at=now)
        first = locked.first_response_at is None
        if first:
            locked.first_response_at = now
            locked.save(update_fields=["first_response_at"])
        _save(deal)
        audit.record("dispute.note_posted", actor=actor, target=deal, organisation=_org_of(deal, locked),
                     after={"dispute": locked.pk, "note": note.pk, "visibility": visibility, "first": first})
        _emit(deal, "deal.mediation_note", dispute=locked.pk, note=note.pk, visibility=visibility)
        sides = None if visibility == NoteVisibility.BOTH else (visibility,)
        _notify(deal, "deal.mediation_note", side=None, actor=actor, sides=sides, excerpt=body[:200],
                **_notice(locked))
    dispute.refresh_from_db()
    return note


def propose_terms(dispute: Dispute, *, actor, terms: dict) -> Offer:
    """The mediator proposes revised terms: the deal's next term-sheet version, for both sides to accept (an
    earlier open proposal is superseded)."""
    with transaction.atomic():
        deal, locked = _locked(dispute)
        _require_unresolved(locked)
        _require_mediator(locked, actor)
        cleaned = term_sheets.clean_terms(terms)
        for earlier in Offer.objects.select_for_update().filter(deal=deal, status=OfferStatus.OPEN):
            _set_offer_status(earlier, OfferStatus.SUPERSEDED)
        offer = Offer.objects.create(deal=deal, version=deal.current_version + 1, side=Side.LICENSOR,
                                     made_by=actor, proposed_in=locked, **cleaned)
        deal.current_version = offer.version
        _save(deal, "current_version")
        audit.record("dispute.terms_proposed", actor=actor, target=deal, organisation=_org_of(deal, locked),
                     after={"dispute": locked.pk, "version": offer.version, "licence_kind": offer.licence_kind,
                            "fee_model": offer.fee_model})
        _emit(deal, "deal.terms_proposed", dispute=locked.pk, version=offer.version, offer=offer.pk)
        _notify(deal, "deal.terms_proposed", side=None, actor=actor, version=offer.version, **_notice(locked))
    return offer


def accept_proposal(offer: Offer, *, actor) -> Offer:
    """One side accepts the mediator's proposal (recorded per side). When both have, it is the deal's agreed
    version and a new agreement version is generated from it (signed by both through the normal flow)."""
    side = require_party(actor, offer.deal)
    if offer.proposed_in_id is None:
        raise ActionError(_("Version %(n)s is not a mediator's proposal.") % {"n": offer.version})
    with transaction.atomic():
        _lock_listing(offer.deal.listing_id)  # exclusivity is checked under the listing lock, as in accept_offer
        deal, dispute = _locked(offer.proposed_in)
        locked = Offer.objects.select_for_update().get(pk=offer.pk)
        _require_unresolved(dispute)
        if locked.status != OfferStatus.OPEN:
            raise OfferNotCurrent(_("Version %(n)s is %(status)s.")
                                  % {"n": locked.version, "status": locked.get_status_display().lower()})
        field = f"{side}_accepted_at"
        if getattr(locked, field) is not None:
            raise ActionError(_("Your side already accepted version %(n)s.") % {"n": locked.version})
        other = f"{Side(side).other}_accepted_at"
        both = getattr(locked, other) is not None
        if both:
            blocked = exclusivity.open_licence_block(deal.listing, locked.licence_kind)
            if blocked:
                raise ExclusivityConflict(blocked)
            places = exclusivity.conflicting_places(deal, locked)
            if places:
                raise ExclusivityConflict(_("This listing is already licensed exclusively in %(places)s, which "
                                            "this proposal's territory overlaps.")
                                          % {"places": territories.display(places)})
        setattr(locked, field, timezone.now())
        locked.save(update_fields=[field])
        if both:
            _set_offer_status(locked, OfferStatus.ACCEPTED)
            deal.agreed_offer, deal.agreed_at = locked, timezone.now()
            _save(deal, "agreed_offer", "agreed_at")
        else:
            _save(deal)
        audit.record("dispute.proposal_accepted", actor=actor, target=deal, organisation=deal.organisation_of(side),
                     after={"dispute": dispute.pk, "version": locked.version, "side": side, "both": both})
        _emit(deal, "deal.proposal_accepted", dispute=dispute.pk, version=locked.version, offer=locked.pk,
              side=side, agreed=both)
        _notify(deal, "deal.proposal_accepted", side=side, actor=actor, also=_mediator_also(dispute),
                version=locked.version, both=both, **_notice(dispute))
        if both:
            from negotiations.actions.agreements import generate_agreement

            generate_agreement(deal, actor=actor, offer=locked)
    offer.refresh_from_db()
    return offer


# --- closing --------------------------------------------------------------------------------------
def _close(deal: Deal, dispute: Dispute, *, actor, outcome: str, summary: str, side: str | None) -> None:
    for proposal in Offer.objects.select_for_update().filter(proposed_in=dispute, status=OfferStatus.OPEN):
        _set_offer_status(proposal, OfferStatus.CLOSED)
    check_transition(DisputeStatus, dispute.status, DisputeStatus.CLOSED, _("Dispute"))
    before = dispute.status
    dispute.status, dispute.outcome, dispute.summary = DisputeStatus.CLOSED, outcome, summary
    dispute.closed_by, dispute.closed_at = actor, timezone.now()
    dispute.save(update_fields=["status", "outcome", "summary", "closed_by", "closed_at"])
    deal.disputed = False
    _save(deal, "disputed")
    audit.record("dispute.closed", actor=actor, target=deal, organisation=_org_of(deal, dispute),
                 before={"status": before}, after={"dispute": dispute.pk, "outcome": outcome})
    _emit(deal, "deal.dispute_closed", dispute=dispute.pk, outcome=outcome)
    _notify(deal, "deal.dispute_closed", side=side, actor=actor, also=_mediator_also(dispute), outcome=outcome,
            summary=summary[:500], **_notice(dispute))


def close_dispute(dispute: Dispute, *, actor, outcome: str, summary: str) -> Dispute:
    """The mediator (or staff) closes the dispute with an outcome and a summary; the deal is no longer paused."""
    if outcome not in DisputeOutcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    summary = _text(summary, "summary")
    with transaction.atomic():
        deal, locked = _locked(dispute)
        _require_unresolved(locked)
        if not (actor.is_staff or locked.mediator_id == actor.pk):
            raise NotAllowed(_("Only the dispute's mediator or platform staff can close it."))
        if not actor.is_staff and not mediation.may_mediate(actor):
            raise NotAllowed(_("Only the mediator assigned to this dispute can do this."))
        _close(deal, locked, actor=actor, outcome=outcome, summary=summary, side=None)
    dispute.refresh_from_db()
    return dispute


def withdraw_dispute(dispute: Dispute, *, actor, summary: str = "") -> Dispute:
    """The side that raised the dispute withdraws it (outcome withdrawn)."""
    side = require_party(actor, dispute.deal)
    summary = _text(summary, "summary", required=False) or _("Withdrawn by the side that raised it.")
    with transaction.atomic():
        deal, locked = _locked(dispute)
        _require_unresolved(locked)
        if side != locked.raised_side:
            raise NotAllowed(_("Only the side that raised the dispute can withdraw it."))
        _close(deal, locked, actor=actor, outcome=DisputeOutcome.WITHDRAWN, summary=summary, side=side)
    dispute.refresh_from_db()
    return dispute
