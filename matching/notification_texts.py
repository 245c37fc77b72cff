"""The texts of matching's notifications, rebuilt from their stored ``data`` in the active language.

Registered with ``marketplace.notifications.register_renderer`` in ``MatchingConfig.ready``, so a notification
is stored in its recipient's language (not the language of whoever triggered it) and shown in the reader's
language in the notification centre, emails and digests.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from matching.scoring import render_reasons


def new_listing(data: dict) -> dict:
    """``match.new_listing``: a published listing matches a need (data from ``push._notify_members``)."""
    codes = data.get("reason_codes")
    reasons = render_reasons(codes) if codes else [str(r) for r in data.get("reasons") or ()]
    return {
        "title": _("New listing matches your need “%(need)s”") % {"need": data["need_title"]},
        "body": "\n".join([data["listing_title"], *reasons]),
        "reasons": reasons,
    }


def contact(kind: str, data: dict) -> dict:
    """``contact.*``: a licence request moved (data from ``actions._contact_data``)."""
    names = {"sme": data["sme_name"], "owner": data["owner_name"], "listing": data["listing_title"]}
    if kind == "contact.requested":
        return {"title": _("%(sme)s asks for a licence: “%(listing)s”") % names, "body": data.get("message", "")}
    if kind == "contact.withdrawn":
        return {"title": _("%(sme)s withdrew its licence request for “%(listing)s”") % names,
                "body": _("Their need: %(need)s") % {"need": data["need_title"]}}
    if kind == "contact.replied":
        return {"title": _("%(owner)s replied to your licence request for “%(listing)s”") % names,
                "body": data.get("reply", "")}
    if kind == "contact.declined":
        return {"title": _("%(owner)s declined your licence request for “%(listing)s”") % names,
                "body": data.get("reason") or _("No reason was given.")}
    raise ValueError(f"not a contact notification: {kind!r}")


CONTACT_KINDS = ("contact.requested", "contact.withdrawn", "contact.replied", "contact.declined")


def register() -> None:
    from marketplace import notifications

    notifications.register_renderer("match.new_listing", new_listing)
    for kind in CONTACT_KINDS:
        notifications.register_renderer(kind, lambda data, kind=kind: contact(kind, data))
