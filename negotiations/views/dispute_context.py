"""What the deal room shows of mediation: the dispute panel (live section ``dispute``) and its forms, and the
room as the mediator sees it (``side`` None: messages, term sheets and notes, no party's buttons)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from negotiations import mediation
from negotiations import terms as term_sheets
from negotiations.dispute_forms import CloseDisputeForm, DisputeForm, NoteForm, WithdrawDisputeForm
from negotiations.forms import OfferForm
from negotiations.models import Deal, Dispute, Offer, OfferStatus
from negotiations.models.disputes import DISPUTABLE_DEAL_STATES


def proposal_initial(deal: Deal) -> dict:
    """The mediator's proposal form starts from the deal's latest version, valid for the usual number of days."""
    latest = deal.offers.order_by("-version").first()
    terms = latest.terms() if latest is not None else {}
    terms["valid_until"] = timezone.now() + datetime.timedelta(days=settings.DEAL_OFFER_VALIDITY_DAYS)
    terms["note"] = ""
    return OfferForm.initial_from_terms(terms) if terms else {}


def open_proposal(dispute: Dispute | None) -> Offer | None:
    if dispute is None or not dispute.is_unresolved:
        return None
    return Offer.objects.filter(proposed_in=dispute, status=OfferStatus.OPEN).order_by("-version").first()


def dispute_context(request, deal: Deal, side: str | None) -> dict:
    dispute = mediation.room_dispute(deal)
    unresolved = dispute is not None and dispute.is_unresolved
    proposal = open_proposal(dispute)
    mine = getattr(proposal, f"{side}_accepted_at", None) if proposal is not None and side else None
    return {
        "dispute": dispute,
        "dispute_unresolved": unresolved,
        "is_mediator": side is None,
        "dispute_notes": list(mediation.visible_notes(dispute, side)) if dispute is not None else [],
        "dispute_target": mediation.response_target(dispute) if dispute is not None else None,
        "proposal": proposal,
        "proposal_summary": term_sheets.summary(proposal.terms()) if proposal is not None else [],
        "proposal_accepted_by_me": mine is not None,
        "can_accept_proposal": proposal is not None and side is not None and mine is None,
        "can_raise_dispute": side is not None and deal.state in DISPUTABLE_DEAL_STATES and not deal.disputed,
        "can_withdraw_dispute": unresolved and side is not None and side == dispute.raised_side,
        "can_mediate": unresolved and side is None,
        "dispute_form": DisputeForm(),
        "note_form": NoteForm(),
        "close_form": CloseDisputeForm(),
        "withdraw_dispute_form": WithdrawDisputeForm(),
        "proposal_form": OfferForm(initial=proposal_initial(deal)) if side is None else None,
    }


def mediator_room_context(request, deal: Deal, all_versions, thread) -> dict:
    """The room as the mediator reads it: no side, nothing a party does."""
    for message in thread:
        message.can_edit = message.can_delete = False
    return {
        "deal": deal,
        "listing": deal.listing,
        "side": None,
        "other_side": None,
        "me": None,
        "other": None,
        "is_licensor": False,
        "licensee_sme_profile": None,
        "versions": all_versions,
        "latest_offer": all_versions[0].offer if all_versions else None,
        "current_offer": None,
        "whose_move": (_("You mediate the dispute on this deal: you read the room, write notes and may propose "
                         "revised terms.") if deal.disputed else
                       _("The dispute you mediated on this deal is closed: you can still read the room, its notes "
                         "and the outcome.")),
        "my_move": False,
        "can_accept": False,
        "can_withdraw": False,
        "can_counter": False,
        "can_end": False,
        "can_message": False,
        "exclusive_places": "",
        "thread": thread,
    }
