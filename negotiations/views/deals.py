"""Opening deals, the deals list and attachment downloads.

    /deals/                                       the user's organisations' deals; ``?state=``, ``?waiting=1``,
                                                  ``?organisation=<slug>`` filters
    /deals/open/                          GET     choose the organisation (and adjust the first terms) for ``?listing=``
                                          POST    ``listing`` [, ``organisation``, term fields, ``message``] → open_deal
    /deals/open/from-request/<cid>/       POST    the licensor answers a licence request with a deal room
    /deals/<id>/attachments/<aid>/        GET     the file, as a download, for the parties only
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from listings.models import Listing
from marketplace.actions import ActionError, membership_of
from marketplace.downloads import private_file
from marketplace.models import Organisation
from matching.models import ContactRequest
from negotiations import actions
from negotiations import terms as term_sheets
from negotiations.forms import OfferForm
from negotiations.models import Attachment, Deal, DealState, Side
from negotiations.views.access import party_deal
from negotiations.views.room import add_errors

PER_PAGE = 50


# --- the list -----------------------------------------------------------------------------------
@login_required
@require_GET
def deal_list(request):
    organisations = list(Organisation.objects.for_member(request.user).order_by("name"))
    deals = Deal.objects.for_organisations(organisations)
    organisation = None
    slug = request.GET.get("organisation", "")
    if slug:
        organisation = next((o for o in organisations if o.slug == slug), None)
        if organisation is None:
            raise Http404
        deals = deals.for_organisations([organisation])
    mine = [organisation] if organisation else organisations
    counts = dict(deals.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    waiting_count = deals.waiting_for_move_of(mine).count()
    state = request.GET.get("state", "")
    if state not in DealState.values:
        state = ""
    waiting = request.GET.get("waiting") == "1"
    shown = deals.select_related("listing", "licensor", "licensee").order_by("-last_activity_at", "-id")
    if state:
        shown = shown.filter(state=state)
    if waiting:
        shown = shown.waiting_for_move_of(mine)
    page = Paginator(shown, PER_PAGE).get_page(request.GET.get("page"))
    my_ids = {o.pk for o in mine}
    for deal in page.object_list:
        deal.my_side = Side.LICENSEE if deal.licensee_id in my_ids else Side.LICENSOR
        deal.other_party = deal.organisation_of(Side(deal.my_side).other)
        deal.my_move = deal.state == DealState.NEGOTIATING and deal.waiting_for == deal.my_side
    return render(request, "negotiations/deal_list.html", {
        "organisations": organisations,
        "organisation": organisation,
        "page": page,
        "state": state,
        "waiting": waiting,
        "waiting_count": waiting_count,
        "state_tabs": [(value, label, counts.get(value, 0)) for value, label in DealState.choices],
        "total": sum(counts.values()),
    })


# --- opening ------------------------------------------------------------------------------------
def _licensee_choices(user, listing) -> list[Organisation]:
    """Organisations the user may open a deal for: theirs, other than the listing's owner."""
    return list(Organisation.objects.for_member(user).exclude(pk=listing.owner_id).order_by("name"))


def _error_lines(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return exc.messages
    return [f"{term_sheets.label(name)}: {' '.join(errors)}" if name in term_sheets.TERM_FIELDS else " ".join(errors)
            for name, errors in exc.message_dict.items()]


def _listing_terms_form(listing) -> OfferForm:
    return OfferForm(initial=OfferForm.initial_from_terms(actions.first_terms(listing)))


def _render_open(request, listing, choices, *, chosen=None, form=None, errors=(), message=""):
    return render(request, "negotiations/deal_open.html", {
        "listing": listing,
        "choices": choices,
        "chosen": chosen,
        "form": form or _listing_terms_form(listing),
        "errors": errors,
        "message": message,
    })


@login_required
def deal_open(request):
    """A licensee opens a deal room on a listing, with the listing's terms as version 1 (or the terms given)."""
    raw = request.POST.get("listing") if request.method == "POST" else request.GET.get("listing")
    try:
        listing = get_object_or_404(Listing.objects.visible_to(request.user).select_related("owner"), pk=int(raw))
    except (TypeError, ValueError):
        raise Http404 from None
    choices = _licensee_choices(request.user, listing)
    if not choices:
        messages.error(request, _("A deal room is opened for one of your organisations, and you are not a member of "
                                  "any organisation other than the listing's owner."))
        return redirect(listing)
    slug = request.POST.get("organisation") or request.GET.get("organisation") or ""
    chosen = next((o for o in choices if o.slug == slug), None)
    if slug and chosen is None:
        raise Http404
    if chosen is None and len(choices) == 1:
        chosen = choices[0]
    if request.method != "POST":
        # The buttons on listings and suggestions come here first: the user sees version 1 before sending it
        # (or, with a deal room already open for that organisation, goes straight to it).
        existing = (Deal.objects.active().filter(listing=listing, licensee=chosen).first()
                    if chosen is not None else None)
        if existing is not None:
            messages.info(request, _("Your deal room for this listing is already open."))
            return redirect(existing)
        return _render_open(request, listing, choices, chosen=chosen)
    message = request.POST.get("message", "")
    form, terms = None, None
    if "licence_kind" in request.POST:  # the terms were adjusted on the open page
        form = OfferForm(request.POST)
        if not form.is_valid():
            return _render_open(request, listing, choices, chosen=chosen, form=form, message=message)
        terms = form.terms()
    if chosen is None:
        return _render_open(request, listing, choices, form=form, message=message,
                            errors=[_("Choose the organisation the deal is for.")])
    try:
        deal = actions.open_deal(listing, chosen, actor=request.user, terms=terms, message=message)
    except actions.DealExists as exc:
        messages.info(request, str(exc))
        return redirect(exc.deal)
    except ValidationError as exc:
        # Usually the listing's own terms do not make a complete term sheet (a territory the site does not
        # know): the user completes them here.
        errors = []
        if form is not None:
            add_errors(form, exc)
        else:
            form, errors = _listing_terms_form(listing), _error_lines(exc)
        return _render_open(request, listing, choices, chosen=chosen, form=form, message=message, errors=errors)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect(listing)
    messages.success(request, _("The deal room is open with your terms as version 1; %(org)s is told.")
                     % {"org": deal.licensor.name})
    return redirect(deal)


@login_required
@require_POST
def deal_open_from_request(request, cid):
    """The licensor answers a licence request by opening a deal room with the requesting enterprise."""
    contact = get_object_or_404(ContactRequest.objects.select_related("listing__owner", "need__organisation"),
                                pk=cid)
    if membership_of(request.user, contact.listing.owner) is None:
        raise Http404
    if contact.follow_up_url:
        return redirect(contact.follow_up_url)
    back = reverse("owner_request_detail", args=[contact.listing.owner.slug, contact.pk])
    try:
        deal = actions.open_deal(contact.listing, contact.need.organisation, actor=request.user,
                                 contact_request=contact)
    except actions.DealExists as exc:
        messages.info(request, str(exc))
        return redirect(exc.deal)
    except ValidationError as exc:
        messages.error(request, _("The listing's terms do not make a complete term sheet: %(errors)s")
                       % {"errors": " ".join(exc.messages)})
        return redirect(back)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(request, _("The deal room is open; %(org)s is told.") % {"org": deal.licensee.name})
    return redirect(deal)


# --- attachments --------------------------------------------------------------------------------
@login_required
@require_GET
def attachment_download(request, pk, aid):
    deal, _side = party_deal(request, pk)
    attachment = get_object_or_404(Attachment, pk=aid, deal=deal, message__deleted_at__isnull=True)
    return private_file(attachment.file, filename=attachment.original_name,
                        content_type=attachment.content_type or "application/octet-stream")
