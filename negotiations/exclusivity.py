"""The exclusivity rule, in one place: the accept action enforces it under the listing's row lock, the room
shows its banner from it.

An exclusive or sole licence, or an assignment, promises its territory to one licensee: once one is agreed
(or signed, or completed) on a listing, no second licence of any kind overlapping that territory can be agreed
there, unless both name a field of use and the licensor confirmed the fields are distinct. A new exclusive
licence over earlier non-exclusive ones is allowed: it is granted subject to them.

While a listing's open licence stands (``listing.open_licence``), no exclusive or sole licence and no assignment can
be agreed on it at all, as under patent open-licensing law: anyone eligible may take the open licence at any time.
Withdrawing the open licence lifts the block and leaves the licences granted on it as they are.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from negotiations import territories
from negotiations.models import EXCLUSIVE_KINDS, HOLDING_DEAL_STATES, Deal, Offer


def conflicts(deal: Deal, offer: Offer, *, field_split_confirmed: bool) -> list[tuple[Deal, list[str]]]:
    """The other deals on the listing holding an exclusive licence that ``offer``'s territory overlaps, each
    with the places both cover (place keys, for ``territories.display``)."""
    found = []
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
        found.append((other, shared))
    return found


def conflicting_places(deal: Deal, offer: Offer, *, field_split_confirmed: bool = False) -> list[str]:
    """Every place of ``offer``'s territory already promised exclusively to another licensee."""
    return sorted({place for _other, shared in conflicts(deal, offer, field_split_confirmed=field_split_confirmed)
                   for place in shared})


def open_licence_block(listing, licence_kind: str) -> str | None:
    """Why a licence of ``licence_kind`` cannot be agreed on ``listing`` now (its open licence stands), or None."""
    if not listing.open_licence or licence_kind not in EXCLUSIVE_KINDS:
        return None
    return _("“%(title)s” is under an open licence: while it stands, no exclusive or sole licence and no assignment "
             "can be agreed on it. Propose a non-exclusive licence, or the owner withdraws the open licence first.") % {
        "title": listing.title}
