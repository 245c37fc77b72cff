"""Mediation in the deal room (POST-redirect-GET; a form with errors shows the room again with them).

    /deals/<id>/dispute/                              POST  DisputeForm → raise_dispute (a party)
    /deals/<id>/dispute/<did>/withdraw/               POST  → withdraw_dispute (the side that raised it)
    /deals/<id>/dispute/<did>/notes/                  POST  NoteForm → post_mediation_note (the mediator)
    /deals/<id>/dispute/<did>/propose/                POST  OfferForm → propose_terms (the mediator)
    /deals/<id>/dispute/<did>/proposals/<oid>/accept/ POST  → accept_proposal (a party)
    /deals/<id>/dispute/<did>/close/                  POST  CloseDisputeForm → close_dispute (the mediator)

Parties and the assigned mediator only; anyone else gets 404 (staff close disputes from ``/disputes/``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace.actions import ActionError
from negotiations import actions
from negotiations.dispute_forms import CloseDisputeForm, DisputeForm, NoteForm, WithdrawDisputeForm
from negotiations.forms import OfferForm
from negotiations.models import Dispute, Offer
from negotiations.views.access import party_deal
from negotiations.views.room import _render_room, add_errors

PANEL = "#dispute-panel"


def _dispute(deal, did) -> Dispute:
    return get_object_or_404(Dispute, pk=did, deal=deal)


def _back(deal):
    return redirect(f"{deal.get_absolute_url()}{PANEL}")


def _mediator_deal(request, pk):
    """The deal for its assigned mediator only (parties and others: 404)."""
    deal, side = party_deal(request, pk, mediator=True)
    if side is not None:
        raise Http404
    return deal


def _submit(request, deal, side, form, change, done, form_name):
    """Run ``change`` on a valid form; errors show the room again with the form bound."""
    if not form.is_valid():
        return _render_room(request, deal, side, **{form_name: form})
    try:
        change(form)
    except ValidationError as exc:
        add_errors(form, exc)
        return _render_room(request, deal, side, **{form_name: form})
    except ActionError as exc:
        messages.error(request, str(exc))
        return _back(deal)
    messages.success(request, done)
    return _back(deal)


@login_required
@require_POST
def dispute_raise(request, pk):
    deal, side = party_deal(request, pk)
    return _submit(request, deal, side, DisputeForm(request.POST), lambda f: actions.raise_dispute(
        deal, actor=request.user, category=f.cleaned_data["category"], statement=f.cleaned_data["statement"]),
        _("Your dispute is raised; platform staff will assign a mediator."), "dispute_form")


@login_required
@require_POST
def dispute_withdraw(request, pk, did):
    deal, side = party_deal(request, pk)
    dispute = _dispute(deal, did)
    return _submit(request, deal, side, WithdrawDisputeForm(request.POST), lambda f: actions.withdraw_dispute(
        dispute, actor=request.user, summary=f.cleaned_data.get("summary", "")),
        _("You withdrew the dispute."), "withdraw_dispute_form")


@login_required
@require_POST
def dispute_note(request, pk, did):
    deal = _mediator_deal(request, pk)
    dispute = _dispute(deal, did)
    return _submit(request, deal, None, NoteForm(request.POST), lambda f: actions.post_mediation_note(
        dispute, actor=request.user, body=f.cleaned_data["body"], visibility=f.cleaned_data["visibility"]),
        _("Your note is posted."), "note_form")


@login_required
@require_POST
def dispute_propose(request, pk, did):
    deal = _mediator_deal(request, pk)
    dispute = _dispute(deal, did)
    return _submit(request, deal, None, OfferForm(request.POST), lambda f: actions.propose_terms(
        dispute, actor=request.user, terms=f.terms()),
        _("Your proposal is sent to both sides."), "proposal_form")


@login_required
@require_POST
def dispute_accept(request, pk, did, oid):
    deal, _side = party_deal(request, pk)
    dispute = _dispute(deal, did)
    offer = get_object_or_404(Offer, pk=oid, deal=deal, proposed_in=dispute)
    try:
        offer = actions.accept_proposal(offer, actor=request.user)
    except ActionError as exc:
        messages.error(request, str(exc))
        return _back(deal)
    if offer.status == "accepted":
        messages.success(request, _("Both sides accepted version %(n)s: the revised agreement is ready to sign.")
                         % {"n": offer.version})
    else:
        messages.success(request, _("You accepted version %(n)s; the other side's acceptance is still needed.")
                         % {"n": offer.version})
    return _back(deal)


@login_required
@require_POST
def dispute_close(request, pk, did):
    deal = _mediator_deal(request, pk)
    dispute = _dispute(deal, did)
    return _submit(request, deal, None, CloseDisputeForm(request.POST), lambda f: actions.close_dispute(
        dispute, actor=request.user, outcome=f.cleaned_data["outcome"], summary=f.cleaned_data["summary"]),
        _("The dispute is closed."), "close_form")
