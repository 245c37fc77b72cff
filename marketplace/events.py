"""Live events sent to browsers over WebSocket, always after the transaction commits.

Every event type declares its shape here; ``send_on_commit`` refuses an event whose payload does
not match, so consumers and pages can rely on the keys. Groups: ``user.<id>`` for one person.
"""

from __future__ import annotations

from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# event type -> the payload keys it must carry (and nothing else)
EVENT_SHAPES: dict[str, frozenset[str]] = {
    "organisation.verification_changed": frozenset({"organisation", "slug", "status", "status_label", "message"}),
    # A new notification for the user (marketplace.notifications): its id, dotted kind, title and text (in the
    # recipient's language), the link that opens it (and marks it read), and the user's unread count now.
    "notification.created": frozenset({"id", "kind", "title", "body", "url", "unread"}),
}


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def _check_shape(event_type: str, payload: dict) -> None:
    if event_type not in EVENT_SHAPES:
        raise ValueError(f"undeclared event type {event_type!r}; declare it in marketplace.events.EVENT_SHAPES")
    expected = EVENT_SHAPES[event_type]
    if set(payload) != expected:
        raise ValueError(f"event {event_type!r} must carry exactly {sorted(expected)}, got {sorted(payload)}")


def _send(groups: list[str], event_type: str, payload: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "relay.event", "event": event_type, "payload": payload}
    for group in groups:
        async_to_sync(layer.group_send)(group, message)


def send_on_commit(groups: list[str], event_type: str, **payload) -> None:
    _check_shape(event_type, payload)
    transaction.on_commit(partial(_send, list(groups), event_type, payload))
