"""Live events sent to browsers over WebSocket, always after the transaction commits.

Every event type declares its shape here; ``send_on_commit`` refuses an event whose payload does
not match, so consumers and pages can rely on the keys. Groups: ``user.<id>`` for one person,
``deal.<id>`` for the members of a deal's two parties connected to its room.
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
    # Deal rooms (negotiations), sent to ``deal.<id>`` with the deal's next sequence number (``send_deal_on_commit``).
    # Texts are not sent: the room fetches its fragments, rendered in each reader's language. ``side`` is the
    # side that acted (licensor/licensee), ``state`` the deal's state after the event.
    "deal.offer_created": frozenset({"version", "side", "state", "offer"}),
    "deal.offer_accepted": frozenset({"version", "side", "state", "offer"}),
    "deal.offer_withdrawn": frozenset({"version", "side", "state", "offer"}),
    "deal.offer_expired": frozenset({"version", "state", "offer"}),
    "deal.message_created": frozenset({"message", "side", "attachments"}),
    "deal.message_updated": frozenset({"message", "side", "deleted"}),
    "deal.status_changed": frozenset({"state", "previous", "side"}),
    # Another deal on the listing took an exclusive licence for a territory that overlaps this deal's offers.
    "deal.exclusivity_taken": frozenset({"listing", "licence_kind", "territory"}),
    # The deal's licence agreement (negotiations.actions.agreements): a version was produced, failed, completed,
    # superseded or voided (``status`` the agreement's, ``state`` the deal's after it) …
    "deal.agreement_changed": frozenset({"agreement", "version", "status", "state"}),
    # … or one side signed it (``side``); the room refreshes its agreement panel.
    "deal.agreement_signed": frozenset({"agreement", "version", "side"}),
}
# Event types a deal room receives, in the order they are declared above.
DEAL_EVENT_TYPES = tuple(name for name in EVENT_SHAPES if name.startswith("deal."))


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def deal_group(deal_id: int) -> str:
    return f"deal.{deal_id}"


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


def check_shape(event_type: str, payload: dict) -> None:
    """Raise ``ValueError`` unless ``payload`` has exactly the keys declared for ``event_type``."""
    _check_shape(event_type, payload)


def _send_deal(deal_id: int, seq: int, event_type: str, payload: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(deal_group(deal_id), {
        "type": "relay.deal_event", "event": event_type, "seq": seq, "deal": deal_id, "payload": payload})


def send_deal_on_commit(deal_id: int, seq: int, event_type: str, payload: dict) -> None:
    """A deal room event with its sequence number (stored by the caller in the same transaction, so a
    reconnecting client can replay it), sent to ``deal.<id>`` once the transaction commits."""
    if not event_type.startswith("deal."):
        raise ValueError(f"{event_type!r} is not a deal event")
    _check_shape(event_type, payload)
    transaction.on_commit(partial(_send_deal, deal_id, seq, event_type, dict(payload)))
