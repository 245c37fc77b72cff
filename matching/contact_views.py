"""Licence requests ("contact requests") on the site, until negotiations take over.

    /owner/<slug>/requests/                              the owner's inbox: requests about its listings,
                                                         newest first, ``?status=`` filter, open count
    /owner/<slug>/requests/<id>/                         one request: the SME, its need, the message, the
                                                         requester; reply / decline / mark done forms
    /owner/<slug>/requests/<id>/reply/     (POST)        ``actions.reply_to_request``
    /owner/<slug>/requests/<id>/decline/   (POST)        ``actions.decline_request``
    /owner/<slug>/requests/<id>/close/     (POST)        ``actions.close_request`` (a replied request is done)
    /sme/<slug>/needs/<pk>/requests/<id>/withdraw/ (POST) ``actions.withdraw_request`` (from the need's page)

Access: owner pages are for members of the organisation ``slug``, and only for requests about its listings;
the withdraw button for members of the SME whose need it is. Everyone else (staff included) gets 404;
anonymous visitors are sent to the login page. Plain views: parse, check access, call an action, render.
Included from ``matching.urls``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace.actions import ActionError, membership_of
from marketplace.models import Organisation
from marketplace.states import IllegalTransition
from matching import actions, views
from matching.forms import ContactDeclineForm, ContactReplyForm
from matching.models import ContactRequest, ContactRequestStatus

PER_PAGE = 50


# --- access -------------------------------------------------------------------------------------
def _owner_org(request, slug) -> Organisation:
    """The organisation if the user is one of its members; 404 otherwise (staff included)."""
    organisation = get_object_or_404(Organisation, slug=slug)
    if membership_of(request.user, organisation) is None:
        raise Http404
    return organisation


def _owner_request(organisation, pk) -> ContactRequest:
    """A request about one of the organisation's listings; 404 for any other."""
    return get_object_or_404(
        ContactRequest.objects.for_owner(organisation).select_related(
            "need__organisation__sme_profile", "listing__owner", "created_by", "replied_by", "closed_by"),
        pk=pk,
    )


def _detail_url(contact: ContactRequest) -> str:
    return reverse("owner_request_detail", args=[contact.listing.owner.slug, contact.pk])


def _act(request, contact: ContactRequest, change, done) -> None:
    """Run an action on a request and tell the user how it went. ``done``: the success message, a function
    of the changed request (a second click finds the request already moved: said plainly, nothing changed)."""
    try:
        changed = change()
    except IllegalTransition:
        contact.refresh_from_db(fields=["status"])
        messages.error(request, _("This request is already “%(status)s”; nothing was changed.")
                       % {"status": contact.get_status_display()})
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done(changed))


# --- the owner's inbox --------------------------------------------------------------------------
@login_required
def owner_requests(request, slug):
    organisation = _owner_org(request, slug)
    inbox = ContactRequest.objects.for_owner(organisation)
    counts = dict(inbox.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    status = request.GET.get("status", "")
    if status not in ContactRequestStatus.values:
        status = ""
    shown = (inbox.select_related("need__organisation__sme_profile", "listing", "created_by")
             .order_by("-created_at", "-id"))
    if status:
        shown = shown.filter(status=status)
    page = Paginator(shown, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "matching/owner_requests.html", {
        "organisation": organisation,
        "page": page,
        "status": status,
        "status_tabs": [(value, label, counts.get(value, 0)) for value, label in ContactRequestStatus.choices],
        "total": sum(counts.values()),
        "open_count": counts.get(ContactRequestStatus.OPEN, 0),
    })


def _render_detail(request, organisation, contact, *, reply_form=None, decline_form=None):
    allowed = ContactRequestStatus.TRANSITIONS.get(contact.status, ())
    return render(request, "matching/owner_request_detail.html", {
        "organisation": organisation,
        "contact": contact,
        "need": contact.need,
        "sme": contact.need.organisation,
        "sme_profile": getattr(contact.need.organisation, "sme_profile", None),
        "listing": contact.listing,
        "requester": contact.created_by,
        "can_reply": ContactRequestStatus.REPLIED in allowed,
        "can_decline": ContactRequestStatus.DECLINED in allowed,
        "can_close": contact.status == ContactRequestStatus.REPLIED,
        "reply_form": reply_form or ContactReplyForm(),
        "decline_form": decline_form or ContactDeclineForm(),
    })


@login_required
def owner_request_detail(request, slug, pk):
    organisation = _owner_org(request, slug)
    contact = _owner_request(organisation, pk)
    return _render_detail(request, organisation, contact)


def _answer(request, slug, pk, form_class, form_name: str, act, done):
    """The owner's answer (reply or decline): a bad form shows the request again with its errors."""
    organisation = _owner_org(request, slug)
    contact = _owner_request(organisation, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return _render_detail(request, organisation, contact, **{form_name: form})
    _act(request, contact, lambda: act(contact, form.cleaned_data), done)
    return redirect(_detail_url(contact))


@login_required
@require_POST
def owner_request_reply(request, slug, pk):
    return _answer(
        request, slug, pk, ContactReplyForm, "reply_form",
        lambda contact, data: actions.reply_to_request(contact, actor=request.user, message=data["message"]),
        lambda c: _("Reply sent: %(sme)s sees it with its licence request.") % {"sme": c.need.organisation.name})


@login_required
@require_POST
def owner_request_decline(request, slug, pk):
    return _answer(
        request, slug, pk, ContactDeclineForm, "decline_form",
        lambda contact, data: actions.decline_request(contact, actor=request.user, reason=data["reason"]),
        lambda c: _("The request of %(sme)s is declined; they are told.") % {"sme": c.need.organisation.name})


@login_required
@require_POST
def owner_request_close(request, slug, pk):
    organisation = _owner_org(request, slug)
    contact = _owner_request(organisation, pk)
    _act(request, contact, lambda: actions.close_request(contact, actor=request.user),
         lambda c: _("The request is marked as done."))
    return redirect(_detail_url(contact))


# --- the SME's side -----------------------------------------------------------------------------
@login_required
@require_POST
def sme_request_withdraw(request, slug, pk, cid):
    organisation = views._sme_org(request, slug)
    need = views._need(organisation, pk)
    contact = get_object_or_404(ContactRequest.objects.select_related("listing__owner"), pk=cid, need=need)
    _act(request, contact, lambda: actions.withdraw_request(contact, actor=request.user),
         lambda c: _("Your request to %(owner)s is withdrawn.") % {"owner": c.listing.owner.name})
    return redirect("need_detail", slug=organisation.slug, pk=need.pk)


urlpatterns = [
    path("owner/<slug:slug>/requests/", owner_requests, name="owner_requests"),
    path("owner/<slug:slug>/requests/<int:pk>/", owner_request_detail, name="owner_request_detail"),
    path("owner/<slug:slug>/requests/<int:pk>/reply/", owner_request_reply, name="owner_request_reply"),
    path("owner/<slug:slug>/requests/<int:pk>/decline/", owner_request_decline, name="owner_request_decline"),
    path("owner/<slug:slug>/requests/<int:pk>/close/", owner_request_close, name="owner_request_close"),
    path("sme/<slug:slug>/needs/<int:pk>/requests/<int:cid>/withdraw/", sme_request_withdraw,
         name="sme_request_withdraw"),
]
