"""What only verified organisations may do, and who hears about verification.

    require_verified(organisation, capability) -> None    raises ``NotAllowed`` with a message saying why
    blocked_reason(organisation, capability) -> str | None  the same message for a page (a notice, not a button)
    IDENTITY_FIELDS                                       changing one of these sends a verified organisation back
                                                          to pending (``actions.update_organisation``)
    notify_decision(organisation, status, note)           in-app notifications of a staff decision to members
    notify_reverification(organisation, changes)          staff and members hear that it waits for staff again

Capabilities (``VerifiedOnly``) are the things a later issue guards by calling ``require_verified`` in its action
(and ``blocked_reason`` in its view): requesting licences today; opening deals, claiming donations and signing
when negotiations arrive. Pages link the notice to the organisation's verification page
(``organisation_verification``), where owners see what staff need and upload documents.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace import uscc, wording
from marketplace.actions import ActionError, NotAllowed
from marketplace.models import Organisation, User, VerificationStatus

IDENTITY_FIELDS = ("name", "kind", "credit_code", "registration_number")


class VerifiedOnly(models.TextChoices):
    REQUEST_LICENCE = "request_licence", gettext_lazy("Only verified organisations can request licences.")
    OPEN_DEAL = "open_deal", gettext_lazy("Only verified organisations can open deals.")
    CLAIM_DONATION = "claim_donation", gettext_lazy("Only verified organisations can claim donated licences.")
    SIGN = "sign", gettext_lazy("Only verified organisations can sign deals.")


def _status_sentence(organisation: Organisation) -> str:
    if organisation.is_reverification_pending:
        return _("%(org)s changed its name, kind or registration code and is waiting to be verified again.") % {
            "org": organisation.name}
    if organisation.verification_status == VerificationStatus.REJECTED:
        return _("%(org)s was refused verification by platform staff.") % {"org": organisation.name}
    return _("%(org)s is not verified yet.") % {"org": organisation.name}


def blocked_reason(organisation: Organisation | None, capability: str) -> str | None:
    """Why the organisation may not do ``capability`` now (``None``: it may)."""
    capability = VerifiedOnly(capability)
    if organisation is None or organisation.is_verified:
        return None
    return f"{_status_sentence(organisation)} {capability.label}"


def require_verified(organisation: Organisation, capability: str) -> None:
    """The guard of every action that only verified organisations may take. Call it inside the action's
    transaction, on the row it locked, so a revocation that committed first is seen."""
    reason = blocked_reason(organisation, capability)
    if reason:
        raise NotAllowed(reason)


def clean_codes(credit_code: str, registration_number: str, *, exclude_pk=None) -> tuple[str, str]:
    """The unified social credit code normalised and checked (GB 32100-2015), and unique among organisations."""
    code = uscc.normalise(credit_code)
    if code:
        message = uscc.problem(code)
        if message:
            raise ActionError(_("Unified social credit code “%(code)s”: %(problem)s") % {"code": code,
                                                                                      "problem": message})
        if Organisation.objects.filter(credit_code=code).exclude(pk=exclude_pk).exists():
            raise ActionError(_("Another organisation is already registered with the unified social credit code "
                                "%(code)s. If it is yours, ask platform staff.") % {"code": code})
    return code, (registration_number or "").strip()


def verification_url(organisation: Organisation) -> str:
    return reverse("organisation_verification", args=[organisation.slug])


# --- notifications ---------------------------------------------------------------------------------
def _members(organisation: Organisation) -> list[User]:
    return [m.user for m in organisation.memberships.select_related("user") if m.user.is_active]


def notify_decision(organisation: Organisation, status: str, note: str, *, emailed_separately: bool) -> None:
    """Each member gets a notification of the staff decision, written in the member's language."""
    from marketplace import notifications

    url = verification_url(organisation)
    built = []
    for user in _members(organisation):
        with wording.in_language_of(user):
            if status == VerificationStatus.VERIFIED:
                title = _("%(org)s is verified") % {"org": organisation.name}
                body = _("%(org)s passed verification by platform staff.") % {"org": organisation.name}
            elif status == VerificationStatus.REJECTED:
                title = _("Verification of %(org)s was refused") % {"org": organisation.name}
                body = _("Reason: %(reason)s") % {"reason": note}
            else:
                title = _("%(org)s is waiting for verification") % {"org": organisation.name}
                body = ""
            if note and status == VerificationStatus.VERIFIED:
                body = f"{body} {note}"
        built.append(notifications.build(user, "organisation.verification_decided", title, body, url,
                                         organisation=organisation, emailed_separately=emailed_separately,
                                         data={"status": str(status)}))
    notifications.deliver(built)


def _field_label(field: str) -> str:
    return str(Organisation._meta.get_field(field).verbose_name)


def notify_reverification(organisation: Organisation, changes: dict) -> None:
    """Staff: an organisation they verified changed who it says it is. Members: why they are pending again."""
    from marketplace import notifications

    url = verification_url(organisation)
    built = []
    staff = User.objects.filter(is_staff=True, is_active=True).order_by("pk")
    for user in staff:
        with wording.in_language_of(user):
            fields = wording.enumeration(_field_label(f) for f in changes)
            title = _("%(org)s needs verifying again") % {"org": organisation.name}
            body = _("A verified organisation changed its %(fields)s. Its published listings stay public, marked "
                     "“re-verification pending”, until you decide.") % {"fields": fields}
        built.append(notifications.build(user, "organisation.reverification_requested", title, body,
                                         url, organisation=organisation, data={"changes": changes}))
    for user in _members(organisation):
        with wording.in_language_of(user):
            title = _("%(org)s is waiting to be verified again") % {"org": organisation.name}
            body = _("Its name, kind or registration code changed, so platform staff verify it again. Until then "
                     "your published listings stay public, marked “re-verification pending”, and you cannot "
                     "request licences or publish new listings.")
        built.append(notifications.build(user, "organisation.reverification_requested", title, body, url,
                                         organisation=organisation, data={"changes": changes}))
    notifications.deliver(built)
