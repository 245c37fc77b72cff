"""Who may see a deal: members of its two parties. Anyone else (staff included) gets 404."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from negotiations import actions
from negotiations.models import Deal


def party_deal(request, pk: int) -> tuple[Deal, str]:
    """The deal and the side the user acts for, after expiring what is due (lazy expiry on every deal view)."""
    deal = get_object_or_404(
        Deal.objects.for_user(request.user).select_related("listing__owner", "licensor", "licensee__sme_profile"),
        pk=pk)
    side = actions.side_of(request.user, deal)
    if side is None:  # pragma: no cover - for_user already limits to the user's organisations
        raise Http404
    actions.expire_due(deal=deal)
    return deal, side
