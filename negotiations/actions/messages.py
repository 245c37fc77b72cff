"""Messages and attachments in a deal room."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import audit, throttle
from marketplace.actions import ActionError, NotAllowed
from negotiations import presence
from negotiations.models import Attachment, Deal, DealState, Message
from negotiations.actions.common import _emit, _lock, _members, _notify, _save, require_party

log = logging.getLogger(__name__)


# --- messages -------------------------------------------------------------------------------------
def _rate_limited(actor) -> bool:
    return not throttle.allow("deal_messages", str(actor.pk), throttle.Limit(*settings.DEAL_MESSAGE_RATE))


def _write_message(deal: Deal, *, actor, side: str, body: str, checked_files) -> Message:
    message = Message.objects.create(deal=deal, author=actor, side=side, body=body)
    for uploaded, checked in checked_files:
        attachment = Attachment(deal=deal, message=message, uploaded_by=actor, original_name=uploaded.name[:255],
                                content_type=checked.content_type, extension=checked.extension,
                                size=checked.size, sha256=checked.sha256)
        uploaded.seek(0)
        attachment.file.save(uploaded.name, uploaded, save=False)
        attachment.save()
    audit.record("deal_message.posted", actor=actor, target=deal, organisation=deal.organisation_of(side),
                 after={"message": message.pk, "attachments": len(checked_files)})
    _emit(deal, "deal.message_created", message=message.pk, side=side, attachments=len(checked_files))
    return message


def _require_open_room(deal: Deal) -> None:
    """Negotiating, agreed, signing or awaiting payment; and whatever the state while a dispute is unresolved
    (both sides answer the mediator in the room)."""
    if not deal.is_active and not deal.disputed:
        raise ActionError(_("This deal is %(state)s; its room is read-only.")
                          % {"state": deal.get_state_display().lower()})


def post_message(deal: Deal, *, actor, body: str, files=()) -> Message:
    """A message to the other side, with optional attachments (each checked before anything is stored)."""
    from negotiations.uploads import check_attachment

    side = require_party(actor, deal)
    body = (body or "").strip()
    files = list(files or ())
    if not body and not files:
        raise ValidationError({"body": _("Write a message or attach a file.")})
    if len(body) > settings.DEAL_MESSAGE_MAX_CHARS:
        raise ValidationError({"body": _("A message can be at most %(n)s characters (this one has %(len)s).")
                               % {"n": settings.DEAL_MESSAGE_MAX_CHARS, "len": len(body)}})
    checked = []
    for uploaded in files:
        try:
            checked.append((uploaded, check_attachment(uploaded)))
        except ValidationError as exc:
            raise ValidationError({"attachments": [f"{uploaded.name}: {m}" for m in exc.messages]}) from None
    _require_open_room(deal)
    if _rate_limited(actor):
        raise ActionError(_("You are sending messages too fast. Please wait a minute and try again."))
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            locked = _lock(deal)
            _require_open_room(locked)
            message = _write_message(locked, actor=actor, side=side, body=body, checked_files=checked)
            stored = list(message.attachments.all())
            _save(locked)
            others = {u.pk for u, _org in _members(locked.licensor, locked.licensee, exclude=actor)}
            absent = others - presence.present_user_ids(locked.pk, others)
            _notify(locked, "deal.message", side=side, actor=actor, only=absent,
                    excerpt=body[:200] or _attachment_names(checked), message=message.pk)
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return message


def _attachment_names(checked) -> str:
    return ", ".join(uploaded.name for uploaded, _c in checked)


def messages_frozen(deal: Deal) -> bool:
    """Messages stay as written once the deal has a dispute (resolved or not: they are the evidence the
    mediator reads) or no longer negotiates."""
    return deal.state != DealState.NEGOTIATING or deal.disputed or deal.disputes.exists()


def _lock_message(message: Message, actor) -> Message:
    locked = Message.objects.select_for_update().select_related("deal").get(pk=message.pk)
    require_party(actor, locked.deal)
    if locked.author_id != getattr(actor, "pk", None):
        raise NotAllowed(_("Only the author can change a message."))
    if locked.is_deleted:
        raise ActionError(_("This message was deleted."))
    if locked.deal.disputed or locked.deal.disputes.exists():
        raise ActionError(_("This deal has a dispute: its messages are the record the mediator reads, so they "
                            "can no longer be edited or deleted."))
    if locked.deal.state != DealState.NEGOTIATING:
        raise ActionError(_("The negotiation is over: its messages can no longer be edited or deleted."))
    return locked


def edit_message(message: Message, *, actor, body: str) -> Message:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("A message cannot be empty; delete it instead.")})
    if len(body) > settings.DEAL_MESSAGE_MAX_CHARS:
        raise ValidationError({"body": _("A message can be at most %(n)s characters.")
                               % {"n": settings.DEAL_MESSAGE_MAX_CHARS}})
    with transaction.atomic():
        locked = _lock_message(message, actor)
        if timezone.now() > locked.editable_until():
            raise ActionError(_("A message can be edited for 5 minutes after it is sent."))
        before = locked.body
        locked.body, locked.edited_at = body, timezone.now()
        locked.save(update_fields=["body", "edited_at"])
        deal = _lock(locked.deal)
        audit.record("deal_message.edited", actor=actor, target=deal, organisation=deal.organisation_of(locked.side),
                     before={"message": locked.pk, "length": len(before)}, after={"length": len(body)})
        _emit(deal, "deal.message_updated", message=locked.pk, side=locked.side, deleted=False)
    return locked


def delete_message(message: Message, *, actor) -> Message:
    """The author deletes a message: its text and attachments go; a "deleted" marker stays in the thread."""
    with transaction.atomic():
        locked = _lock_message(message, actor)
        attachments = list(locked.attachments.all())
        locked.body, locked.deleted_at = "", timezone.now()
        locked.save(update_fields=["body", "deleted_at"])
        for attachment in attachments:
            transaction.on_commit(lambda f=attachment.file: f.delete(save=False))
        locked.attachments.all().delete()
        deal = _lock(locked.deal)
        audit.record("deal_message.deleted", actor=actor, target=deal, organisation=deal.organisation_of(locked.side),
                     after={"message": locked.pk, "attachments": len(attachments)})
        _emit(deal, "deal.message_updated", message=locked.pk, side=locked.side, deleted=True)
    return locked
