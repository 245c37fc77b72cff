"""Human labels for the audit log's action codes (``AuditEntry.action``, e.g. ``need.suggestions_added``).

Pages never show the raw codes: the activity log prints ``label(code)``, in the reader's language. Each app
registers the labels of the codes its actions write, from its ``AppConfig.ready`` (a lower layer does not
know a higher one's codes):

    activity.register({"need.created": _("Need created"), ...})   # gettext_lazy labels
    activity.label("need.created")  -> "Need created" / "需求已创建"
    activity.known_codes()          -> every registered code (tests check each written code has one)
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

_LABELS: dict[str, object] = {}


def register(labels: dict[str, object]) -> None:
    """Add ``code -> label`` pairs (labels are lazy translations)."""
    for code in labels:
        if "." not in code:
            raise ValueError(f"audit action codes are dotted, got {code!r}")
    _LABELS.update(labels)


def label(code: str) -> str:
    """The code's label in the active language; an unregistered code gets a neutral label (never the code)."""
    found = _LABELS.get(code)
    return str(found) if found is not None else _("Other change")


def known_codes() -> set[str]:
    return set(_LABELS)


MARKETPLACE_LABELS = {
    "user.signed_up": gettext_lazy("Signed up"),
    "user.created": gettext_lazy("Account created"),
    "user.email_verified": gettext_lazy("Email address confirmed"),
    "user.profile_updated": gettext_lazy("Profile updated"),
    "organisation.created": gettext_lazy("Organisation created"),
    "organisation.updated": gettext_lazy("Organisation details changed"),
    "organisation.verified": gettext_lazy("Organisation verified"),
    "organisation.rejected": gettext_lazy("Verification refused"),
    "organisation.resubmitted": gettext_lazy("Verification requested again"),
    "organisation.reverification_requested": gettext_lazy("Sent back for re-verification after a change of identity"),
    "organisation.document_added": gettext_lazy("Verification document uploaded"),
    "organisation.document_removed": gettext_lazy("Verification document removed"),
    "organisation.demonstration_changed": gettext_lazy("Demonstration enterprise status changed"),
    "organisation.sme_profile_saved": gettext_lazy("SME size data saved"),
    "organisation.default_terms_saved": gettext_lazy("Default licence terms saved"),
    "member.invited": gettext_lazy("Member invited"),
    "member.added": gettext_lazy("Member added"),
    "member.joined": gettext_lazy("Member joined"),
    "member.invitation_revoked": gettext_lazy("Invitation withdrawn"),
    "member.removed": gettext_lazy("Member removed"),
    "member.role_changed": gettext_lazy("Member's role changed"),
    "member.signatory_changed": gettext_lazy("Authorised signatory changed"),
}
