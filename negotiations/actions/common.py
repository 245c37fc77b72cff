"""What every deal action shares: the refusals, who is a party, row locks, stored and sent events, the state
move, notifications to the parties."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from listings.models import Listing
from marketplace import audit, events, notifications
from marketplace.actions import ActionError, NotAllowed, membership_of
from marketplace.models import Membership, Organisation
from marketplace.states import check_transition
from negotiations.models import Deal, DealEvent, DealState, Offer, OfferStatus, Side

log = logging.getLogger(__name__)


class DealExists(ActionError):
    """The licensee already has an active deal on this listing (``deal`` is it)."""

    def __init__(self, deal: Deal):
        self.deal = deal
        super().__init__(_("%(org)s already has an open deal room for this listing.") % {"org": deal.licensee.name})


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


def _notify(deal: Deal, kind: str, *, side: str | None, actor, only=None, url: str | None = None, **extra) -> None:
    """A ``deal.*`` notification to each member of both parties but the actor, in each one's language
    (``only``: a set of user ids to limit it to). Emailed per each person's preference (instant or digest)."""
    from negotiations.notices import render

    data = _notice_data(deal, side, **extra)
    render(kind, data)  # a bad kind or incomplete data fails here, inside the action
    link = url or deal.get_absolute_url()
    batch = [notifications.build(user, kind, "", "", link, organisation=organisation, data=data)
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

