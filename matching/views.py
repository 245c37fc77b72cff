"""Matching pages: an SME's needs (``/sme/<slug>/needs/…``), each need's suggestions, and the quick match box
(``/match/``).

Plain views: parse input, check access, call ``matching.actions``, render. Access: needs pages are for members
of the SME only; anyone else (staff included) gets 404, anonymous visitors are sent to the login page. The
quick match page is public and stores nothing.

Suggestions are refreshed (``actions.record_suggestions``) when the page is shown and the stored ones are stale
(never matched, the need edited since, or older than ``REFRESH_SECONDS``); showing them marks them viewed.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from listings.models import Listing, Patent
from marketplace.actions import ActionError, membership_of
from marketplace.models import Organisation, OrganisationKind
from marketplace.states import IllegalTransition
from marketplace.verification import VerifiedOnly, blocked_reason
from matching import actions, scoring
from matching.forms import ContactRequestForm, NeedForm, QuickMatchForm
from matching.models import ContactRequest, Need, Suggestion, SuggestionStatus

REFRESH_SECONDS = 300
SUGGESTIONS_SHOWN = 50
QUICK_MATCH_LIMIT = 20


# --- access -------------------------------------------------------------------------------------
def _sme_org(request, slug) -> Organisation:
    """The SME if the user is one of its members; 404 otherwise (also for organisations of other kinds)."""
    organisation = get_object_or_404(Organisation.objects.select_related("sme_profile"), slug=slug)
    if organisation.kind != OrganisationKind.SME or membership_of(request.user, organisation) is None:
        raise Http404
    return organisation


def _need(organisation, pk) -> Need:
    return get_object_or_404(Need, pk=pk, organisation=organisation)


def _suggestion(need, sid) -> Suggestion:
    return get_object_or_404(Suggestion.objects.select_related("listing__owner", "need__organisation"),
                             pk=sid, need=need)


def _need_url(need) -> str:
    return reverse("need_detail", args=[need.organisation.slug, need.pk])


# --- needs --------------------------------------------------------------------------------------
@login_required
def need_list(request, slug):
    organisation = _sme_org(request, slug)
    offered = Q(suggestions__listing__in=Listing.objects.browsable())
    needs = (Need.objects.filter(organisation=organisation)
             .annotate(open_count=Count("suggestions", filter=offered & ~Q(suggestions__status=SuggestionStatus.DISMISSED)),
                       saved_count=Count("suggestions", filter=offered & Q(suggestions__saved=True)))
             .order_by("-active", "-created_at", "-id"))
    return render(request, "matching/need_list.html", {"organisation": organisation, "needs": needs})


@login_required
def need_create(request, slug):
    organisation = _sme_org(request, slug)
    form = NeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            need = actions.create_need(organisation, actor=request.user, **form.need_fields())
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your need is saved. Here are the listings we suggest for it."))
            return redirect(_need_url(need))
    return render(request, "matching/need_form.html", {"organisation": organisation, "form": form, "need": None})


@login_required
def need_edit(request, slug, pk):
    organisation = _sme_org(request, slug)
    need = _need(organisation, pk)
    if not need.active:
        messages.info(request, _("This need is closed; state a new one."))
        return redirect(_need_url(need))
    form = NeedForm(request.POST or None, initial=NeedForm.initial_for(need))
    if request.method == "POST" and form.is_valid():
        try:
            need = actions.update_need(need, actor=request.user, **form.need_fields())
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your need is saved."))
            return redirect(_need_url(need))
    return render(request, "matching/need_form.html", {"organisation": organisation, "form": form, "need": need})


@login_required
@require_POST
def need_deactivate(request, slug, pk):
    organisation = _sme_org(request, slug)
    need = _need(organisation, pk)
    try:
        actions.deactivate_need(need, actor=request.user)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("“%(title)s” is closed: no more suggestions for it.") % {"title": need.title})
    return redirect("need_list", slug=organisation.slug)


# --- suggestions --------------------------------------------------------------------------------
def _stale(need: Need) -> bool:
    if not need.active:
        return False
    if need.last_matched_at is None or need.updated_at > need.last_matched_at:
        return True
    return timezone.now() - need.last_matched_at > dt.timedelta(seconds=REFRESH_SECONDS)


@login_required
def need_detail(request, slug, pk):
    """The need's suggestions, best first, with reasons; showing them marks them viewed."""
    organisation = _sme_org(request, slug)
    need = _need(organisation, pk)
    if _stale(need):
        actions.record_suggestions(need)
        need.refresh_from_db()
    saved_only = request.GET.get("saved") == "1"
    # listings no longer offered (paused, withdrawn, expired) are not suggested; one with a licence request
    # still under way stays, marked "no longer offered", so the SME can follow (or withdraw) its request
    ongoing = ContactRequest.objects.active().filter(need=need, listing=OuterRef("listing"))
    suggestions = (need.suggestions.open()
                   .filter(Q(listing__in=Listing.objects.browsable()) | Exists(ongoing))
                   .select_related("listing__owner")
                   .prefetch_related(Prefetch("listing__patents", queryset=Patent.objects.order_by("office", "number")))
                   .order_by("-score", "id"))
    if saved_only:
        suggestions = suggestions.filter(saved=True)
    suggestions = list(suggestions[:SUGGESTIONS_SHOWN])
    latest_contacts: dict[int, ContactRequest] = {}  # listing id -> the latest licence request for this need
    for contact in (ContactRequest.objects.filter(need=need, listing_id__in=[s.listing_id for s in suggestions])
                    .select_related("replied_by").order_by("-created_at", "-id")):
        latest_contacts.setdefault(contact.listing_id, contact)
    for suggestion in suggestions:
        suggestion.reason_list = suggestion.reasons_display()
        suggestion.contact = latest_contacts.get(suggestion.listing_id)
        suggestion.requested = suggestion.contact is not None and suggestion.contact.is_active
        suggestion.listing_available = suggestion.listing.is_browsable
    response = render(request, "matching/need_detail.html", {
        "organisation": organisation,
        "need": need,
        "suggestions": suggestions,
        "saved_only": saved_only,
        "contact_form": ContactRequestForm(),
        "licence_block": blocked_reason(organisation, VerifiedOnly.REQUEST_LICENCE),
    })
    actions.mark_viewed_many(suggestions, actor=request.user)
    return response


def _suggestion_action(request, slug, pk, sid, change, done: str):
    organisation = _sme_org(request, slug)
    need = _need(organisation, pk)
    suggestion = _suggestion(need, sid)
    try:
        change(suggestion)
    except (ActionError, IllegalTransition) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done % {"title": suggestion.listing.title})
    return redirect(_need_url(need))


@login_required
@require_POST
def suggestion_save(request, slug, pk, sid):
    keep = request.POST.get("saved", "1") != "0"
    return _suggestion_action(
        request, slug, pk, sid, lambda s: actions.save_suggestion(s, actor=request.user, saved=keep),
        _("“%(title)s” is saved.") if keep else _("“%(title)s” is no longer saved."),
    )


@login_required
@require_POST
def suggestion_dismiss(request, slug, pk, sid):
    return _suggestion_action(
        request, slug, pk, sid, lambda s: actions.dismiss_suggestion(s, actor=request.user),
        _("“%(title)s” is dismissed: it will not be suggested for this need again."),
    )


# --- request a licence (until negotiations exist) -------------------------------------------------
@login_required
def suggestion_contact(request, slug, pk, sid):
    organisation = _sme_org(request, slug)
    need = _need(organisation, pk)
    suggestion = _suggestion(need, sid)
    if suggestion.status == SuggestionStatus.DISMISSED:
        raise Http404
    form = ContactRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.request_licence(suggestion, actor=request.user, message=form.cleaned_data["message"])
        except (ActionError, IllegalTransition) as exc:
            messages.error(request, str(exc))
            return redirect(_need_url(need))
        messages.success(request, _("Your request is sent. Their answer will appear on this page (and as a notification); "
                                    "%(owner)s may also write to you by email.")
                         % {"owner": suggestion.listing.owner.name})
        return redirect(_need_url(need))
    return render(request, "matching/contact_form.html", {
        "organisation": organisation, "need": need, "suggestion": suggestion, "form": form,
        "licence_block": blocked_reason(organisation, VerifiedOnly.REQUEST_LICENCE),
    })


# --- quick match --------------------------------------------------------------------------------
def quick_match(request):
    """Paste a product or problem, get listings with reasons (``scoring.match_text``); nothing is stored."""
    submitted = any(key in request.GET for key in ("q", "ipc"))
    form = QuickMatchForm(request.GET if submitted else None)
    results = []
    searched = False
    if submitted and form.is_valid():
        searched = True
        data = form.cleaned_data
        own = list(Organisation.objects.filter(memberships__user=request.user).values_list("pk", flat=True)) \
            if request.user.is_authenticated else []  # never a visitor's own organisations' listings
        matches = scoring.match_text(data["q"], ipc=data["ipc"], free_only=data["free"], exclude_owner=own,
                                     limit=QUICK_MATCH_LIMIT)
        listings = (Listing.objects.browsable().filter(pk__in=[m.listing_id for m in matches])
                    .select_related("owner")
                    .prefetch_related(Prefetch("patents", queryset=Patent.objects.order_by("office", "number")))
                    .in_bulk())
        results = [(listings[m.listing_id], m) for m in matches if m.listing_id in listings]
    return render(request, "matching/quick_match.html", {"form": form, "results": results, "searched": searched})


urlpatterns = [
    path("match/", quick_match, name="quick_match"),
    path("sme/<slug:slug>/needs/", need_list, name="need_list"),
    path("sme/<slug:slug>/needs/new/", need_create, name="need_create"),
    path("sme/<slug:slug>/needs/<int:pk>/", need_detail, name="need_detail"),
    path("sme/<slug:slug>/needs/<int:pk>/edit/", need_edit, name="need_edit"),
    path("sme/<slug:slug>/needs/<int:pk>/deactivate/", need_deactivate, name="need_deactivate"),
    path("sme/<slug:slug>/needs/<int:pk>/suggestions/<int:sid>/save/", suggestion_save, name="suggestion_save"),
    path("sme/<slug:slug>/needs/<int:pk>/suggestions/<int:sid>/dismiss/", suggestion_dismiss,
         name="suggestion_dismiss"),
    path("sme/<slug:slug>/needs/<int:pk>/suggestions/<int:sid>/contact/", suggestion_contact,
         name="suggestion_contact"),
]
