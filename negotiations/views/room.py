"""The deal room and its plain forms (POST-redirect-GET; a form with errors shows the room again with them).

    /deals/<id>/                                  the room (GET)
    /deals/<id>/live/                             its live sections as JSON, for static/js/dealroom.js
    /deals/<id>/accept/                   POST    ``version`` [, ``confirm_distinct_field``] → accept_offer
    /deals/<id>/withdraw/                 POST    ``version`` → withdraw_offer
    /deals/<id>/offers/                   POST    OfferForm + ``expected_version`` → make_offer
    /deals/<id>/end/                      POST    ``reason`` → end_deal (the licensor declines, the licensee withdraws)
    /deals/<id>/messages/                 POST    MessageForm (multipart) → post_message
    /deals/<id>/messages/<mid>/edit/      POST    ``body`` → edit_message
    /deals/<id>/messages/<mid>/delete/    POST    → delete_message

Every view first expires what is due (``actions.expire_due(deal=...)``). Non-parties get 404.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from marketplace.actions import ActionError
from negotiations import actions
from negotiations.forms import DeclineForm, MessageForm, OfferForm
from negotiations.models import Deal, Message, Side
from negotiations.views.access import party_deal
from negotiations.views.context import room_context, render_sections


def offer_initial(deal: Deal) -> dict:
    """The counter-offer form starts from the latest version (valid for the usual number of days from now) and
    carries the version it was made against."""
    latest = deal.offers.order_by("-version").first()
    terms = latest.terms() if latest is not None else actions.first_terms(deal.listing)
    terms["valid_until"] = timezone.now() + datetime.timedelta(days=settings.DEAL_OFFER_VALIDITY_DAYS)
    terms["note"] = ""  # a note is its version's own words: never carried into the other side's answer
    return {**OfferForm.initial_from_terms(terms), "expected_version": deal.current_version}


def add_errors(form, exc: ValidationError) -> None:
    """An action's ValidationError shown on the form: per field where the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _render_room(request, deal, side, *, offer_form=None, message_form=None, end_form=None, **forms):
    """The room page; ``forms``: bound forms of the dispute panel (``dispute_form``, ``note_form`` …)."""
    context = room_context(request, deal, side)
    context.update({
        "patents": deal.listing.patents.order_by("office", "number"),
        "offer_form": offer_form or OfferForm(initial=offer_initial(deal)),
        "message_form": message_form or MessageForm(),
        "end_form": end_form or DeclineForm(),
        "max_attachment_mb": settings.DEAL_ATTACHMENT_MAX_BYTES // (1024 * 1024),
        "live_url": reverse("deal_live", args=[deal.pk]),
        **forms,
    })
    return render(request, "negotiations/deal_detail.html", context)


@login_required
@require_GET
def deal_detail(request, pk):
    deal, side = party_deal(request, pk, mediator=True)
    return _render_room(request, deal, side)


@login_required
@require_GET
def deal_live(request, pk):
    deal, side = party_deal(request, pk, mediator=True)
    context = room_context(request, deal, side)
    if request.GET.get("form") == "offer":
        # A fresh counter-offer form for static/js/dealroom.js, asked for right after dealroom.js has
        # fetched the sections: only the form is rendered, not the sections a second time.
        context["offer_form"] = OfferForm(initial=offer_initial(deal))
        return JsonResponse({"seq": deal.last_seq, "forms": {
            "offer": render_to_string("negotiations/includes/offer_form.html", context, request=request)}})
    return JsonResponse({"seq": deal.last_seq, "sections": render_sections(request, context)})


def _act(request, change, done: str) -> bool:
    try:
        change()
    except ActionError as exc:
        messages.error(request, str(exc))
        return False
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    messages.success(request, done)
    return True


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
@require_POST
def deal_accept(request, pk):
    deal, side = party_deal(request, pk)
    version = _version(request)
    if version is None:
        messages.error(request, _("Say which version you accept."))
    else:
        _act(request, lambda: actions.accept_offer(
            deal, actor=request.user, version=version,
            confirm_distinct_field=side == Side.LICENSOR and bool(request.POST.get("confirm_distinct_field"))),
            _("You accepted version %(n)s: the deal is agreed.") % {"n": version})
    return redirect(deal)


@login_required
@require_POST
def deal_withdraw_offer(request, pk):
    deal, _side = party_deal(request, pk)
    version = _version(request)
    if version is None:
        messages.error(request, _("Say which version you withdraw."))
    else:
        _act(request, lambda: actions.withdraw_offer(deal, actor=request.user, version=version),
             _("You withdrew version %(n)s.") % {"n": version})
    return redirect(deal)


@login_required
@require_POST
def deal_offer(request, pk):
    deal, side = party_deal(request, pk)
    form = OfferForm(request.POST)
    if not form.is_valid():
        return _render_room(request, deal, side, offer_form=form)
    try:
        offer = actions.make_offer(deal, actor=request.user, terms=form.terms(),
                                   expected_version=form.cleaned_data.get("expected_version"),
                                   distinct_field_confirmed=side == Side.LICENSOR
                                   and bool(request.POST.get("distinct_field_confirmed")))
    except actions.StaleVersion as exc:
        # Someone moved first: say so, show the room with that version and keep what the user typed (the form
        # is now made against the version shown).
        messages.error(request, str(exc))
        deal.refresh_from_db()
        data = request.POST.copy()
        data["expected_version"] = deal.current_version
        form = OfferForm(data)
        form.is_valid()
        return _render_room(request, deal, side, offer_form=form)
    except ValidationError as exc:
        add_errors(form, exc)
        return _render_room(request, deal, side, offer_form=form)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect(deal)
    messages.success(request, _("Version %(n)s is sent; the other side is told.") % {"n": offer.version})
    return redirect(deal)


@login_required
@require_POST
def deal_end(request, pk):
    deal, side = party_deal(request, pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _render_room(request, deal, side, end_form=form)
    done = _("You declined this deal.") if side == Side.LICENSOR else _("You withdrew from this deal.")
    try:
        actions.end_deal(deal, actor=request.user, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as exc:
        add_errors(form, exc)
        return _render_room(request, deal, side, end_form=form)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect(deal)


@login_required
@require_POST
def message_post(request, pk):
    deal, side = party_deal(request, pk)
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_room(request, deal, side, message_form=form)
    try:
        actions.post_message(deal, actor=request.user, body=form.cleaned_data.get("body", ""),
                             files=request.FILES.getlist("attachments"))
    except ValidationError as exc:
        add_errors(form, exc)
        return _render_room(request, deal, side, message_form=form)
    except ActionError as exc:
        form.add_error(None, str(exc))
        return _render_room(request, deal, side, message_form=form)
    return redirect(f"{deal.get_absolute_url()}#thread-end")


def _message(deal, mid) -> Message:
    return get_object_or_404(Message, pk=mid, deal=deal)


@login_required
@require_POST
def message_edit(request, pk, mid):
    deal, _side = party_deal(request, pk)
    message = _message(deal, mid)
    _act(request, lambda: actions.edit_message(message, actor=request.user, body=request.POST.get("body", "")),
         _("Your message is changed."))
    return redirect(f"{deal.get_absolute_url()}#message-{message.pk}")


@login_required
@require_POST
def message_delete(request, pk, mid):
    deal, _side = party_deal(request, pk)
    message = _message(deal, mid)
    _act(request, lambda: actions.delete_message(message, actor=request.user), _("Your message is deleted."))
    return redirect(f"{deal.get_absolute_url()}#message-{message.pk}")

