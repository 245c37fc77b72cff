"""Staff pages of mediation, and the mediator's own list.

    /disputes/                          GET   staff: unresolved disputes, oldest first, with the first-answer target
                                              (?status=closed: closed ones with outcome, summary and dates)
    /disputes/<did>/assign/             POST  staff: AssignForm → assign_mediator
    /disputes/<did>/close/              POST  staff: CloseDisputeForm → close_dispute
    /disputes/mediators/                GET   staff: accredited mediators and candidates; POST AccreditForm
    /disputes/mediators/<uid>/revoke/   POST  staff → revoke_mediator
    /disputes/mine/                     GET   the disputes assigned to me (staff or accredited mediators; else 404)

Staff only except ``mine``: others get 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from marketplace.actions import ActionError
from marketplace.models import Membership, OrganisationKind, User, VerificationStatus
from marketplace.views import staff_required
from negotiations import actions, mediation
from negotiations.dispute_forms import AccreditForm, AssignForm, CloseDisputeForm
from negotiations.models import Dispute, DisputeStatus, MediatorAccreditation


def eligible_mediators():
    """Staff and currently accredited mediators (``assign_mediator`` still checks the agency and the parties)."""
    accredited = MediatorAccreditation.objects.current().values("user_id")
    return User.objects.filter(Q(is_staff=True) | Q(pk__in=accredited), is_active=True).order_by("full_name", "pk")


def _candidates():
    """Members of verified IP service agencies not accredited now."""
    members = Membership.objects.filter(organisation__kind=OrganisationKind.IP_AGENCY,
                                        organisation__verification_status=VerificationStatus.VERIFIED)
    current = MediatorAccreditation.objects.current().values("user_id")
    return (User.objects.filter(pk__in=members.values("user_id"), is_active=True).exclude(pk__in=current)
            .order_by("full_name", "pk"))


def _rows(disputes, now=None):
    for dispute in disputes:
        dispute.target = mediation.response_target(dispute, now)
        yield dispute


@staff_required
@require_GET
def dispute_queue(request):
    """Unresolved disputes, oldest first; ``?status=closed``: closed ones, latest first."""
    closed = request.GET.get("status") == "closed"
    base = Dispute.objects.filter(status=DisputeStatus.CLOSED) if closed else Dispute.objects.unresolved()
    disputes = (base.select_related("deal__listing", "deal__licensor", "deal__licensee", "mediator", "raised_by",
                                    "closed_by")
                .order_by(*(("-closed_at", "-pk") if closed else ("created_at", "pk"))))
    mediators = eligible_mediators()
    rows = list(_rows(disputes))
    for dispute in rows:
        # Staff open the deal room only when they mediate the dispute; otherwise the listing.
        dispute.deal_url = (dispute.deal.get_absolute_url() if dispute.mediator_id == request.user.pk
                            else dispute.deal.listing.get_absolute_url())
        if not closed:
            dispute.assign_form = AssignForm(mediators=mediators, initial={"mediator": dispute.mediator_id},
                                             prefix=f"d{dispute.pk}")
            dispute.close_form = CloseDisputeForm(prefix=f"c{dispute.pk}")
    return render(request, "negotiations/dispute_queue.html", {
        "disputes": rows,
        "closed_view": closed,
        "overdue": 0 if closed else sum(1 for d in rows if d.target.state == "overdue"),
    })


@staff_required
@require_POST
def dispute_assign(request, did):
    dispute = get_object_or_404(Dispute, pk=did)
    form = AssignForm(request.POST, mediators=eligible_mediators(), prefix=f"d{dispute.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose a mediator from the list."))
        return redirect("dispute_queue")
    mediator = form.cleaned_data["mediator"]
    try:
        actions.assign_mediator(dispute, actor=request.user, mediator=mediator)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(name)s mediates dispute %(n)s.")
                         % {"name": mediator.get_full_name() or mediator.email, "n": dispute.pk})
    return redirect("dispute_queue")


@staff_required
@require_POST
def dispute_staff_close(request, did):
    dispute = get_object_or_404(Dispute, pk=did)
    form = CloseDisputeForm(request.POST, prefix=f"c{dispute.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose an outcome and write a summary."))
        return redirect("dispute_queue")
    try:
        actions.close_dispute(dispute, actor=request.user, outcome=form.cleaned_data["outcome"],
                              summary=form.cleaned_data["summary"])
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Dispute %(n)s is closed.") % {"n": dispute.pk})
    return redirect("dispute_queue")


@staff_required
def mediator_list(request):
    form = AccreditForm(request.POST or None, candidates=_candidates())
    if request.method == "POST":
        if form.is_valid():
            user = form.cleaned_data["user"]
            try:
                actions.accredit_mediator(user, actor=request.user)
            except ActionError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("%(name)s is accredited as a mediator.")
                                 % {"name": user.get_full_name() or user.email})
                return redirect("mediator_list")
        else:
            messages.error(request, _("Choose a member of a verified IP service agency."))
    accreditations = (MediatorAccreditation.objects.select_related("user", "organisation", "accredited_by")
                      .order_by("revoked_at", "-accredited_at"))
    return render(request, "negotiations/mediator_list.html", {"form": form, "accreditations": accreditations})


@staff_required
@require_POST
def mediator_revoke(request, uid):
    user = get_object_or_404(User, pk=uid)
    try:
        actions.revoke_mediator(user, actor=request.user)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(name)s is no longer an accredited mediator.")
                         % {"name": user.get_full_name() or user.email})
    return redirect("mediator_list")


@login_required
@require_GET
def my_disputes(request):
    disputes = (Dispute.objects.filter(mediator=request.user)
                .select_related("deal__listing", "deal__licensor", "deal__licensee")
                .order_by("closed_at", "created_at"))
    if not mediation.may_mediate(request.user) and not disputes.exists():
        raise Http404
    rows = list(_rows(disputes))
    return render(request, "negotiations/my_disputes.html", {
        "open_disputes": [d for d in rows if d.is_unresolved],
        "closed_disputes": [d for d in rows if not d.is_unresolved],
        "may_mediate": mediation.may_mediate(request.user),
    })
