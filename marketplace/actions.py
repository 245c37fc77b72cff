"""Every state change of accounts and organisations.

Each action validates, locks the rows it changes (``select_for_update``), changes them, writes
an audit entry and sends mail/events on commit. Views, commands and tests call these; nothing
else writes these models.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from marketplace import audit, events, mail, sme
from marketplace.models import (
    DEMONSTRATION_KINDS,
    Invitation,
    MemberRole,
    Membership,
    Organisation,
    OrganisationKind,
    SMEProfile,
    User,
    VerificationStatus,
    normalise_email,
)
from marketplace.states import IllegalTransition, check_transition  # noqa: F401 - re-exported for callers


class ActionError(Exception):
    """A request that cannot be carried out; the message is shown to the user."""


class NotAllowed(ActionError):
    """The actor may not do this (views answer 403, or 404 when the actor is not a party)."""


# --- helpers ----------------------------------------------------------------------------
def membership_of(user, organisation: Organisation) -> Membership | None:
    if not user or not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, organisation=organisation).first()


def require_member(user, organisation: Organisation, *, owner: bool = False) -> Membership:
    membership = membership_of(user, organisation)
    if membership is None:
        raise NotAllowed(_("You are not a member of this organisation (%(org)s).") % {"org": organisation.name})
    if owner and not membership.is_owner:
        raise NotAllowed(_("Only owners of %(org)s can do this.") % {"org": organisation.name})
    return membership


def require_staff(user) -> None:
    if not (user and user.is_authenticated and user.is_staff):
        raise NotAllowed(_("Only platform staff can do this."))


def require_can_publish(user, organisation: Organisation) -> Membership:
    """The guard of every publishing action: a member of a verified patent-holding organisation."""
    membership = require_member(user, organisation)
    if not organisation.is_verified:
        raise NotAllowed(
            _("%(org)s is not verified yet: only verified organisations can publish listings.")
            % {"org": organisation.name}
        )
    if not organisation.is_patent_holder:
        raise NotAllowed(
            _("%(kind)s organisations cannot publish patent listings.") % {"kind": organisation.get_kind_display()}
        )
    return membership


def require_can_sign(user, organisation: Organisation) -> Membership:
    """The guard of every signing action: a member of a verified organisation."""
    from marketplace.verification import VerifiedOnly, require_verified

    membership = require_member(user, organisation)
    require_verified(organisation, VerifiedOnly.SIGN)
    return membership


def _lock(organisation: Organisation) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "org"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- accounts ---------------------------------------------------------------------------
def sign_up(*, email: str, full_name: str, password: str, language: str = settings.LANGUAGE_CODE) -> User:
    email = normalise_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ActionError(_("An account with this email address already exists."))
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password, full_name=full_name, language=language)
        audit.record("user.signed_up", actor=user, target=user, after={"email": email})
        transaction.on_commit(lambda: mail.send_email_verification(user))
    return user


def create_account(
    *,
    email: str,
    full_name: str,
    password: str,
    staff: bool = False,
    email_verified: bool = True,
    language: str = settings.LANGUAGE_CODE,
) -> User:
    """Operator path (demo data, scripts): an account without the sign-up mail."""
    email = normalise_email(email)
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise ActionError(_("An account with this email address already exists."))
        manager = User.objects.create_superuser if staff else User.objects.create_user
        user = manager(
            email=email, password=password, full_name=full_name, email_verified=email_verified, language=language
        )
        audit.record("user.created", target=user, after={"email": email, "staff": staff})
    return user


def verify_email(user: User) -> bool:
    """Mark the address verified. Returns False if it already was."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.email_verified:
            return False
        locked.email_verified = True
        locked.save(update_fields=["email_verified"])
        audit.record("user.email_verified", actor=locked, target=locked, after={"email": locked.email})
    user.email_verified = True
    return True


def update_profile(user: User, *, full_name: str, language: str, notification_emails: str | None = None) -> User:
    """Name, language and (optionally) how notifications are emailed (``NotificationPreference``)."""
    from marketplace.models import NotificationPreference

    if notification_emails is not None and notification_emails not in NotificationPreference.values:
        raise ActionError(_("Unknown notification email choice “%(choice)s”.") % {"choice": notification_emails})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        fields = {"full_name": full_name, "language": language}
        if notification_emails is not None:
            fields["notification_emails"] = notification_emails
        before = {key: getattr(locked, key) for key in fields}
        for key, value in fields.items():
            setattr(locked, key, value)
        locked.save(update_fields=list(fields))
        audit.record("user.profile_updated", actor=locked, target=locked, before=before, after=fields)
    return locked


# --- organisations ----------------------------------------------------------------------
def create_organisation(
    *,
    actor: User | None,
    name: str,
    kind: str,
    slug: str | None = None,
    province: str = "",
    website: str = "",
    description: str = "",
    registration_number: str = "",
    credit_code: str = "",
) -> Organisation:
    """Create an organisation (pending verification); the actor, if any, becomes its owner."""
    from marketplace.verification import clean_codes

    credit_code, registration_number = clean_codes(credit_code, registration_number)
    name = name.strip()
    if not name:
        raise ActionError(_("An organisation needs a name."))
    if kind not in OrganisationKind.values:
        raise ActionError(
            _("Unknown organisation kind “%(kind)s”; expected one of: %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(OrganisationKind.values)}
        )
    if slug:
        slug = slugify(slug)
        if not slug:
            raise ActionError(_("The short name must contain letters or digits."))
        if Organisation.objects.filter(slug=slug).exists():
            raise ActionError(_("The short name “%(slug)s” is taken.") % {"slug": slug})
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                name=name,
                slug=slug or _unique_slug(name),
                kind=kind,
                province=province,
                website=website,
                description=description,
                registration_number=registration_number,
                credit_code=credit_code,
            )
            if actor is not None:
                Membership.objects.create(user=actor, organisation=organisation, role=MemberRole.OWNER)
            audit.record(
                "organisation.created",
                actor=actor,
                target=organisation,
                after={"name": name, "kind": kind, "slug": organisation.slug},
            )
    except IntegrityError:
        raise ActionError(_("The short name “%(slug)s” is taken.") % {"slug": slug}) from None
    return organisation


def update_organisation(organisation: Organisation, *, actor: User, **fields) -> Organisation:
    """An owner edits the details. A verified organisation whose name, kind or registration codes change goes
    back to pending verification (its published listings stay public, marked "re-verification pending") and
    staff are told (``marketplace.verification``)."""
    from marketplace import verification

    editable = {"name", "kind", "province", "website", "description", "registration_number", "credit_code"}
    unknown = set(fields) - editable
    if unknown:
        raise ValueError(f"not editable here: {', '.join(sorted(unknown))}")
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise ActionError(_("An organisation needs a name."))
    if "kind" in fields and fields["kind"] not in OrganisationKind.values:
        raise ActionError(
            _("Unknown organisation kind “%(kind)s”; expected one of: %(kinds)s.")
            % {"kind": fields["kind"], "kinds": ", ".join(OrganisationKind.values)}
        )
    with transaction.atomic():
        require_member(actor, organisation, owner=True)
        locked = _lock(organisation)
        if "credit_code" in fields or "registration_number" in fields:
            fields["credit_code"], fields["registration_number"] = verification.clean_codes(
                fields.get("credit_code", locked.credit_code),
                fields.get("registration_number", locked.registration_number), exclude_pk=locked.pk)
        fields = {key: value for key, value in fields.items() if getattr(locked, key) != value}
        if not fields:
            return locked
        before = {key: getattr(locked, key) for key in fields}
        for key, value in fields.items():
            setattr(locked, key, value)
        locked.save(update_fields=list(fields))
        audit.record("organisation.updated", actor=actor, target=locked, before=before, after=fields)
        changes = {key: [before[key], fields[key]] for key in verification.IDENTITY_FIELDS if key in fields}
        if changes and locked.verification_status == VerificationStatus.VERIFIED:
            locked = _set_verification(locked, actor=actor, target_status=VerificationStatus.PENDING, note="",
                                       action_name="organisation.reverification_requested", notify=False,
                                       reverification_changes=changes)
            verification.notify_reverification(locked, changes)  # staff and members, in the same transaction
    return locked


def _set_verification(organisation, *, actor, target_status, note, action_name, notify=True,
                      reverification_changes=None, only_from=None):
    """``reverification_changes``: a verified organisation changed its identity (``update_organisation``) and goes
    back to pending; its listings stay public until staff decide. Any staff decision ends that state."""
    from marketplace import verification

    with transaction.atomic():
        locked = _lock(organisation)
        if only_from is not None and locked.verification_status != only_from:  # e.g. verified → pending: by a change
            raise IllegalTransition("verification", locked.verification_status, target_status)
        check_transition(VerificationStatus, locked.verification_status, target_status, "verification")
        before = {"status": locked.verification_status, "note": locked.verification_note}
        locked.verification_status = target_status
        locked.verification_note = note
        if target_status == VerificationStatus.VERIFIED:
            locked.verified_at, locked.verified_by = timezone.now(), actor
        else:
            locked.verified_at, locked.verified_by = None, None
        if reverification_changes:
            locked.reverification_requested_at, locked.reverification_changes = timezone.now(), reverification_changes
        else:
            locked.reverification_requested_at, locked.reverification_changes = None, {}
        locked.save(update_fields=["verification_status", "verification_note", "verified_at", "verified_by",
                                   "reverification_requested_at", "reverification_changes"])
        after = {"status": target_status, "note": note}
        if reverification_changes:
            after["changes"] = reverification_changes
        audit.record(action_name, actor=actor, target=locked, before=before, after=after)
        member_ids = list(locked.memberships.values_list("user_id", flat=True))
        events.send_on_commit(
            [events.user_group(uid) for uid in member_ids],
            "organisation.verification_changed",
            organisation=locked.name,
            slug=locked.slug,
            status=str(target_status),
            status_label=str(VerificationStatus(target_status).label),
            message=note,
        )
        if notify:
            # In-app for every member, and the decision email (so the notification is not emailed twice).
            verification.notify_decision(locked, target_status, note, emailed_separately=True)
            transaction.on_commit(lambda: mail.send_verification_decision(locked))
    return locked


def verify_organisation(
    organisation: Organisation, *, actor: User | None, note: str = "", operator: bool = False, notify: bool = True
):
    """Staff confirm an organisation is who it says it is.

    ``operator=True`` is for manage.py commands (no staff user); ``notify=False`` skips the email
    to the members (demo data).
    """
    if not operator:
        require_staff(actor)
    return _set_verification(
        organisation, actor=actor, target_status=VerificationStatus.VERIFIED, note=note.strip(),
        action_name="organisation.verified", notify=notify,
    )


def reject_organisation(organisation: Organisation, *, actor: User, reason: str):
    """Staff refuse (or revoke) verification; the reason is shown to the organisation."""
    require_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ActionError(_("Give a reason: the organisation sees it and can correct its details."))
    return _set_verification(
        organisation, actor=actor, target_status=VerificationStatus.REJECTED, note=reason,
        action_name="organisation.rejected",
    )


def resubmit_organisation(organisation: Organisation, *, actor: User):
    """An owner asks again after a rejection."""
    require_member(actor, organisation, owner=True)
    return _set_verification(
        organisation, actor=actor, target_status=VerificationStatus.PENDING, note="",
        action_name="organisation.resubmitted", only_from=VerificationStatus.REJECTED,
    )


def set_demonstration(organisation: Organisation, *, actor: User | None, value: bool, operator: bool = False):
    """Staff designate (or undesignate) a demonstration enterprise."""
    if not operator:
        require_staff(actor)
    with transaction.atomic():
        locked = _lock(organisation)
        if value and locked.kind not in DEMONSTRATION_KINDS:
            raise ActionError(_("Only enterprises and state-owned enterprises can be demonstration enterprises."))
        if locked.is_demonstration == value:
            return locked
        locked.is_demonstration = value
        locked.save(update_fields=["is_demonstration"])
        audit.record("organisation.demonstration_changed", actor=actor, target=locked,
                     before={"is_demonstration": not value}, after={"is_demonstration": value})
    return locked


# --- members and invitations ------------------------------------------------------------
def invite_member(organisation: Organisation, *, actor: User, email: str, role: str = MemberRole.MEMBER) -> Invitation:
    email = normalise_email(email)
    if role not in MemberRole.values:
        raise ActionError(_("Unknown role “%(role)s”.") % {"role": role})
    with transaction.atomic():
        require_member(actor, organisation, owner=True)
        _lock(organisation)
        if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
            raise ActionError(_("%(email)s is already a member.") % {"email": email})
        if organisation.invitations.open().filter(email__iexact=email).exists():
            raise ActionError(_("%(email)s already has an open invitation.") % {"email": email})
        invitation = Invitation.objects.create(
            organisation=organisation, email=email, role=role, token=secrets.token_urlsafe(32), invited_by=actor
        )
        audit.record("member.invited", actor=actor, target=invitation, organisation=organisation,
                     after={"email": email, "role": role})
        transaction.on_commit(lambda: mail.send_invitation(invitation))
    return invitation


def add_member(organisation: Organisation, *, user: User, role: str, actor: User | None, operator: bool = False):
    """Add someone directly (operators; owners use invitations). Returns the membership."""
    if role not in MemberRole.values:
        raise ActionError(_("Unknown role “%(role)s”.") % {"role": role})
    with transaction.atomic():
        if not operator:
            require_member(actor, organisation, owner=True)
        _lock(organisation)
        membership, created = Membership.objects.get_or_create(user=user, organisation=organisation,
                                                               defaults={"role": role})
        if created:
            audit.record("member.added", actor=actor, target=membership, organisation=organisation,
                         after={"email": user.email, "role": role})
    return membership


def accept_invitation(invitation: Invitation, *, user: User) -> Membership:
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_open:
            raise ActionError(_("This invitation has expired or was already used."))
        if locked.email.lower() != user.email.lower():
            raise NotAllowed(_("This invitation was sent to another email address."))
        membership, created = Membership.objects.get_or_create(
            user=user, organisation=locked.organisation, defaults={"role": locked.role}
        )
        locked.accepted_at, locked.accepted_by = timezone.now(), user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        audit.record("member.joined", actor=user, target=membership, organisation=locked.organisation,
                     after={"email": user.email, "role": membership.role, "invitation": locked.pk})
    return membership


def revoke_invitation(invitation: Invitation, *, actor: User) -> None:
    with transaction.atomic():
        require_member(actor, invitation.organisation, owner=True)
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at or locked.revoked_at:
            raise ActionError(_("This invitation is no longer open."))
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit.record("member.invitation_revoked", actor=actor, target=locked, organisation=locked.organisation,
                     after={"email": locked.email})


def remove_member(membership: Membership, *, actor: User) -> None:
    organisation = membership.organisation
    with transaction.atomic():
        if membership.user_id != actor.pk:  # anyone may leave; only owners remove others
            require_member(actor, organisation, owner=True)
        _lock(organisation)
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.is_owner and not organisation.memberships.filter(role=MemberRole.OWNER).exclude(pk=locked.pk).exists():
            raise ActionError(_("An organisation needs at least one owner: make someone else owner first."))
        audit.record("member.removed", actor=actor, target=locked, organisation=organisation,
                     before={"email": locked.user.email, "role": locked.role})
        locked.delete()


def change_member_role(membership: Membership, *, actor: User, role: str) -> Membership:
    organisation = membership.organisation
    if role not in MemberRole.values:
        raise ActionError(_("Unknown role “%(role)s”.") % {"role": role})
    with transaction.atomic():
        require_member(actor, organisation, owner=True)
        _lock(organisation)
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.is_owner and role != MemberRole.OWNER and not organisation.memberships.filter(
            role=MemberRole.OWNER
        ).exclude(pk=locked.pk).exists():
            raise ActionError(_("An organisation needs at least one owner: make someone else owner first."))
        before = {"role": locked.role}
        locked.role = role
        locked.save(update_fields=["role"])
        audit.record("member.role_changed", actor=actor, target=locked, organisation=organisation,
                     before=before, after={"role": role})
    return locked


def set_signatory(membership: Membership, *, actor: User, value: bool) -> Membership:
    """An owner marks a member as authorised signatory (may sign agreements for the organisation), or not.
    Owners sign anyway; the flag matters for members."""
    organisation = membership.organisation
    with transaction.atomic():
        require_member(actor, organisation, owner=True)
        _lock(organisation)
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        before = {"is_signatory": locked.is_signatory}
        locked.is_signatory = bool(value)
        locked.save(update_fields=["is_signatory"])
        audit.record("member.signatory_changed", actor=actor, target=locked, organisation=organisation,
                     before=before, after={"is_signatory": locked.is_signatory, "email": locked.user.email})
    membership.is_signatory = locked.is_signatory
    return locked


# --- SME profile ------------------------------------------------------------------------
def save_sme_profile(
    organisation: Organisation,
    *,
    actor: User | None,
    industry: str,
    employees: int | None,
    annual_revenue_cny: int | None,
    total_assets_cny: int | None,
    operator: bool = False,
) -> SMEProfile:
    if organisation.kind != OrganisationKind.SME:
        raise ActionError(_("Only SMEs have a size profile."))
    try:
        size = sme.classify(industry, employees, annual_revenue_cny, total_assets_cny)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    with transaction.atomic():
        if not operator:
            require_member(actor, organisation, owner=True)
        _lock(organisation)
        profile = SMEProfile.objects.select_for_update().filter(organisation=organisation).first()
        fields = {
            "industry": industry,
            "employees": employees,
            "annual_revenue_cny": annual_revenue_cny,
            "total_assets_cny": total_assets_cny,
            "size_class": size,
        }
        before = {key: getattr(profile, key) for key in fields} if profile else {}
        if profile is None:
            profile = SMEProfile(organisation=organisation)
        for key, value in fields.items():
            setattr(profile, key, value)
        profile.save()
        audit.record("organisation.sme_profile_saved", actor=actor, target=profile, organisation=organisation,
                     before=before, after=fields)
    return profile
