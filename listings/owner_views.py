"""The owner dashboard: an organisation's listings, creating and editing them, state changes, and the
organisation's default licence terms.

Access: members of the organisation only. Everyone else (staff included) gets 404; anonymous
visitors are sent to the login page. Every change goes through ``listings.actions``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from listings import actions
from listings.forms import DefaultTermsForm, ListingForm
from listings.models import Listing, ListingState, OrganisationTerms
from marketplace.actions import ActionError, IllegalTransition, NotAllowed, membership_of
from marketplace.models import Organisation

PER_PAGE = 50
EDITABLE_STATES = (ListingState.DRAFT, ListingState.PUBLISHED, ListingState.PAUSED)


def _member_org(request, slug):
    """The organisation and the user's membership; 404 unless the user is a member."""
    organisation = get_object_or_404(Organisation, slug=slug)
    membership = membership_of(request.user, organisation)
    if membership is None:
        raise Http404
    return organisation, membership


def _own_listing(organisation, pk) -> Listing:
    return get_object_or_404(Listing.objects.select_related("owner"), pk=pk, owner=organisation)


def _dashboard_url(organisation) -> str:
    return reverse("owner_listings", args=[organisation.slug])


def _next_or(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def import_url(organisation) -> str | None:
    """The bulk-import page, if the import app is installed (it is built separately)."""
    try:
        return reverse("import_new", args=[organisation.slug])
    except NoReverseMatch:
        return None


def publish_block_reason(organisation) -> str:
    """Why this organisation cannot publish (empty when it can)."""
    if not organisation.is_verified:
        return _(
            "%(org)s is not verified yet: only verified organisations can publish listings. "
            "You can prepare drafts in the meantime."
        ) % {"org": organisation.name}
    if not organisation.is_patent_holder:
        return _("%(kind)s organisations cannot publish patent listings.") % {"kind": organisation.get_kind_display()}
    return ""


# --- dashboard ----------------------------------------------------------------------------
@login_required
def dashboard(request, slug):
    organisation, membership = _member_org(request, slug)
    listings = Listing.objects.filter(owner=organisation).prefetch_related("patents").order_by("-updated_at", "-pk")
    state = request.GET.get("state", "")
    if state not in ListingState.values:
        state = ""
    if state:
        listings = listings.filter(state=state)
    counts = dict(
        Listing.objects.filter(owner=organisation).values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    page = Paginator(listings, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "organisation": organisation,
        "membership": membership,
        "page": page,
        "state": state,
        "state_tabs": [(value, label, counts.get(value, 0)) for value, label in ListingState.choices],
        "total": sum(counts.values()),
        "publish_block_reason": publish_block_reason(organisation),
        "import_url": import_url(organisation),
        "default_terms": OrganisationTerms.objects.filter(organisation=organisation).first(),
    }
    return render(request, "listings/owner/dashboard.html", context)


# --- create and edit ------------------------------------------------------------------------
def _patents_with_new(form, organisation, actor) -> list:
    patents = list(form.cleaned_data.get("patents") or [])
    new = form.new_patent()
    if new:
        patent, _created = actions.save_patent(organisation, actor=actor, **new)
        patents.append(patent)
    return patents


def _publish_after_save(request, listing) -> None:
    try:
        actions.publish_listing(listing, actor=request.user)
    except (ActionError, IllegalTransition) as exc:
        messages.error(request, _("The listing was saved as a draft but not published: %(reason)s")
                       % {"reason": exc})
    else:
        messages.success(request, _("“%(title)s” is published.") % {"title": listing.title})


@login_required
def listing_create(request, slug):
    organisation, membership = _member_org(request, slug)
    form = ListingForm(organisation, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                patents = _patents_with_new(form, organisation, request.user)
                listing = actions.create_listing(
                    organisation, actor=request.user, patents=patents, **form.listing_values()
                )
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The listing “%(title)s” is saved as a draft.") % {"title": listing.title})
            if "publish" in request.POST:
                _publish_after_save(request, listing)
            return redirect(_dashboard_url(organisation))
    return render(request, "listings/owner/listing_form.html", {
        "organisation": organisation,
        "form": form,
        "listing": None,
        "publish_block_reason": publish_block_reason(organisation),
    })


@login_required
def listing_edit(request, slug, pk):
    organisation, membership = _member_org(request, slug)
    listing = _own_listing(organisation, pk)
    if listing.state not in EDITABLE_STATES:
        messages.error(request, _("A %(state)s listing cannot be edited.") % {"state": listing.get_state_display().lower()})
        return redirect(_dashboard_url(organisation))
    form = ListingForm(organisation, request.POST or None, listing=listing)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                patents = _patents_with_new(form, organisation, request.user)
                values = form.listing_values()
                values.setdefault("title", patents[0].title if patents else listing.title)
                listing = actions.update_listing(listing, actor=request.user, patents=patents, **values)
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The listing “%(title)s” is saved.") % {"title": listing.title})
            if "publish" in request.POST and listing.state == ListingState.DRAFT:
                _publish_after_save(request, listing)
            return redirect(_dashboard_url(organisation))
    return render(request, "listings/owner/listing_form.html", {
        "organisation": organisation,
        "form": form,
        "listing": listing,
        "publish_block_reason": publish_block_reason(organisation),
    })


# --- state changes ----------------------------------------------------------------------------
def _transition(request, slug, pk, *, action, allowed_from, refused, done):
    organisation, membership = _member_org(request, slug)
    listing = _own_listing(organisation, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        if allowed_from is not None and listing.state not in allowed_from:
            raise IllegalTransition("listing", listing.state, "")
        action(listing, actor=request.user)
    except IllegalTransition:
        listing.refresh_from_db(fields=["state"])
        messages.error(request, refused % {"state": listing.get_state_display().lower()})
    except ActionError as exc:  # NotAllowed (unverified organisation), dead patents, ...
        messages.error(request, str(exc))
    else:
        messages.success(request, done % {"title": listing.title})
    return redirect(_next_or(request, _dashboard_url(organisation)))


@login_required
def listing_publish(request, slug, pk):
    return _transition(
        request, slug, pk, action=actions.publish_listing, allowed_from=(ListingState.DRAFT, ListingState.PAUSED),
        refused=_("This listing is %(state)s: only drafts and paused listings can be published."),
        done=_("“%(title)s” is published."),
    )


@login_required
def listing_pause(request, slug, pk):
    return _transition(
        request, slug, pk, action=actions.pause_listing, allowed_from=None,
        refused=_("This listing is %(state)s: only published listings can be paused."),
        done=_("“%(title)s” is paused: it no longer appears in search until you resume it."),
    )


@login_required
def listing_resume(request, slug, pk):
    return _transition(
        request, slug, pk, action=actions.publish_listing, allowed_from=(ListingState.PAUSED,),
        refused=_("This listing is %(state)s: only paused listings can be resumed."),
        done=_("“%(title)s” is published again."),
    )


@login_required
def listing_withdraw(request, slug, pk):
    return _transition(
        request, slug, pk, action=actions.withdraw_listing, allowed_from=None,
        refused=_("This listing is %(state)s: it cannot be withdrawn."),
        done=_("“%(title)s” is withdrawn. This cannot be undone."),
    )


# --- default terms ----------------------------------------------------------------------------
@login_required
def default_terms(request, slug):
    organisation, membership = _member_org(request, slug)
    current = OrganisationTerms.objects.filter(organisation=organisation).first()
    form = DefaultTermsForm(request.POST or None, initial=DefaultTermsForm.initial_from(current))
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_default_terms(organisation, actor=request.user, **form.terms())
        except NotAllowed as exc:
            messages.error(request, str(exc))
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The default licence terms of %(org)s are saved.") % {"org": organisation.name})
            return redirect(_dashboard_url(organisation))
    return render(request, "listings/owner/default_terms.html", {
        "organisation": organisation,
        "membership": membership,
        "form": form,
        "current": current,
        "import_url": import_url(organisation),
    })


urlpatterns = [
    path("owner/<slug:slug>/listings/", dashboard, name="owner_listings"),
    path("owner/<slug:slug>/listings/new/", listing_create, name="owner_listing_create"),
    path("owner/<slug:slug>/listings/<int:pk>/edit/", listing_edit, name="owner_listing_edit"),
    path("owner/<slug:slug>/listings/<int:pk>/publish/", listing_publish, name="owner_listing_publish"),
    path("owner/<slug:slug>/listings/<int:pk>/pause/", listing_pause, name="owner_listing_pause"),
    path("owner/<slug:slug>/listings/<int:pk>/resume/", listing_resume, name="owner_listing_resume"),
    path("owner/<slug:slug>/listings/<int:pk>/withdraw/", listing_withdraw, name="owner_listing_withdraw"),
    path("owner/<slug:slug>/terms/", default_terms, name="owner_default_terms"),
]
