"""Deal notifications: their texts, rebuilt from the stored ``data`` in the reader's language.

Registered with ``marketplace.notifications.register_renderer`` when this module is imported (from
``NegotiationsConfig.ready``). ``data`` holds language-neutral values only (``actions._notice_data``):
names and titles as their owners wrote them, codes for kinds and states.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from marketplace import notifications

KINDS = ("deal.opened", "deal.offer", "deal.accepted", "deal.offer_withdrawn", "deal.offer_expired",
         "deal.ended", "deal.message", "deal.exclusivity", "deal.agreement_ready", "deal.agreement_signed",
         "deal.agreement_completed", "deal.completed", "deal.open_licence_accepted", "deal.donation_claimed")


def _state_label(code: str) -> str:
    from negotiations.models import DealState

    return str(DealState(code).label) if code in DealState.values else code


def _places(data: dict) -> str:
    from negotiations import territories

    return territories.display(data.get("territory") or []) or data.get("places") or ""


def _changed_text(fields: list[str]) -> str:
    from marketplace.wording import enumeration
    from negotiations.terms import label

    labels = [label(name) for name in fields if name]
    return _("Changed: %(fields)s.") % {"fields": enumeration(labels)} if labels else ""


def render(kind: str, data: dict) -> dict:
    names = {"listing": data["listing_title"], "licensor": data["licensor_name"],
             "licensee": data["licensee_name"], "actor": data.get("actor_org") or "",
             "version": data.get("version") or ""}
    if kind == "deal.opened":
        title = _("%(actor)s opened a deal room for “%(listing)s”") % names
        body = _("Version 1 of the term sheet is waiting for your answer.")
    elif kind == "deal.offer":
        title = _("%(actor)s proposed version %(version)s of the terms for “%(listing)s”") % names
        body = _changed_text(data.get("changed_fields") or [])
    elif kind == "deal.accepted":
        title = _("Agreed: %(actor)s accepted version %(version)s for “%(listing)s”") % names
        body = _("The licence terms are agreed; the agreement comes next.")
    elif kind == "deal.offer_withdrawn":
        title = _("%(actor)s withdrew version %(version)s of the terms for “%(listing)s”") % names
        body = _("Either side may now propose new terms.")
    elif kind == "deal.offer_expired":
        title = _("Version %(version)s of the terms for “%(listing)s” expired unanswered") % names
        body = _("Either side may now propose new terms.")
    elif kind == "deal.ended":
        title = _("The deal for “%(listing)s” is %(state)s") % {**names, "state": _state_label(data["state"])}
        body = data.get("reason") or ""
    elif kind == "deal.message":
        title = _("New message from %(actor)s about “%(listing)s”") % names
        body = data.get("excerpt") or ""
    elif kind == "deal.exclusivity":
        title = _("“%(listing)s” is now licensed exclusively in part of your territory") % names
        body = _("Another licensee agreed an exclusive licence covering %(places)s. An exclusive or overlapping "
                 "licence there can no longer be agreed.") % {"places": _places(data)}
    elif kind == "deal.open_licence_accepted":
        title = _("%(licensee)s accepted the open licence of “%(listing)s”") % names
        body = _("The licence agreement is signed on your published terms; it is in the deal.")
    elif kind == "deal.donation_claimed":
        title = _("%(licensee)s claimed a donated licence of “%(listing)s”") % names
        body = _("Place %(place)s of %(quota)s is claimed; the signed agreement is in the deal.") % {
            "place": data.get("place") or "", "quota": data.get("quota") or ""}
    elif kind == "deal.agreement_ready":
        title = _("The licence agreement for “%(listing)s” is ready to sign") % names
        body = _("Agreement %(reference)s between %(licensor)s and %(licensee)s waits for the signature of each "
                 "party's authorised signatory.") % {**names, "reference": data.get("reference") or ""}
    elif kind == "deal.agreement_signed":
        title = _("%(actor)s signed the licence agreement for “%(listing)s”") % names
        body = _("Agreement %(reference)s now waits for your side's signature.") % {
            "reference": data.get("reference") or ""}
    elif kind == "deal.agreement_completed":
        title = _("The licence agreement for “%(listing)s” is signed by both parties") % names
        body = _("Agreement %(reference)s is complete: download the signed PDF from the deal room.") % {
            "reference": data.get("reference") or ""}
        if data.get("state") == "awaiting_payment":
            body += " " + _("The licence fee is now due.")
    elif kind == "deal.completed":
        title = _("The deal for “%(listing)s” is completed") % names
        body = _("The licence is granted.")
    else:
        raise ValueError(f"not a deal notification: {kind!r}")
    return {"title": title, "body": body}


for _kind in KINDS:
    notifications.register_renderer(_kind, lambda data, kind=_kind: render(kind, data))
