"""Term-sheet versions: a new version (a counter-offer), acceptance (exclusivity under the listing lock),
withdrawal, and expiry (past valid-until; idle negotiations)."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import audit
from marketplace.actions import ActionError, NotAllowed
from marketplace.verification import VerifiedOnly, require_verified
from negotiations import territories
from negotiations import exclusivity
from negotiations import terms as term_sheets
from negotiations.models import Deal, DealState, Offer, OfferStatus, Side
from negotiations.actions.common import (
    Expired,
    ExclusivityConflict,
    OfferNotCurrent,
    StaleVersion,
    _create_offer,
    _emit,
    _lock,
    _lock_listing,
    _move,
    _notify,
    _offer_payload,
    _open_offer,
    _save,
    _set_offer_status,
    require_party,
)

log = logging.getLogger(__name__)


# --- offers ---------------------------------------------------------------------------------------
def _expire_locked(deal: Deal, now) -> Expired:
    """Expire what is due on a locked deal: its open offer past valid-until, the deal when idle too long."""
    done = Expired()
    if deal.state != DealState.NEGOTIATING:
        return done
    offer = _open_offer(deal)
    if offer is not None and offer.is_past_validity(now):
        _set_offer_status(offer, OfferStatus.EXPIRED)
        deal.waiting_for = ""
        deal.save(update_fields=["waiting_for"])
        audit.record("offer.expired", target=deal, organisation=deal.organisation_of(offer.side),
                     after={"version": offer.version})
        _emit(deal, "deal.offer_expired", version=offer.version, offer=offer.pk, state=deal.state)
        _notify(deal, "deal.offer_expired", side=None, actor=None, version=offer.version)
        done.offers += 1
    idle_since = now - timezone.timedelta(days=settings.DEAL_IDLE_EXPIRY_DAYS)
    if deal.last_activity_at <= idle_since and _open_offer(deal) is None:
        _move(deal, DealState.EXPIRED, actor=None, side=None,
              reason=_("Nobody moved for %(n)s days.") % {"n": settings.DEAL_IDLE_EXPIRY_DAYS})
        _notify(deal, "deal.ended", side=None, actor=None)
        done.deals += 1
    return done


def _needs_expiry(deal: Deal, now) -> bool:
    if deal.state != DealState.NEGOTIATING:
        return False
    idle_since = now - timezone.timedelta(days=settings.DEAL_IDLE_EXPIRY_DAYS)
    return (deal.last_activity_at <= idle_since
            or deal.offers.filter(status=OfferStatus.OPEN, valid_until__lte=now).exists())


def expire_due(now=None, *, deal: Deal | None = None) -> Expired:
    """Expire offers past valid-until and negotiations idle for ``DEAL_IDLE_EXPIRY_DAYS``: all of them
    (``manage.py expire_offers``; safe to run any time, concurrently too) or one ``deal`` (lazily, on read)."""
    now = now or timezone.now()
    if deal is not None:
        candidates = [deal.pk] if _needs_expiry(deal, now) else []
    else:
        idle_since = now - timezone.timedelta(days=settings.DEAL_IDLE_EXPIRY_DAYS)
        due = set(Offer.objects.filter(status=OfferStatus.OPEN, valid_until__lte=now,
                                       deal__state=DealState.NEGOTIATING).values_list("deal_id", flat=True))
        due |= set(Deal.objects.filter(state=DealState.NEGOTIATING, last_activity_at__lte=idle_since)
                   .values_list("pk", flat=True))
        candidates = sorted(due)
    total = Expired()
    for pk in candidates:
        with transaction.atomic():
            locked = _lock(Deal(pk=pk))
            done = _expire_locked(locked, now)
        total.offers += done.offers
        total.deals += done.deals
        if deal is not None:
            deal.refresh_from_db()
    return total


def _check_version(deal: Deal, expected_version: int | None, side: str) -> None:
    if expected_version is not None and int(expected_version) != deal.current_version:
        latest = deal.offers.filter(version=deal.current_version).first()
        raise StaleVersion(deal.current_version, "" if latest is None or latest.side == side else latest.side)


def _require_negotiating(deal: Deal) -> None:
    if deal.state != DealState.NEGOTIATING:
        raise ActionError(_("This deal is %(state)s: its terms can no longer change.")
                          % {"state": deal.get_state_display().lower()})


@contextmanager
def _negotiating(deal: Deal, *, lock_listing: bool = False):
    """The deal locked for a move on its terms, with what is due expired first (committed on its own, so a
    refused move does not undo the expiry); refuses a deal that is no longer negotiating."""
    expire_due(deal=deal)
    with transaction.atomic():
        if lock_listing:
            _lock_listing(deal.listing_id)
        locked = _lock(deal)
        _expire_locked(locked, timezone.now())
        _require_negotiating(locked)
        yield locked


def make_offer(deal: Deal, *, actor, terms: dict, expected_version: int | None,
               distinct_field_confirmed: bool = False) -> Offer:
    """A new version of the terms (a counter-offer, or the maker revising its own): the open one is superseded.
    ``expected_version`` is the version the form was made against; if someone moved since, ``StaleVersion``."""
    side = require_party(actor, deal)
    with _negotiating(deal) as locked:
        _check_version(locked, expected_version, side)
        cleaned = term_sheets.clean_terms(terms)
        previous = _open_offer(locked)
        if previous is not None:
            _set_offer_status(previous, OfferStatus.SUPERSEDED)
        offer = _create_offer(locked, actor=actor, side=side, cleaned=cleaned,
                              distinct_field_confirmed=distinct_field_confirmed)
        _emit(locked, "deal.offer_created", side=side, state=locked.state, **_offer_payload(offer))
        before = locked.offers.filter(version__lt=offer.version).order_by("-version").first()
        changed = [c.field for c in term_sheets.diff(before.terms() if before else None, offer.terms())]
        _notify(locked, "deal.offer", side=side, actor=actor, version=offer.version, changed_fields=changed)
    deal.refresh_from_db()
    return offer


def _current_offer_for(deal: Deal, version: int, side: str) -> Offer:
    offer = Offer.objects.select_for_update().filter(deal=deal, version=version).first()
    if offer is None:
        raise OfferNotCurrent(_("There is no version %(n)s in this deal.") % {"n": version})
    if offer.status != OfferStatus.OPEN or offer.version != deal.current_version:
        status = offer.get_status_display().lower()
        current = deal.offers.filter(status=OfferStatus.OPEN).order_by("-version").first()
        if current is not None:
            raise OfferNotCurrent(_("Version %(n)s is %(status)s; version %(current)s is the current one.")
                                  % {"n": version, "status": status, "current": current.version})
        raise OfferNotCurrent(_("Version %(n)s is %(status)s; there is no open version now — either side may "
                                "propose new terms.") % {"n": version, "status": status})
    return offer




def accept_offer(deal: Deal, *, actor, version: int, confirm_distinct_field: bool = False) -> Deal:
    """Accept the other side's current version: the deal is agreed on it. Only the side that did not make it
    may; a superseded, withdrawn or expired version fails, naming the current one. Exclusivity is checked with
    the listing row locked, so two deals accepting exclusive terms at once cannot both be agreed."""
    side = require_party(actor, deal)
    with _negotiating(deal, lock_listing=True) as locked:  # the listing lock serialises acceptances on it
        offer = _current_offer_for(locked, int(version), side)
        if offer.side == side:
            raise NotAllowed(_("You made version %(n)s; the other side accepts it or answers with new terms.")
                             % {"n": offer.version})
        require_verified(locked.licensee, VerifiedOnly.OPEN_DEAL)
        require_verified(locked.licensor, VerifiedOnly.OPEN_DEAL)
        blocked = exclusivity.open_licence_block(locked.listing, offer.licence_kind)  # read under the listing lock
        if blocked:
            raise ExclusivityConflict(blocked)
        confirmed = offer.distinct_field_confirmed or (side == Side.LICENSOR and confirm_distinct_field)
        places = exclusivity.conflicting_places(locked, offer, field_split_confirmed=confirmed)
        if places:
            raise ExclusivityConflict(
                _("This listing is already licensed exclusively in %(places)s, which this version's territory "
                  "overlaps. Propose terms for another territory%(split)s.")
                % {"places": territories.display(places),
                   "split": _(", or a distinct field of use confirmed by the licensor")})
        _set_offer_status(offer, OfferStatus.ACCEPTED)
        locked.agreed_offer, locked.agreed_at, locked.waiting_for = offer, timezone.now(), ""
        locked.save(update_fields=["agreed_offer", "agreed_at", "waiting_for"])
        audit.record("offer.accepted", actor=actor, target=locked, organisation=locked.organisation_of(side),
                     after={"version": offer.version, "licence_kind": offer.licence_kind,
                            "territory": offer.territory, "field_split_confirmed": confirmed})
        _emit(locked, "deal.offer_accepted", side=side, state=DealState.AGREED, **_offer_payload(offer))
        _move(locked, DealState.AGREED, actor=actor, side=side)
        _notify(locked, "deal.accepted", side=side, actor=actor, version=offer.version)
        if offer.is_exclusive:
            _tell_other_deals(locked, offer)
        # The licence agreement, in the same transaction: out for signature (agreed → signing), or FAILED for
        # staff to retry with the deal still agreed.
        from negotiations.actions.agreements import generate_agreement

        generate_agreement(locked, actor=actor, offer=offer)
    deal.refresh_from_db()
    return deal


def _tell_other_deals(deal: Deal, offer: Offer) -> None:
    """Other open deals on the listing whose current terms overlap the exclusive territory just agreed: a banner
    in their room (event) and a notification."""
    others = (Deal.objects.select_for_update(of=("self",)).select_related("listing", "licensor", "licensee")
              .filter(listing_id=deal.listing_id, state=DealState.NEGOTIATING).exclude(pk=deal.pk).order_by("pk"))
    for other in others:
        current = other.offers.filter(version=other.current_version).first()
        if current is not None and not territories.overlaps(current.territory, offer.territory):
            continue
        _emit(other, "deal.exclusivity_taken", listing=deal.listing_id, licence_kind=offer.licence_kind,
              territory=list(offer.territory))
        _notify(other, "deal.exclusivity", side=None, actor=None, territory=list(offer.territory))


def withdraw_offer(deal: Deal, *, actor, version: int) -> Offer:
    """The maker's side takes its open version back; then nobody's offer is open and either side may propose."""
    side = require_party(actor, deal)
    with _negotiating(deal) as locked:
        offer = _current_offer_for(locked, int(version), side)
        if offer.side != side:
            raise NotAllowed(_("Only the side that made version %(n)s can withdraw it.") % {"n": offer.version})
        _set_offer_status(offer, OfferStatus.WITHDRAWN)
        locked.waiting_for = ""
        _save(locked, "waiting_for")
        audit.record("offer.withdrawn", actor=actor, target=locked, organisation=locked.organisation_of(side),
                     after={"version": offer.version})
        _emit(locked, "deal.offer_withdrawn", side=side, state=locked.state, **_offer_payload(offer))
        _notify(locked, "deal.offer_withdrawn", side=side, actor=actor, version=offer.version)
    deal.refresh_from_db()
    return offer
