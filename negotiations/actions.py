"""Every state change of deals, term sheets, messages and attachments.

    open_deal(listing, licensee, *, actor, terms=None, message="", contact_request=None) -> Deal
    make_offer(deal, *, actor, terms, expected_version, distinct_field_confirmed=False) -> Offer
    accept_offer(deal, *, actor, version, confirm_distinct_field=False) -> Deal
    withdraw_offer(deal, *, actor, version) -> Offer
    end_deal(deal, *, actor, reason="") -> Deal        the licensor declines, the licensee withdraws
    expire_due(now=None, *, deal=None) -> Expired     offers past valid-until, negotiations idle too long
    post_message(deal, *, actor, body, files=()) -> Message
    edit_message(message, *, actor, body) -> Message  the author, within 5 minutes
    delete_message(message, *, actor) -> Message      the author; leaves a "deleted" marker

Each validates, locks (``select_for_update``: the listing row first when exclusivity is at stake, then the
deal, then its offers), changes, writes the audit entry, stores a ``DealEvent`` with the deal's next sequence
number and, on commit, sends it to the room and notifies the parties (in each recipient's language).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from listings.models import Listing, ListingState
from marketplace import audit, events, notifications, wording
from marketplace.actions import ActionError, NotAllowed, membership_of
from marketplace.models import Membership, Organisation
from marketplace.states import check_transition
from marketplace.verification import VerifiedOnly, require_verified
from negotiations import presence, terms as term_sheets, territories
from negotiations.models import (
    EXCLUSIVE_KINDS,
    HOLDING_DEAL_STATES,
    Attachment,
    Deal,
    DealEvent,
    DealState,
    Message,
    Offer,
    OfferStatus,
    TERM_FIELDS,
    Side,
)

log = logging.getLogger(__name__)


class DealExists(ActionError):
    """The licensee already has an active deal on this listing (``deal`` is it)."""

    def __init__(self, deal: Deal):
        self.deal = deal
        super().__init__(_("There is already an open deal room for this listing and %(org)s: deal %(id)s.")
                         % {"org": deal.licensee.name, "id": deal.pk})


class StaleVersion(ActionError):
    """Someone moved first: the form was made against an older version."""

    def __init__(self, current: int, side: str):
        self.current = current
        if side:
            text = _("The other side has just made version %(n)s; read it before you answer.") % {"n": current}
        else:
            text = _("Version %(n)s is now the latest; read it before you answer.") % {"n": current}
        super().__init__(text)


class OfferNotCurrent(ActionError):
    """The version to accept or withdraw is superseded, withdrawn, expired or closed."""


class ExclusivityConflict(ActionError):
    """An exclusive licence already agreed on the listing covers part of this territory."""


@dataclass
class Expired:
    offers: int = 0
    deals: int = 0


# --- access ---------------------------------------------------------------------------------------
def side_of(user, deal: Deal) -> str | None:
    """The side the user acts for in this deal (``Side.LICENSOR`` / ``Side.LICENSEE``), or None."""
    if membership_of(user, deal.licensee) is not None:
        return Side.LICENSEE
    if membership_of(user, deal.licensor) is not None:
        return Side.LICENSOR
    return None


def require_party(user, deal: Deal) -> str:
    side = side_of(user, deal)
    if side is None:
        raise NotAllowed(_("You are not a party to this deal."))
    return side


# --- internals ------------------------------------------------------------------------------------
def _lock(deal: Deal) -> Deal:
    return Deal.objects.select_for_update(of=("self",)).select_related("listing", "licensor", "licensee").get(
        pk=deal.pk)


def _lock_listing(listing_id: int) -> Listing:
    return Listing.objects.select_for_update().get(pk=listing_id)


def _emit(deal: Deal, event_type: str, **payload) -> DealEvent:
    """Store the deal's next event (the deal row is locked by the caller) and send it on commit."""
    events.check_shape(event_type, payload)
    deal.last_seq += 1
    Deal.objects.filter(pk=deal.pk).update(last_seq=deal.last_seq)
    event = DealEvent.objects.create(deal=deal, seq=deal.last_seq, type=event_type, payload=payload)
    events.send_deal_on_commit(deal.pk, event.seq, event_type, payload)
    return event


def _save(deal: Deal, *fields: str) -> None:
    deal.last_activity_at = timezone.now()
    deal.save(update_fields=[*fields, "last_activity_at"])


def _move(deal: Deal, target: str, *, actor, side: str | None, reason: str = "") -> str:
    before = deal.state
    check_transition(DealState, before, target, _("Deal"))
    deal.state = target
    deal.state_changed_at = timezone.now()
    changed = ["state", "state_changed_at"]
    if target in (DealState.DECLINED, DealState.WITHDRAWN, DealState.EXPIRED):
        deal.closed_reason, deal.closed_by, deal.waiting_for = reason, actor, ""
        changed += ["closed_reason", "closed_by", "waiting_for"]
    _save(deal, *changed)
    audit.record(f"deal.{target}", actor=actor, target=deal, organisation=deal.organisation_of(side or Side.LICENSOR),
                 before={"state": before}, after={"state": target, **({"reason": reason} if reason else {})})
    _emit(deal, "deal.status_changed", state=target, previous=before, side=side or "")
    return before


def _set_offer_status(offer: Offer, target: str) -> None:
    check_transition(OfferStatus, offer.status, target, _("Term sheet"))
    offer.status, offer.status_changed_at = target, timezone.now()
    offer.save(update_fields=["status", "status_changed_at"])


def _open_offer(deal: Deal) -> Offer | None:
    return Offer.objects.select_for_update().filter(deal=deal, status=OfferStatus.OPEN).order_by("-version").first()


def _members(*organisations: Organisation, exclude=None) -> list:
    memberships = (Membership.objects.filter(organisation__in=organisations, user__is_active=True)
                   .select_related("user", "organisation"))
    seen, users = set(), []
    for m in memberships:
        if m.user_id in seen or (exclude is not None and m.user_id == getattr(exclude, "pk", None)):
            continue
        seen.add(m.user_id)
        users.append((m.user, m.organisation))
    return users


def _notice_data(deal: Deal, side: str | None, **extra) -> dict:
    return {"deal_id": deal.pk, "listing_id": deal.listing_id, "listing_title": deal.listing.title,
            "licensor_name": deal.licensor.name, "licensee_name": deal.licensee.name,
            "actor_org": deal.organisation_of(side).name if side else "", "side": side or "",
            "state": deal.state, **extra}


def _notify(deal: Deal, kind: str, *, side: str | None, actor, only=None, **extra) -> None:
    """A ``deal.*`` notification to each member of both parties but the actor, in each one's language
    (``only``: a set of user ids to limit it to). Emailed per each person's preference (instant or digest)."""
    from negotiations.notices import render

    data = _notice_data(deal, side, **extra)
    render(kind, data)  # a bad kind or incomplete data fails here, inside the action
    batch = [notifications.build(user, kind, "", "", deal.get_absolute_url(), organisation=organisation, data=data)
             for user, organisation in _members(deal.licensor, deal.licensee, exclude=actor)
             if only is None or user.pk in only]
    notifications.deliver(batch)


def _offer_payload(offer: Offer) -> dict:
    return {"version": offer.version, "offer": offer.pk}


def _create_offer(deal: Deal, *, actor, side: str, cleaned: dict, distinct_field_confirmed: bool) -> Offer:
    offer = Offer.objects.create(
        deal=deal, version=deal.current_version + 1, side=side, made_by=actor,
        distinct_field_confirmed=bool(distinct_field_confirmed and side == Side.LICENSOR), **cleaned)
    deal.current_version = offer.version
    deal.waiting_for = Side(side).other
    _save(deal, "current_version", "waiting_for")
    audit.record("offer.created", actor=actor, target=deal, organisation=deal.organisation_of(side),
                 after={"version": offer.version, "side": side, "licence_kind": offer.licence_kind,
                        "fee_model": offer.fee_model})
    return offer


def _clean_terms(terms: dict, listing: Listing) -> dict:
    return term_sheets.clean_terms(terms)


def first_terms(listing: Listing) -> dict:
    """Version 1 from the listing's terms. A territory the platform cannot read (the owner's own words) becomes
    mainland China, with the owner's words quoted in the note, for either side to correct."""
    first = term_sheets.defaults_from_listing(listing, validity_days=settings.DEAL_OFFER_VALIDITY_DAYS)
    if not first["territory"]:
        first["territory"] = ["CN"]
        if listing.territory.strip():
            first["note"] = (_("The listing's territory reads “%(text)s”.") % {"text": listing.territory.strip()}
                             )[:term_sheets.MAX_NOTE]
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
    cleaned = _clean_terms(terms if terms is not None else first_terms(listing), listing)
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


def make_offer(deal: Deal, *, actor, terms: dict, expected_version: int | None,
               distinct_field_confirmed: bool = False) -> Offer:
    """A new version of the terms (a counter-offer, or the maker revising its own): the open one is superseded.
    ``expected_version`` is the version the form was made against; if someone moved since, ``StaleVersion``."""
    side = require_party(actor, deal)
    expire_due(deal=deal)  # committed on its own: a refused move below must not undo the expiry
    with transaction.atomic():
        locked = _lock(deal)
        _expire_locked(locked, timezone.now())
        _require_negotiating(locked)
        _check_version(locked, expected_version, side)
        cleaned = _clean_terms(terms, locked.listing)
        previous = _open_offer(locked)
        if previous is not None:
            _set_offer_status(previous, OfferStatus.SUPERSEDED)
        offer = _create_offer(locked, actor=actor, side=side, cleaned=cleaned,
                              distinct_field_confirmed=distinct_field_confirmed)
        _emit(locked, "deal.offer_created", side=side, state=locked.state, **_offer_payload(offer))
        before = locked.offers.filter(version__lt=offer.version).order_by("-version").first()
        changed = [name for name in TERM_FIELDS if before is not None and name != "valid_until"
                   and getattr(before, name) != getattr(offer, name)]
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


def _exclusive_conflicts(deal: Deal, offer: Offer, *, field_split_confirmed: bool) -> list[tuple[Deal, list]]:
    """Deals holding an exclusive, sole or assignment licence on the listing whose territory overlaps this
    offer's: an exclusive licence promises its territory to one licensee, so no second licence there (of any
    kind) may be agreed, unless both name a field of use and the licensor confirmed the fields are distinct.
    (A new exclusive licence over earlier non-exclusive ones is allowed: it is granted subject to them.)"""
    conflicts = []
    holders = (Deal.objects.filter(listing_id=deal.listing_id, state__in=HOLDING_DEAL_STATES)
               .exclude(pk=deal.pk).select_related("agreed_offer", "licensee"))
    for other in holders:
        agreed = other.agreed_offer
        if agreed is None or agreed.licence_kind not in EXCLUSIVE_KINDS:
            continue
        shared = territories.overlap(agreed.territory, offer.territory)
        if not shared:
            continue
        if field_split_confirmed and agreed.field_of_use.strip() and offer.field_of_use.strip():
            continue
        conflicts.append((other, shared))
    return conflicts


def accept_offer(deal: Deal, *, actor, version: int, confirm_distinct_field: bool = False) -> Deal:
    """Accept the other side's current version: the deal is agreed on it. Only the side that did not make it
    may; a superseded, withdrawn or expired version fails, naming the current one. Exclusivity is checked with
    the listing row locked, so two deals accepting exclusive terms at once cannot both be agreed."""
    side = require_party(actor, deal)
    expire_due(deal=deal)  # committed on its own: a refused acceptance must not undo the expiry
    with transaction.atomic():
        _lock_listing(deal.listing_id)  # serialises every acceptance on this listing
        locked = _lock(deal)
        _expire_locked(locked, timezone.now())
        _require_negotiating(locked)
        offer = _current_offer_for(locked, int(version), side)
        if offer.side == side:
            raise NotAllowed(_("You made version %(n)s; the other side accepts it or answers with new terms.")
                             % {"n": offer.version})
        require_verified(locked.licensee, VerifiedOnly.OPEN_DEAL)
        require_verified(locked.licensor, VerifiedOnly.OPEN_DEAL)
        confirmed = offer.distinct_field_confirmed or (side == Side.LICENSOR and confirm_distinct_field)
        conflicts = _exclusive_conflicts(locked, offer, field_split_confirmed=confirmed)
        if conflicts:
            places = sorted({place for _other, shared in conflicts for place in shared})
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
    expire_due(deal=deal)  # committed on its own: a refused move below must not undo the expiry
    with transaction.atomic():
        locked = _lock(deal)
        _expire_locked(locked, timezone.now())
        _require_negotiating(locked)
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
        _move(locked, target, actor=actor, side=side, reason=reason)
        _notify(locked, "deal.ended", side=side, actor=actor, reason=reason)
    deal.refresh_from_db()
    return deal


# --- messages -------------------------------------------------------------------------------------
def _rate_limited(actor) -> bool:
    from django.core.cache import cache

    count, seconds = settings.DEAL_MESSAGE_RATE
    key = f"deal-messages:{actor.pk}:{int(timezone.now().timestamp()) // seconds}"
    cache.add(key, 0, timeout=seconds)
    try:
        used = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=seconds)
        used = 1
    return used > count


def _write_message(deal: Deal, *, actor, side: str, body: str, checked_files) -> Message:
    message = Message.objects.create(deal=deal, author=actor, side=side, body=body)
    for uploaded, checked in checked_files:
        attachment = Attachment(deal=deal, message=message, uploaded_by=actor, original_name=uploaded.name[:255],
                                content_type=checked.content_type, extension=checked.extension,
                                size=checked.size, sha256=checked.sha256)
        uploaded.seek(0)
        attachment.file.save(uploaded.name, uploaded, save=False)
        attachment.save()
    audit.record("deal_message.posted", actor=actor, target=deal, organisation=deal.organisation_of(side),
                 after={"message": message.pk, "attachments": len(checked_files)})
    _emit(deal, "deal.message_created", message=message.pk, side=side, attachments=len(checked_files))
    return message


def post_message(deal: Deal, *, actor, body: str, files=()) -> Message:
    """A message to the other side, with optional attachments (each checked before anything is stored)."""
    from negotiations.uploads import check_attachment

    side = require_party(actor, deal)
    body = (body or "").strip()
    files = list(files or ())
    if not body and not files:
        raise ValidationError({"body": _("Write a message or attach a file.")})
    if len(body) > settings.DEAL_MESSAGE_MAX_CHARS:
        raise ValidationError({"body": _("A message can be at most %(n)s characters (this one has %(len)s).")
                               % {"n": settings.DEAL_MESSAGE_MAX_CHARS, "len": len(body)}})
    checked = []
    for uploaded in files:
        try:
            checked.append((uploaded, check_attachment(uploaded)))
        except ValidationError as exc:
            raise ValidationError({"attachments": [f"{uploaded.name}: {m}" for m in exc.messages]}) from None
    if deal.state not in (*HOLDING_DEAL_STATES, DealState.NEGOTIATING) or deal.state == DealState.COMPLETED:
        raise ActionError(_("This deal is %(state)s; its room is read-only.")
                          % {"state": deal.get_state_display().lower()})
    if _rate_limited(actor):
        raise ActionError(_("You are sending messages too fast. Please wait a minute and try again."))
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            locked = _lock(deal)
            message = _write_message(locked, actor=actor, side=side, body=body, checked_files=checked)
            stored = list(message.attachments.all())
            _save(locked)
            present = presence.present_user_ids(locked.pk, [u.pk for u, _org in _members(locked.licensor,
                                                                                          locked.licensee)])
            members = {u.pk for u, _org in _members(locked.licensor, locked.licensee, exclude=actor)}
            _notify(locked, "deal.message", side=side, actor=actor, only=members - present,
                    excerpt=body[:200] or _attachment_names(checked), message=message.pk)
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return message


def _attachment_names(checked) -> str:
    return ", ".join(uploaded.name for uploaded, _c in checked)


def _lock_message(message: Message, actor) -> Message:
    locked = Message.objects.select_for_update().select_related("deal").get(pk=message.pk)
    require_party(actor, locked.deal)
    if locked.author_id != getattr(actor, "pk", None):
        raise NotAllowed(_("Only the author can change a message."))
    if locked.is_deleted:
        raise ActionError(_("This message was deleted."))
    return locked


def edit_message(message: Message, *, actor, body: str) -> Message:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("A message cannot be empty; delete it instead.")})
    if len(body) > settings.DEAL_MESSAGE_MAX_CHARS:
        raise ValidationError({"body": _("A message can be at most %(n)s characters.")
                               % {"n": settings.DEAL_MESSAGE_MAX_CHARS}})
    with transaction.atomic():
        locked = _lock_message(message, actor)
        if timezone.now() > locked.editable_until():
            raise ActionError(_("A message can be edited for 5 minutes after it is sent."))
        before = locked.body
        locked.body, locked.edited_at = body, timezone.now()
        locked.save(update_fields=["body", "edited_at"])
        deal = _lock(locked.deal)
        audit.record("deal_message.edited", actor=actor, target=deal, organisation=deal.organisation_of(locked.side),
                     before={"message": locked.pk, "length": len(before)}, after={"length": len(body)})
        _emit(deal, "deal.message_updated", message=locked.pk, side=locked.side, deleted=False)
    return locked


def delete_message(message: Message, *, actor) -> Message:
    """The author deletes a message: its text and attachments go; a "deleted" marker stays in the thread."""
    with transaction.atomic():
        locked = _lock_message(message, actor)
        attachments = list(locked.attachments.all())
        locked.body, locked.deleted_at = "", timezone.now()
        locked.save(update_fields=["body", "deleted_at"])
        for attachment in attachments:
            transaction.on_commit(lambda f=attachment.file: f.delete(save=False))
        locked.attachments.all().delete()
        deal = _lock(locked.deal)
        audit.record("deal_message.deleted", actor=actor, target=deal, organisation=deal.organisation_of(locked.side),
                     after={"message": locked.pk, "attachments": len(attachments)})
        _emit(deal, "deal.message_updated", message=locked.pk, side=locked.side, deleted=True)
    return locked
