"""Plain views: parse input, check access, call an action, render.

Access rule: someone who is not a member of an organisation (and not staff) gets 404 for
anything under it; staff pages answer 404 to everyone else.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetView, redirect_to_login
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import actions, mail, throttle
from marketplace.forms import (
    InvitationForm,
    OrganisationEditForm,
    OrganisationForm,
    ProfileForm,
    RejectForm,
    SignUpForm,
    SMEProfileForm,
    VerifyForm,
    normalise_email,
)
from marketplace.models import AuditEntry, Invitation, Membership, Organisation, OrganisationKind, User
from marketplace.sme import SizeClass


def _safe_next(request, default: str):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def staff_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def home(request):
    context = {
        "verified_count": Organisation.objects.verified().count(),
        "holder_count": Organisation.objects.verified()
        .filter(kind__in=[k.value for k in (OrganisationKind.UNIVERSITY, OrganisationKind.RESEARCH_INSTITUTE,
                                             OrganisationKind.STATE_ENTERPRISE)])
        .count(),
    }
    return render(request, "marketplace/home.html", context)


# --- accounts ---------------------------------------------------------------------------
def signup(request):
    if request.user.is_authenticated:
        return redirect("profile")
    if request.method == "POST":
        exceeded = throttle.check(request, "signup", address=_posted_address(request, "email"))
        if exceeded:
            return throttle.throttled_response(request, exceeded)
    form = SignUpForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.sign_up(**form.cleaned_data)
        except actions.ActionError as exc:
            form.add_error("email", str(exc))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, _("Welcome to PatentBridge. We sent a confirmation link to %(email)s.") % {"email": user.email}
            )
            return redirect("profile")
    return render(request, "registration/signup.html", {"form": form})


def _posted_address(request, field: str) -> str | None:
    """The email address a form posts (lower case), or None when the field does not hold one."""
    address = normalise_email(request.POST.get(field, ""))
    try:
        validate_email(address)
    except ValidationError:  # the form reports it
        return None
    return address


class ThrottledPasswordResetView(PasswordResetView):
    """Django's reset view, limited per client and per address (``marketplace.throttle``). The limit
    counts every request alike, whether or not an account uses the address, so it reveals nothing."""

    def post(self, request, *args, **kwargs):
        exceeded = throttle.check(request, "password_reset", address=_posted_address(request, "email"))
        if exceeded:
            return throttle.throttled_response(request, exceeded)
        return super().post(request, *args, **kwargs)


def verify_email(request, token):
    try:
        payload = mail.read_email_verification_token(token)
    except signing.SignatureExpired:
        messages.error(request, _("This confirmation link has expired. Sign in and ask for a new one."))
        return redirect("home")
    except signing.BadSignature:
        raise Http404 from None
    user = User.objects.filter(pk=payload["user"], email=payload["email"]).first()
    if user is None:
        raise Http404
    if actions.verify_email(user):
        messages.success(request, _("Thank you: your email address %(email)s is confirmed.") % {"email": user.email})
    else:
        messages.info(request, _("Your email address was already confirmed."))
    return redirect("profile" if request.user.is_authenticated else "login")


@login_required
@require_POST
def resend_verification(request):
    if request.user.email_verified:
        messages.info(request, _("Your email address was already confirmed."))
    else:
        mail.send_email_verification(request.user)
        messages.success(request, _("We sent a new confirmation link to %(email)s.") % {"email": request.user.email})
    return redirect("profile")


@login_required
def profile(request):
    form = ProfileForm(
        request.POST or None, initial={"full_name": request.user.full_name, "language": request.user.language,
                                       "notification_emails": request.user.notification_emails}
    )
    if request.method == "POST" and form.is_valid():
        actions.update_profile(request.user, **form.cleaned_data)
        messages.success(request, _("Your profile is saved."))
        response = redirect("profile")
        response.set_cookie("django_language", form.cleaned_data["language"], samesite="Lax")
        return response
    memberships = Membership.objects.filter(user=request.user).select_related("organisation__sme_profile")
    pending_invitations = Invitation.objects.open().filter(email__iexact=request.user.email)
    return render(
        request,
        "marketplace/profile.html",
        {"form": form, "memberships": memberships, "pending_invitations": pending_invitations},
    )


# --- organisations ----------------------------------------------------------------------
def organisation_for(request, slug) -> tuple[Organisation, Membership | None]:
    """The organisation if the user is a member or staff; 404 otherwise."""
    organisation = get_object_or_404(Organisation.objects.select_related("sme_profile"), slug=slug)
    membership = actions.membership_of(request.user, organisation)
    if membership is None and not request.user.is_staff:
        raise Http404
    return organisation, membership


@login_required
def organisation_create(request):
    if not request.user.email_verified:
        messages.warning(
            request, _("Confirm your email address first: staff contact you there to verify your organisation.")
        )
        return redirect("profile")
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = actions.create_organisation(actor=request.user, **form.cleaned_data)
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(org)s is registered. Platform staff will verify it; until then you cannot publish or sign.")
                % {"org": organisation.name},
            )
            return redirect(organisation)
    return render(request, "marketplace/organisation_form.html", {"form": form})


@login_required
def organisation_detail(request, slug):
    organisation, membership = organisation_for(request, slug)
    is_owner = bool(membership and membership.is_owner)
    context = {
        "organisation": organisation,
        "membership": membership,
        "is_owner": is_owner,
        "members": organisation.memberships.select_related("user"),
        "invitations": organisation.invitations.open() if is_owner else [],
        "invite_form": InvitationForm() if is_owner else None,
        "audit_entries": AuditEntry.objects.filter(organisation=organisation).select_related("actor")[:20],
        "profile": getattr(organisation, "sme_profile", None),
        "reject_form": RejectForm() if request.user.is_staff else None,
        "verify_form": VerifyForm() if request.user.is_staff else None,
        "eligible_sizes": [SizeClass.SMALL, SizeClass.MICRO],
    }
    return render(request, "marketplace/organisation_detail.html", context)


@login_required
def organisation_edit(request, slug):
    organisation, membership = organisation_for(request, slug)
    if not (membership and membership.is_owner):
        raise Http404
    form = OrganisationEditForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        if changed:
            actions.update_organisation(organisation, actor=request.user, **changed)
        messages.success(request, _("The organisation's details are saved."))
        return redirect(organisation)
    return render(request, "marketplace/organisation_form.html", {"form": form, "organisation": organisation})


@login_required
def sme_profile_edit(request, slug):
    organisation, membership = organisation_for(request, slug)
    if not (membership and membership.is_owner) or organisation.kind != OrganisationKind.SME:
        raise Http404
    profile = getattr(organisation, "sme_profile", None)
    initial = (
        {
            "industry": profile.industry,
            "employees": profile.employees,
            "annual_revenue_cny": profile.annual_revenue_cny,
            "total_assets_cny": profile.total_assets_cny,
        }
        if profile
        else {}
    )
    form = SMEProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            profile = actions.save_sme_profile(organisation, actor=request.user, **form.cleaned_data)
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, profile.classification().explain())
            return redirect(organisation)
    return render(request, "marketplace/sme_profile_form.html", {"form": form, "organisation": organisation})


@login_required
@require_POST
def organisation_resubmit(request, slug):
    organisation, membership = organisation_for(request, slug)
    if membership is None:
        raise Http404
    try:
        actions.resubmit_organisation(organisation, actor=request.user)
    except (actions.ActionError, actions.IllegalTransition) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Sent to platform staff for verification again."))
    return redirect(organisation)


@login_required
@require_POST
def invite(request, slug):
    organisation, membership = organisation_for(request, slug)
    if membership is None:
        raise Http404
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = actions.invite_member(organisation, actor=request.user, **form.cleaned_data)
        except actions.ActionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
    else:
        messages.error(request, _("Enter a valid email address and role."))
    return redirect(organisation)


@login_required
@require_POST
def revoke_invitation(request, slug, pk):
    organisation, membership = organisation_for(request, slug)
    if membership is None:
        raise Http404
    invitation = get_object_or_404(Invitation, pk=pk, organisation=organisation)
    try:
        actions.revoke_invitation(invitation, actor=request.user)
    except actions.ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Invitation to %(email)s withdrawn.") % {"email": invitation.email})
    return redirect(organisation)


@login_required
@require_POST
def remove_member(request, slug, pk):
    organisation, membership = organisation_for(request, slug)
    if membership is None:
        raise Http404
    target = get_object_or_404(Membership, pk=pk, organisation=organisation)
    try:
        actions.remove_member(target, actor=request.user)
    except actions.ActionError as exc:
        messages.error(request, str(exc))
        return redirect(organisation)
    messages.success(request, _("%(org)s: %(user)s is no longer a member.") % {"user": target.user, "org": organisation})
    return redirect(organisation if target.user_id != request.user.pk else "profile")


@login_required
@require_POST
def change_role(request, slug, pk):
    organisation, membership = organisation_for(request, slug)
    if membership is None:
        raise Http404
    target = get_object_or_404(Membership, pk=pk, organisation=organisation)
    try:
        actions.change_member_role(target, actor=request.user, role=request.POST.get("role", ""))
    except actions.ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Role updated."))
    return redirect(organisation)


@login_required
@require_POST
def set_signatory(request, slug, pk):
    """An owner marks a member as authorised signatory of agreements (``value`` 1), or not (0)."""
    organisation, membership = organisation_for(request, slug)
    if membership is None:
        raise Http404
    target = get_object_or_404(Membership, pk=pk, organisation=organisation)
    value = request.POST.get("value") == "1"
    try:
        actions.set_signatory(target, actor=request.user, value=value)
    except actions.ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, (_("%(user)s may now sign agreements for the organisation (%(org)s).") if value
                                   else _("%(user)s no longer signs agreements for the organisation (%(org)s)."))
                         % {"user": target.user, "org": organisation})
    return redirect(organisation)


def accept_invitation(request, token):
    invitation = get_object_or_404(Invitation.objects.select_related("organisation"), token=token)
    if not request.user.is_authenticated:
        messages.info(
            request, _("To join %(org)s, sign in (or sign up) as %(email)s.")
            % {"email": invitation.email, "org": invitation.organisation.name},
        )
        return redirect_to_login(request.get_full_path())
    if request.method == "POST":
        try:
            actions.accept_invitation(invitation, user=request.user)
        except actions.NotAllowed:
            raise Http404 from None
        except actions.ActionError as exc:
            messages.error(request, str(exc))
            return redirect("profile")
        messages.success(request, _("Welcome: you are now a member of %(org)s, with the role shown on its page.") % {"org": invitation.organisation.name})
        return redirect(invitation.organisation)
    if invitation.email.lower() != request.user.email.lower():
        raise Http404
    return render(request, "marketplace/accept_invitation.html", {"invitation": invitation})


# --- staff: verification ----------------------------------------------------------------
@staff_required
def verification_queue(request):
    status = request.GET.get("status", "pending")
    organisations = (Organisation.objects.filter(verification_status=status).select_related("sme_profile")
                     .prefetch_related("memberships__user", "verification_documents"))
    return render(
        request,
        "marketplace/verification_queue.html",
        {"organisations": organisations, "status": status, "reject_form": RejectForm(), "verify_form": VerifyForm()},
    )


@staff_required
@require_POST
def verify(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    form = VerifyForm(request.POST)
    form.is_valid()
    try:
        actions.verify_organisation(organisation, actor=request.user, note=form.cleaned_data.get("note", ""))
    except actions.IllegalTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(org)s is verified.") % {"org": organisation.name})
    return redirect(_safe_next(request, "verification_queue"))


@staff_required
@require_POST
def reject(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    form = RejectForm(request.POST)
    reason = request.POST.get("reason", "")
    try:
        actions.reject_organisation(organisation, actor=request.user, reason=reason if form.is_valid() else "")
    except (actions.ActionError, actions.IllegalTransition) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(org)s is rejected; the reason was sent to its owners.") % {"org": organisation.name})
    return redirect(_safe_next(request, "verification_queue"))


@staff_required
@require_POST
def toggle_demonstration(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    try:
        actions.set_demonstration(organisation, actor=request.user, value=request.POST.get("value") == "1")
    except actions.ActionError as exc:
        messages.error(request, str(exc))
    return redirect(organisation)


# --- error pages ------------------------------------------------------------------------
def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    return render(request, "500.html", status=500)


# --- notifications -----------------------------------------------------------------------
NOTIFICATIONS_PER_PAGE = 50


@login_required
def notifications(request):
    """The user's notifications, newest first, unread highlighted."""
    from django.core.paginator import Paginator

    from marketplace.models import Notification

    queryset = Notification.objects.for_user(request.user).order_by("-created_at", "-id")
    page = Paginator(queryset, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    from marketplace.notifications import localise

    shown = [localise(n) for n in page.object_list]  # in the page's language, not the one it was sent in
    return render(request, "marketplace/notifications.html", {"page": page, "notifications": shown})


@login_required
def notification_open(request, pk):
    """Mark the notification read and go to its link. Someone else's notification: 404."""
    from marketplace import notifications as notification_actions
    from marketplace.models import Notification

    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    notification_actions.mark_read(notification, request.user)
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "notifications"
    return redirect(target)


@login_required
@require_POST
def notifications_mark_all_read(request):
    from marketplace import notifications as notification_actions

    count = notification_actions.mark_all_read(request.user)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect(_safe_next(request, "notifications"))
