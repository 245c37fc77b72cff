"""What the deal room shows one user: the sections of ``templates/negotiations/deal_detail.html`` and the
JSON of ``/deals/<id>/live/`` (the same includes, see ``SECTIONS``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from negotiations import exclusivity
from negotiations import terms as term_sheets
from negotiations import territories
from negotiations.models import (
    HOLDING_DEAL_STATES,
    Deal,
    DealState,
    Message,
    Offer,
    OfferStatus,
    Side,
)
from negotiations.views.agreements import agreement_panel

# data-live-section name → the include that renders it (page and live endpoint alike).
SECTIONS = {
    "status": "negotiations/includes/status.html",
    "banners": "negotiations/includes/banners.html",
    "offers": "negotiations/includes/offers.html",
    "thread": "negotiations/includes/thread.html",
    "next": "negotiations/includes/next.html",
    "dispute": "negotiations/includes/dispute.html",
}


@dataclass
class Version:
    offer: Offer
    summary: list
    changes: list = field(default_factory=list)
    is_current: bool = False


def versions(deal: Deal) -> list[Version]:
    """Every term-sheet version, newest first, each with its summary and what changed from the one before."""
    offers = list(deal.offers.select_related("made_by").order_by("version"))
    rows, previous = [], None
    for offer in offers:
        current = offer.terms()
        validity = offer.status in (OfferStatus.OPEN, OfferStatus.EXPIRED)  # waiting for an answer, or lapsed
        rows.append(Version(offer, term_sheets.summary(current, validity=validity),
                            term_sheets.diff(previous, current),
                            is_current=offer.version == deal.current_version and offer.status == OfferStatus.OPEN))
        previous = current
    rows.reverse()
    return rows


def exclusivity_conflicts(deal: Deal, offer: Offer | None) -> list[str]:
    """Places of this deal's latest terms already promised exclusively to another licensee of the listing
    (``negotiations.exclusivity``, the rule the accept action enforces); only while the deal negotiates."""
    if offer is None or deal.state != DealState.NEGOTIATING:
        return []
    return exclusivity.conflicting_places(deal, offer, field_split_confirmed=offer.distinct_field_confirmed)


def whose_move(deal: Deal, side: str, current: Offer | None) -> str:
    other = deal.organisation_of(Side(side).other).name
    if deal.disputed:
        agreed = deal.agreed_offer
        mediated = agreed is not None and agreed.proposed_in_id is not None and agreed.proposed_in.is_unresolved
        if not mediated:
            return _("This deal is in mediation: its other steps wait until the dispute is closed.")
        if deal.state == DealState.SIGNING:
            return _("Both sides accepted the mediator's revised terms: an authorised signatory of each side now "
                     "signs the revised agreement.")
    if deal.state == DealState.NEGOTIATING:
        if current is not None and deal.waiting_for == side:
            return (_("It is your move: accept version %(n)s, or answer it with a counter-offer.")
                    % {"n": current.version})
        if current is not None and deal.waiting_for:
            return _("Waiting for %(org)s to answer version %(n)s.") % {"org": other, "n": current.version}
        return _("No version is open: either side may propose new terms.")
    if deal.state == DealState.AGREED:
        return _("Both sides agreed on version %(n)s. The licence agreement comes next.") % {
            "n": deal.agreed_offer.version if deal.agreed_offer else deal.current_version}
    if deal.state == DealState.SIGNING:
        return _("The terms are agreed and the licence agreement is out for signature: an authorised signatory of "
                 "each side signs it.")
    if deal.state == DealState.AWAITING_PAYMENT:
        return _("The agreement is signed by both parties. The licence fee is now due.")
    if deal.state == DealState.COMPLETED:
        return _("The agreement is signed and the licence is granted.")
    if deal.state == DealState.DECLINED:
        return _("%(org)s declined this deal.") % {"org": deal.licensor.name}
    if deal.state == DealState.WITHDRAWN:
        return _("This deal was withdrawn.")
    if deal.state == DealState.EXPIRED:
        return _("This deal expired: nobody moved in time.")
    return deal.get_state_display()


def _thread(deal: Deal, user) -> list[Message]:
    from negotiations.actions.messages import messages_frozen

    now = timezone.now()
    frozen = messages_frozen(deal)
    rows = list(Message.objects.filter(deal=deal).select_related("author").prefetch_related("attachments")
                .order_by("created_at", "id"))
    for message in rows:
        message.is_mine = message.author_id == user.pk
        message.can_edit = (message.is_mine and not message.is_deleted and not frozen
                            and now <= message.editable_until())
        message.can_delete = message.is_mine and not message.is_deleted and not frozen
        message.organisation = deal.organisation_of(message.side)
    return rows


def room_context(request, deal: Deal, side: str | None) -> dict:
    """Everything the live sections need (the forms are added by the page view). ``side`` None: the dispute's
    mediator, who reads the room and acts only in its dispute panel."""
    from negotiations.views.dispute_context import dispute_context, mediator_room_context

    if side is None:
        return {**mediator_room_context(request, deal, versions(deal), _thread(deal, request.user)),
                **dispute_context(request, deal, None)}
    all_versions = versions(deal)
    latest = all_versions[0].offer if all_versions else None
    current = next((v.offer for v in all_versions if v.is_current), None)
    negotiating = deal.state == DealState.NEGOTIATING and not deal.disputed
    end_target = DealState.DECLINED if side == Side.LICENSOR else DealState.WITHDRAWN
    places = exclusivity_conflicts(deal, latest)
    sme_profile = getattr(deal.licensee, "sme_profile", None) if side == Side.LICENSOR else None
    return {
        "deal": deal,
        "listing": deal.listing,
        "side": side,
        "other_side": Side(side).other,
        "me": deal.organisation_of(side),
        "other": deal.organisation_of(Side(side).other),
        "is_licensor": side == Side.LICENSOR,
        "licensee_sme_profile": sme_profile,
        "versions": all_versions,
        "latest_offer": latest,
        "current_offer": current,
        "whose_move": whose_move(deal, side, current),
        "my_move": negotiating and current is not None and deal.waiting_for == side,
        "can_accept": negotiating and current is not None and current.side != side,
        "can_withdraw": negotiating and current is not None and current.side == side,
        "can_counter": negotiating,
        "can_end": end_target in DealState.TRANSITIONS.get(deal.state, ()) and not deal.disputed,
        # while a dispute is unresolved both sides answer the mediator here, whatever the deal's state
        "can_message": deal.disputed or (deal.state in (DealState.NEGOTIATING, *HOLDING_DEAL_STATES)
                                         and deal.state != DealState.COMPLETED),
        "exclusive_places": territories.display(places) if places else "",
        "thread": _thread(deal, request.user),
        **agreement_panel(deal, request.user, side),
        **dispute_context(request, deal, side),
    }


def render_sections(request, context: dict) -> dict[str, str]:
    return {name: render_to_string(template, context, request=request) for name, template in SECTIONS.items()}
