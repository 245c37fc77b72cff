"""Every state change of needs, suggestions and contact (licence) requests.

validate → lock (``select_for_update``) → change → audit entry. Views, API, commands and tasks call these.
Suggestion statuses walk ``SuggestionStatus.TRANSITIONS`` one step at a time with ``check_transition``:
``mark_contacted`` on a suggestion never viewed passes through ``viewed`` (both stamped), and asking for a
stage already reached is a no-op (a page shown twice is viewed once). Dismissed and licensed are final.

Contact requests (``request_licence``, ``reply_to_request``, ``decline_request``, ``withdraw_request``,
``close_request``) move by ``ContactRequestStatus.TRANSITIONS``; asking for a move twice raises
``IllegalTransition`` (a request is answered once). Each notifies the other party (``contact.*`` notifications).
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from listings import numbers
from listings.models import Currency, LicenceKind
from marketplace import audit, notifications, wording
from marketplace.actions import ActionError, NotAllowed, require_member
from marketplace.verification import VerifiedOnly, require_verified
from marketplace.models import Membership, Organisation, OrganisationKind, Province
from marketplace.states import IllegalTransition, check_transition  # noqa: F401 - re-exported
from matching import notification_texts
from matching.models import (
    FUNNEL,
    MAX_REPLY_CHARS,
    STAGE_TIMESTAMP,
    ContactRequest,
    ContactRequestStatus,
    Need,
    Suggestion,
    SuggestionStatus,
)

NEED_FIELDS = (
    "title", "description", "keywords", "ipc_codes", "budget_minor", "currency", "licence_kinds", "province",
    "free_or_donated_only",
)
MAX_IPC_CODES = 20
log = logging.getLogger(__name__)


# --- needs -----------------------------------------------------------------------------------
def clean_ipc_codes(codes) -> list[str]:
    """Normalised codes (subclass or full), duplicates dropped, order kept; ``ActionError`` for a bad one."""
    if isinstance(codes, str):
        codes = numbers.split_ipc_list(codes)
    out: list[str] = []
    for raw in codes or ():
        try:
            code = str(numbers.normalise_ipc(str(raw)))
        except ValueError as exc:
            raise ActionError(str(exc)) from None
        if code not in out:
            out.append(code)
    if len(out) > MAX_IPC_CODES:
        raise ActionError(_("State at most %(n)d IPC codes.") % {"n": MAX_IPC_CODES})
    return out


def _clean(fields: dict) -> dict:
    unknown = set(fields) - set(NEED_FIELDS)
    if unknown:
        raise ValueError(f"unknown need fields: {', '.join(sorted(unknown))}")
    out = dict(fields)
    for name in ("title", "description", "keywords"):
        if name in out:
            out[name] = (out[name] or "").strip()
    if "title" in out and not out["title"]:
        raise ActionError(_("A need needs a title."))
    if "ipc_codes" in out:
        out["ipc_codes"] = clean_ipc_codes(out["ipc_codes"])
    if "budget_minor" in out:
        budget = out["budget_minor"]
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 0):
            raise ActionError(_("The budget must be a whole number of at least 0 (in fen or cents)."))
    if "currency" in out and out["currency"] not in Currency.values:
        raise ActionError(_("Unknown currency “%(currency)s”.") % {"currency": out["currency"]})
    if "licence_kinds" in out:
        kinds = list(dict.fromkeys(str(k) for k in out["licence_kinds"] or ()))
        bad = [k for k in kinds if k not in LicenceKind.values]
        if bad:
            raise ActionError(_("Unknown licence kind “%(kind)s”.") % {"kind": bad[0]})
        out["licence_kinds"] = kinds
    if "province" in out:
        out["province"] = out["province"] or ""
        if out["province"] and out["province"] not in Province.values:
            raise ActionError(_("Unknown province “%(province)s”.") % {"province": out["province"]})
    if "free_or_donated_only" in out:
        out["free_or_donated_only"] = bool(out["free_or_donated_only"])
    return out


def _require_sme_member(actor, organisation: Organisation) -> None:
    require_member(actor, organisation)
    if organisation.kind != OrganisationKind.SME:
        raise NotAllowed(_("Only small and medium enterprises state needs."))


def create_need(organisation: Organisation, *, actor, **fields) -> Need:
    """A member of an SME states a need. Returns the (active) need."""
    fields = _clean({"description": "", "keywords": "", **fields})
    if "title" not in fields:
        raise ActionError(_("A need needs a title."))
    with transaction.atomic():
        _require_sme_member(actor, organisation)
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        need = Need(organisation=organisation, created_by=actor)
        for key, value in fields.items():
            setattr(need, key, value)
        need.save()
        audit.record("need.created", actor=actor, target=need, organisation=organisation, after=fields)
    return need


def update_need(need: Need, *, actor, **fields) -> Need:
    fields = _clean(fields)
    with transaction.atomic():
        _require_sme_member(actor, need.organisation)
        locked = Need.objects.select_for_update().get(pk=need.pk)
        if not locked.active:
            raise ActionError(_("This need is closed; state a new one."))
        changed = {k: v for k, v in fields.items() if getattr(locked, k) != v}
        before = {k: getattr(locked, k) for k in changed}
        for key, value in changed.items():
            setattr(locked, key, value)
        if changed.keys() & {"title", "description", "keywords", "ipc_codes"}:
            locked.ipc_feedback = []  # learnt from the old text: the next refresh learns them again
        if changed:
            locked.save()
            audit.record("need.updated", actor=actor, target=locked, organisation=locked.organisation,
                         before=before, after=changed)
    return locked


def deactivate_need(need: Need, *, actor) -> Need:
    """Close a need: no more suggestions for it (its suggestions stay, for the funnel)."""
    with transaction.atomic():
        _require_sme_member(actor, need.organisation)
        locked = Need.objects.select_for_update().get(pk=need.pk)
        if not locked.active:
            return locked
        locked.active = False
        locked.deactivated_at = timezone.now()
        locked.save(update_fields=["active", "deactivated_at", "updated_at"])
        audit.record("need.deactivated", actor=actor, target=locked, organisation=locked.organisation,
                     before={"active": True}, after={"active": False})
    return locked


# --- suggestions -----------------------------------------------------------------------------
def record_suggestions(need: Need, matches=None, *, limit: int = 10) -> list[Suggestion]:
    """Store the need's current matches as suggestions (system action, no actor).

    New listings become ``pushed`` suggestions; open ones get the new score and reasons; dismissed ones
    are never brought back (``match_need`` excludes them anyway). Without ``matches`` (a refresh: the need's
    own search runs) the need's other open suggestions are scored again too — after an edit of the need
    their reasons and ranks must be true — and the IPC fields inferred from the need's best matches are
    stored on it (``Need.ipc_feedback``, read by the fan-out of new listings). Returns the suggestions created."""
    from matching.scoring import rank_need, score_listings

    if not need.active:
        return []
    feedback = None
    if matches is None:
        ranking = rank_need(need, limit=limit)
        matches, feedback = list(ranking.matches), ranking.ipc_feedback
        found = {m.listing_id for m in matches}
        others = [lid for lid in need.suggestions.open().values_list("listing_id", flat=True) if lid not in found]
        matches += score_listings(ranking.profile, others).values() if others else []
    now = timezone.now()
    created = []
    with transaction.atomic():
        locked = Need.objects.select_for_update().get(pk=need.pk)
        if not locked.active:  # closed meanwhile
            return []
        existing = {s.listing_id: s for s in Suggestion.objects.select_for_update().filter(
            need=locked, listing_id__in=[m.listing_id for m in matches])}
        for match in matches:
            current = existing.get(match.listing_id)
            if current is None:
                created.append(Suggestion.objects.create(
                    need=locked, listing_id=match.listing_id, score=match.score, reasons=match.reasons,
                    reason_codes=match.reason_codes, pushed_at=now,
                ))
            elif current.status != SuggestionStatus.DISMISSED:
                current.score, current.reasons, current.reason_codes = match.score, match.reasons, match.reason_codes
                current.save(update_fields=["score", "reasons", "reason_codes", "updated_at"])
        locked.last_matched_at = now
        update = ["last_matched_at"]
        if feedback is not None and feedback != locked.ipc_feedback:
            locked.ipc_feedback = feedback
            update.append("ipc_feedback")
        locked.save(update_fields=update)
        if created:
            audit.record("need.suggestions_added", target=locked, organisation=locked.organisation,
                         after={"listings": [s.listing_id for s in created]})
    return created


def _lock_suggestion(suggestion: Suggestion, actor, operator: bool) -> Suggestion:
    locked = Suggestion.objects.select_for_update().select_related("need__organisation").get(pk=suggestion.pk)
    if not operator:
        require_member(actor, locked.need.organisation)
    return locked


def _move(suggestion: Suggestion, target: str, *, actor, operator: bool = False) -> Suggestion:
    with transaction.atomic():
        locked = _lock_suggestion(suggestion, actor, operator)
        current = locked.status
        if current == target:
            return locked  # a second click: nothing to do
        if current in FUNNEL and target in FUNNEL:
            if FUNNEL.index(current) >= FUNNEL.index(target):
                return locked  # already there (or further): nothing to do
            steps = list(FUNNEL[FUNNEL.index(current) + 1:FUNNEL.index(target) + 1])
        else:
            steps = [target]
        now = timezone.now()
        status = current
        update = ["status", "updated_at"]
        for step in steps:
            check_transition(SuggestionStatus, status, step, _("suggestion"))
            status = step
            stamp = STAGE_TIMESTAMP[step]
            if getattr(locked, stamp) is None:
                setattr(locked, stamp, now)
                update.append(stamp)
        locked.status = status
        if target == SuggestionStatus.DISMISSED and locked.saved:
            locked.saved = False
            update.append("saved")
        locked.save(update_fields=update)
        audit.record(f"suggestion.{target}", actor=actor, target=locked, organisation=locked.need.organisation,
                     before={"status": current}, after={"status": status, "listing": locked.listing_id})
    suggestion.status = locked.status
    return locked


def mark_viewed(suggestion: Suggestion, *, actor) -> Suggestion:
    return _move(suggestion, SuggestionStatus.VIEWED, actor=actor)


def mark_viewed_many(suggestions, *, actor) -> int:
    """A member of the SME saw these suggestions (its need's page): those still ``pushed`` become ``viewed`` in
    one transaction and one audit query; any moved meanwhile (a colleague dismissed it) is left as it is.
    Returns how many were marked."""
    ids = [s.pk for s in suggestions if s.status == SuggestionStatus.PUSHED]
    if not ids:
        return 0
    with transaction.atomic():
        locked = list(Suggestion.objects.select_for_update(of=("self",)).select_related("need__organisation", "listing")
                      .filter(pk__in=ids, status=SuggestionStatus.PUSHED).order_by("pk"))
        for organisation in {s.need.organisation for s in locked}:
            require_member(actor, organisation)
        now = timezone.now()
        for s in locked:
            check_transition(SuggestionStatus, s.status, SuggestionStatus.VIEWED, _("suggestion"))
            s.status, s.viewed_at = SuggestionStatus.VIEWED, now
        Suggestion.objects.filter(pk__in=[s.pk for s in locked]).update(
            status=SuggestionStatus.VIEWED, viewed_at=now, updated_at=now)
        by_org: dict = {}
        for s in locked:
            by_org.setdefault(s.need.organisation, []).append(
                (s, {"status": SuggestionStatus.PUSHED}, {"status": SuggestionStatus.VIEWED, "listing": s.listing_id}))
        for organisation, entries in by_org.items():
            audit.record_many("suggestion.viewed", entries, actor=actor, organisation=organisation)
    marked = {s.pk for s in locked}
    for s in suggestions:
        if s.pk in marked:
            s.status, s.viewed_at = SuggestionStatus.VIEWED, now
    return len(marked)


def mark_contacted(suggestion: Suggestion, *, actor) -> Suggestion:
    """The SME contacted the owner (negotiations calls this when a deal opens from a suggestion)."""
    return _move(suggestion, SuggestionStatus.CONTACTED, actor=actor)


def mark_licensed(suggestion: Suggestion, *, actor=None) -> Suggestion:
    """Called by negotiations when a deal from this suggestion completes (no membership check)."""
    return _move(suggestion, SuggestionStatus.LICENSED, actor=actor, operator=True)


def dismiss_suggestion(suggestion: Suggestion, *, actor) -> Suggestion:
    """Not interested: the listing is never suggested for this need again."""
    return _move(suggestion, SuggestionStatus.DISMISSED, actor=actor)


def save_suggestion(suggestion: Suggestion, *, actor, saved: bool = True) -> Suggestion:
    """Keep (or un-keep) a suggestion in the SME's list. Separate from the status."""
    with transaction.atomic():
        locked = _lock_suggestion(suggestion, actor, operator=False)
        if locked.status == SuggestionStatus.DISMISSED and saved:
            raise ActionError(_("A dismissed suggestion cannot be saved."))
        if locked.saved == saved:
            return locked
        locked.saved = saved
        locked.save(update_fields=["saved", "updated_at"])
        audit.record("suggestion.saved" if saved else "suggestion.unsaved", actor=actor, target=locked,
                     organisation=locked.need.organisation, before={"saved": not saved}, after={"saved": saved})
    suggestion.saved = locked.saved
    return locked


# --- contact requests ----------------------------------------------------------------------
# A licence request walks ``ContactRequestStatus.TRANSITIONS`` (see matching.models): the owner's members reply
# or decline, the SME's members withdraw, the owner (or negotiations, as operator) closes a replied request.
# Each action: validate → lock the request → check the transition → change → audit entry → notifications of the
# other party (rows in the transaction; live events and emails on commit, through ``marketplace.notifications``).
def _clean_text(text, *, required: bool, empty_message: str = "") -> str:
    text = (text or "").strip()
    if required and not text:
        raise ActionError(empty_message)
    if len(text) > MAX_REPLY_CHARS:
        raise ActionError(_("Write at most %(n)d characters.") % {"n": MAX_REPLY_CHARS})
    return text


def _request_label() -> str:
    return _("licence request")


def _active_members(organisation: Organisation, *, exclude=None) -> list:
    memberships = Membership.objects.filter(organisation=organisation, user__is_active=True).select_related("user")
    return [m.user for m in memberships if exclude is None or m.user_id != getattr(exclude, "pk", None)]


def owner_request_url(contact: ContactRequest) -> str:
    """The request in its owner's inbox."""
    return reverse("owner_request_detail", args=[contact.listing.owner.slug, contact.pk])


def sme_request_url(contact: ContactRequest) -> str:
    """The request on its need's page (the suggestion card carries ``id="contact-<pk>"``)."""
    return reverse("need_detail", args=[contact.need.organisation.slug, contact.need_id]) + f"#contact-{contact.pk}"


def request_licence(suggestion: Suggestion, *, actor, message: str) -> ContactRequest:
    """"Request licence" until negotiation exists: a contact request to the listing's owner.

    Validate → lock the suggestion → create the request and mark the suggestion contacted → audit → an in-app
    notification (``contact.requested``) for each of the owner's members; after the commit, the email to each
    of them (the notification is not emailed again). One active (open or replied) request per need and listing.
    """
    message = _clean_text(message, required=True, empty_message=_("Write a short message to the owner."))
    with transaction.atomic():
        locked = Suggestion.objects.select_for_update(of=("self",)).select_related(
            "need__organisation", "listing__owner").get(pk=suggestion.pk)
        require_member(actor, locked.need.organisation)
        require_verified(locked.need.organisation, VerifiedOnly.REQUEST_LICENCE)
        if locked.status == SuggestionStatus.DISMISSED:
            raise ActionError(_("This suggestion was dismissed."))
        if not locked.need.active:
            raise ActionError(_("This need is closed; state a new one."))
        if not locked.listing.is_browsable:
            raise ActionError(_("This listing is no longer offered."))
        if ContactRequest.objects.active().filter(need=locked.need, listing=locked.listing).exists():
            raise ActionError(_("You already asked the owner about this listing for this need."))
        contact = ContactRequest.objects.create(need=locked.need, listing=locked.listing, message=message,
                                                created_by=actor)
        mark_contacted(locked, actor=actor)  # checks membership; rolls the request back if refused
        audit.record("contact_request.created", actor=actor, target=contact, organisation=locked.need.organisation,
                     after={"listing": locked.listing_id, "need": locked.need_id})
        _notify_owner(contact, "contact.requested", actor=actor, emailed_separately=True)
        transaction.on_commit(partial(_send_contact_request, contact.pk))
    return contact


def _lock_contact(contact: ContactRequest) -> ContactRequest:
    return (ContactRequest.objects.select_for_update(of=("self",))
            .select_related("need__organisation", "listing__owner", "created_by")
            .get(pk=contact.pk))


def _move_request(contact: ContactRequest, target: str, *, actor, party: str | None, changes: dict,
                  audit_after: dict | None = None, guard=None) -> tuple[ContactRequest, str]:
    """Lock, check the actor's side (``party``: "owner", "sme", or None for an operator), the transition and
    ``guard(locked)`` (a rule of the action), apply ``changes`` and the status, write the audit entry.
    Returns (the locked request, the former status). Call inside a transaction."""
    locked = _lock_contact(contact)
    if party == "owner":
        require_member(actor, locked.listing.owner)
    elif party == "sme":
        require_member(actor, locked.need.organisation)
    before = locked.status
    check_transition(ContactRequestStatus, before, target, _request_label())
    if guard is not None:
        guard(locked)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.status = target
    locked.save(update_fields=["status", "updated_at", *changes])
    audit.record(f"contact_request.{target}", actor=actor, target=locked,
                 organisation=locked.listing.owner if party != "sme" else locked.need.organisation,
                 before={"status": before}, after={"status": target, **(audit_after or {})})
    contact.status = locked.status
    return locked, before


def reply_to_request(contact: ContactRequest, *, actor, message: str) -> ContactRequest:
    """A member of the listing's owner answers an open request. The SME's members get ``contact.replied``
    (with the reply, the replier's name and email address)."""
    message = _clean_text(message, required=True, empty_message=_("Write your reply to the enterprise."))
    with transaction.atomic():
        locked, _before = _move_request(contact, ContactRequestStatus.REPLIED, actor=actor, party="owner", changes={
            "reply": message, "replied_at": timezone.now(), "replied_by": actor,
        }, audit_after={"reply": message})
        _notify_sme(locked, "contact.replied", actor=actor)
    return locked


def decline_request(contact: ContactRequest, *, actor, reason: str = "") -> ContactRequest:
    """A member of the listing's owner says no (to an open or a replied request), optionally with a reason.
    The SME's members get ``contact.declined``; the SME may ask again later."""
    reason = _clean_text(reason, required=False)
    with transaction.atomic():
        locked, _before = _move_request(contact, ContactRequestStatus.DECLINED, actor=actor, party="owner", changes={
            "decline_reason": reason, "closed_at": timezone.now(), "closed_by": actor,
        }, audit_after={"reason": reason})
        _notify_sme(locked, "contact.declined", actor=actor)
    return locked


def withdraw_request(contact: ContactRequest, *, actor) -> ContactRequest:
    """A member of the SME takes an open or replied request back. The owner's members get ``contact.withdrawn``."""
    with transaction.atomic():
        locked, before = _move_request(contact, ContactRequestStatus.WITHDRAWN, actor=actor, party="sme", changes={
            "closed_at": timezone.now(), "closed_by": actor,
        })
        _notify_owner(locked, "contact.withdrawn", actor=actor)
    return locked


def close_request(contact: ContactRequest, *, actor=None, operator: bool = False) -> ContactRequest:
    """Done with a request. The owner's members close a replied request (the conversation went on elsewhere);
    an operator (negotiations, when a deal opens from the request) may also close an open one. No notification:
    the SME sees the status on its need's page."""
    def replied_first(locked):
        if not operator and locked.status == ContactRequestStatus.OPEN:
            raise ActionError(_("Reply to or decline this request first."))

    with transaction.atomic():
        locked, _before = _move_request(contact, ContactRequestStatus.CLOSED, actor=actor,
                                        party=None if operator else "owner", guard=replied_first,
                                        changes={"closed_at": timezone.now(), "closed_by": actor})
    return locked


def hand_over_request(contact: ContactRequest, *, url: str, actor=None) -> ContactRequest:
    """A higher app took the conversation over (negotiations opened a deal room from this request): remember
    where it goes on (``follow_up_url``, shown in the inbox and on the need's page) and close the request if it
    was still waiting. Call inside the caller's transaction; no notification (the caller tells the parties)."""
    with transaction.atomic():
        locked = _lock_contact(contact)
        if locked.is_active:
            locked, _before = _move_request(locked, ContactRequestStatus.CLOSED, actor=actor, party=None,
                                            changes={"closed_at": timezone.now(), "closed_by": actor})
        locked.follow_up_url = url[:300]
        locked.save(update_fields=["follow_up_url", "updated_at"])
    contact.status, contact.follow_up_url = locked.status, locked.follow_up_url
    return locked


# --- contact request notifications and email ---------------------------------------------
def _contact_data(contact: ContactRequest) -> dict:
    """What the notification emails need (language-neutral values; rendered text is added per recipient)."""
    replier = contact.replied_by
    return {
        "contact_id": contact.pk, "status": contact.status,
        "listing_id": contact.listing_id, "listing_title": contact.listing.title,
        "need_id": contact.need_id, "need_title": contact.need.title,
        "owner_name": contact.listing.owner.name, "sme_name": contact.need.organisation.name,
        "reply": contact.reply, "reason": contact.decline_reason, "message": contact.message,
        "replier_name": (replier.full_name or replier.email) if replier else "",
        "replier_email": replier.email if replier else "",
    }


def _notify(contact: ContactRequest, kind: str, organisation: Organisation, url: str, *, actor,
            emailed_separately: bool = False) -> None:
    """A ``contact.*`` notification for each active member of ``organisation`` but the actor, in their
    language: ``notification_texts.contact`` is the kind's registered renderer, so ``notifications.build``
    writes it in each recipient's language and it is rebuilt from ``data`` wherever it is shown."""
    data = _contact_data(contact)
    texts = notification_texts.contact(kind, data)  # a bad kind or incomplete data fails here, not in build
    batch = [notifications.build(user, kind, texts["title"], texts["body"], url, organisation=organisation,
                                 data=data, emailed_separately=emailed_separately)
             for user in _active_members(organisation, exclude=actor)]
    notifications.deliver(batch)


def _notify_owner(contact: ContactRequest, kind: str, *, actor, emailed_separately: bool = False) -> None:
    """``contact.requested`` / ``contact.withdrawn`` for the members of the listing's owner, linking to the
    request in the inbox."""
    _notify(contact, kind, contact.listing.owner, owner_request_url(contact), actor=actor,
            emailed_separately=emailed_separately)


def _notify_sme(contact: ContactRequest, kind: str, *, actor) -> None:
    """``contact.replied`` / ``contact.declined`` for the members of the SME (the requester among them), linking
    to the request on the need's page. Emailed per each one's preference."""
    _notify(contact, kind, contact.need.organisation, sme_request_url(contact), actor=actor)


def _send_contact_request(contact_id: int) -> int:
    """Email the listing owner's members about a new request, each in their language (on commit).

    Returns the number of messages sent; a failed send is logged (the request stands, and is in the inbox)."""
    contact = ContactRequest.objects.select_related("need__organisation", "listing__owner", "created_by") \
        .filter(pk=contact_id).first()
    if contact is None:
        return 0
    listing = contact.listing
    link = settings.SITE_URL + listing.get_absolute_url()
    inbox_link = settings.SITE_URL + owner_request_url(contact)
    sent = 0
    for user in _active_members(listing.owner, exclude=contact.created_by):
        if not user.email:
            continue
        context = {"contact": contact, "need": contact.need, "sme": contact.need.organisation, "listing": listing,
                   "requester": contact.created_by, "recipient": user, "link": link, "inbox_link": inbox_link,
                   "site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
        try:
            with wording.in_language_of(user):
                subject = " ".join(render_to_string("matching/email/contact_request_subject.txt", context).split())
                body = render_to_string("matching/email/contact_request.txt", context)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        except Exception:  # noqa: BLE001 - after the commit: log, do not fail the SME's request
            log.exception("could not email contact request %s to user %s", contact.pk, user.pk)
            continue
        sent += 1
    return sent
