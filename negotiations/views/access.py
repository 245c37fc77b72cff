"""Who may see a deal: members of its two parties, and (where a view allows it) the assigned mediator of the
deal's unresolved or latest dispute. Anyone else (staff included) gets 404."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from negotiations import actions, mediation
from negotiations.models import Deal

_RELATED = ("listing__owner", "licensor", "licensee__sme_profile")


def party_deal(request, pk: int, *, mediator: bool = False) -> tuple[Deal, str | None]:
    """The deal and the side the user acts for, after expiring what is due (lazy expiry on every deal view).
    ``mediator=True``: the assigned mediator may come in too, with a side of None (they see the room and act
    in its dispute panel, never for a party)."""
    deal = Deal.objects.for_user(request.user).select_related(*_RELATED).filter(pk=pk).first()
    if deal is None:
        if not mediator:
            raise Http404
        deal = get_object_or_404(Deal.objects.select_related(*_RELATED), pk=pk)
        if mediation.mediated_by(request.user, deal) is None:
            raise Http404
        return deal, None
    side = actions.side_of(request.user, deal)
    if side is None:  # pragma: no cover - for_user already limits to the user's organisations
        raise Http404
    actions.expire_due(deal=deal)
    return deal, side
