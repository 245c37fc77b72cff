"""Opening and ending deals."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from listings.models import Listing, ListingState
from marketplace import audit
from marketplace.actions import ActionError, NotAllowed, membership_of
from marketplace.models import Organisation
from marketplace.states import check_transition
from marketplace.verification import VerifiedOnly, require_verified
from negotiations import terms as term_sheets
from negotiations.models import Deal, DealState, OfferStatus, Side
from negotiations.actions.common import (
    DealExists,
    _create_offer,
    _emit,
    _lock,
    _lock_listing,
    _move,
    _notify,
    _offer_payload,
    _open_offer,
    _set_offer_status,
    require_party,
)
from negotiations.actions.messages import _write_message

log = logging.getLogger(__name__)


def first_terms(listing: Listing) -> dict:
    """Version 1 from the listing's terms, valid for ``DEAL_OFFER_VALIDITY_DAYS``. A territory the platform
    cannot read (the owner's own words) stays empty: ``clean_terms`` then asks the opener to choose one."""
    first = term_sheets.defaults_from_listing(listing, validity_days=settings.DEAL_OFFER_VALIDITY_DAYS)
    # Valid to the end of that day, as every later version made through the form.
    first["valid_until"] = term_sheets.end_of_day(timezone.localdate(first["valid_until"]))
    return first


def _take_over_matching(deal: Deal, *, actor, side: str, contact_request) -> None:
    """The deal room replaces the licence requests about this listing from the licensee (their inbox entries now
    link here), and the licensee's suggestions of the listing count as contacted in the funnel."""
    from matching import actions as matching_actions
    from matching.models import ContactRequest, Suggestion, SuggestionStatus

    requests = ContactRequest.objects.active().filter(listing_id=deal.listing_id,
                                                      need__organisation_id=deal.licensee_id)
    pending = {c.pk: c for c in requests}
    if contact_request is not None:
        pending[contact_request.pk] = contact_request
    for contact in pending.values():
        matching_actions.hand_over_request(contact, url=deal.get_absolute_url(), actor=actor)
    if side == Side.LICENSEE:
        suggestions = Suggestion.objects.filter(need__organisation_id=deal.licensee_id, listing_id=deal.listing_id,
                                                status__in=(SuggestionStatus.PUSHED, SuggestionStatus.VIEWED))
        for suggestion in suggestions:
            matching_actions.mark_contacted(suggestion, actor=actor)


# --- opening --------------------------------------------------------------------------------------
def open_deal(listing: Listing, licensee: Organisation, *, actor, terms: dict | None = None, message: str = "",
              contact_request=None) -> Deal:
    """Open a deal room between the listing's owner and ``licensee``, with version 1 of the terms (the listing's
    terms unless ``terms`` are given). The licensee's members open it from a listing or a suggestion; the
    licensor's members only in answer to a licence request (``contact_request``), which then links here."""
    if membership_of(actor, licensee) is not None:
        side = Side.LICENSEE
    elif contact_request is not None and membership_of(actor, listing.owner) is not None:
        side = Side.LICENSOR
    else:
        raise NotAllowed(_("Only members of %(org)s can open a deal for it.") % {"org": licensee.name})
    if contact_request is not None and (contact_request.listing_id != listing.pk
                                        or contact_request.need.organisation_id != licensee.pk):
        raise ActionError(_("That licence request is about another listing or organisation."))
    if licensee.pk == listing.owner_id:
        raise ActionError(_("%(org)s owns this listing; it cannot license it to itself.") % {"org": licensee.name})
    require_verified(licensee, VerifiedOnly.OPEN_DEAL)
    require_verified(listing.owner, VerifiedOnly.OPEN_DEAL)
    cleaned = term_sheets.clean_terms(terms if terms is not None else first_terms(listing))
    message = (message or "").strip()
    if len(message) > settings.DEAL_MESSAGE_MAX_CHARS:
        raise ValidationError({"message": _("A message can be at most %(n)s characters.")
                               % {"n": settings.DEAL_MESSAGE_MAX_CHARS}})
    try:
        with transaction.atomic():
            locked_listing = _lock_listing(listing.pk)
            if locked_listing.state != ListingState.PUBLISHED:
                raise ActionError(_("“%(title)s” is not open for licensing right now.") % {"title": listing.title})
            existing = Deal.objects.active().filter(listing=listing, licensee=licensee).first()
            if existing is not None:
                raise DealExists(existing)
            deal = Deal.objects.create(listing=locked_listing, licensor=locked_listing.owner, licensee=licensee,
                                       opened_by=actor, opened_side=side, contact_request=contact_request)
            deal = _lock(deal)
            audit.record("deal.opened", actor=actor, target=deal, organisation=deal.organisation_of(side),
                         after={"listing": listing.pk, "licensee": licensee.pk, "side": side})
            offer = _create_offer(deal, actor=actor, side=side, cleaned=cleaned, distinct_field_confirmed=False)
            _emit(deal, "deal.offer_created", side=side, state=deal.state, **_offer_payload(offer))
            if message:
                _write_message(deal, actor=actor, side=side, body=message, checked_files=[])
            _take_over_matching(deal, actor=actor, side=side, contact_request=contact_request)
            _notify(deal, "deal.opened", side=side, actor=actor)
    except IntegrityError:
        # Another request opened the same deal a moment ago (the unique constraint on active deals).
        existing = Deal.objects.active().filter(listing=listing, licensee=licensee).first()
        if existing is None:
            raise
        raise DealExists(existing) from None
    return deal




def end_deal(deal: Deal, *, actor, reason: str = "") -> Deal:
    """End the negotiation (or back out of an agreed deal before it is signed): the licensor declines, the
    licensee withdraws. An open version is closed with it."""
    side = require_party(actor, deal)
    reason = (reason or "").strip()
    if len(reason) > 1000:
        raise ValidationError({"reason": _("A reason can be at most 1000 characters.")})
    target = DealState.DECLINED if side == Side.LICENSOR else DealState.WITHDRAWN
    with transaction.atomic():
        locked = _lock(deal)
        check_transition(DealState, locked.state, target, _("Deal"))
        offer = _open_offer(locked)
        if offer is not None:
            _set_offer_status(offer, OfferStatus.CLOSED)
        from negotiations.actions.agreements import void_live_agreement

        void_live_agreement(locked)  # backing out while signing: the agreement out for signature is void
        _move(locked, target, actor=actor, side=side, reason=reason)
        _notify(locked, "deal.ended", side=side, actor=actor, reason=reason)
    deal.refresh_from_db()
    return deal
