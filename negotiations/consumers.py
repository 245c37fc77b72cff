"""The deal room's socket, ``ws/deals/<id>/``: live events of one deal to the members of its two parties.

Protocol (see ``static/js/dealroom.js``):

    server → client  {"event": type, "seq": n, "deal": id, "payload": {...}}   (``DealEvent.message()``)
                     {"type": "pong"}                 the answer to a ping (after any event it had missed)
    client → server  {"type": "resume", "after": n}   right after connecting: every event with seq > n is
                                                      replayed from the database, in order, then live ones
                     {"type": "ping"}                 every 30 s: presence is refreshed, "pong" answers

Who may join: a signed-in member of the deal's licensor or licensee organisation (``actions.side_of``), or
the assigned mediator of its unresolved (or latest) dispute (``mediation.mediated_by``; staff who are not the
mediator may not). A mediation note meant for one side is never sent to the other (``mediation.event_visible_to``):
its seq is skipped for them, live and in the replay.
Anyone else, and any unknown deal, is closed with code 4403 right after the handshake, before any data is
sent (the script then stops reconnecting). Access is checked again on every resume and ping: a person removed from the
organisation stops receiving events within a heartbeat (30 s), not only at the next connection.

Nothing is lost and each client sees sequence numbers in increasing order:

* the socket joins the deal's group *before* it reads the replay from the database, so an event committed
  meanwhile is either in the replay or arrives from the group (or both: duplicates are dropped by seq);
* live events that arrive before the first resume are held until the replay is done;
* a live event with a gap before it (two actions' on-commit sends may overtake each other across
  processes) first fills the gap from the database — its predecessors committed before it was numbered;
* a live event that never arrives (the pub/sub layer delivers at most once) is read from the database at
  the next heartbeat, within 30 s.

A consumer handles one message at a time (Channels dispatches them in turn), so a relay can never
interleave with a replay being sent.
"""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from marketplace.events import deal_group

FORBIDDEN = 4403  # not a party (or not signed in, or no such deal)
RESUME_EXPECTED = 4408  # too many live events held while waiting for the client's resume
MAX_HELD = 500  # live events held before the first resume


NO_ACCESS = "no access"


@database_sync_to_async
def _role(user, deal_id: int) -> str | None:
    """The side the user acts for, None for the deal's mediator, ``NO_ACCESS`` for anyone else."""
    from negotiations import mediation
    from negotiations.actions import side_of
    from negotiations.models import Deal

    if user is None or not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    deal = Deal.objects.filter(pk=deal_id).select_related("licensor", "licensee").first()
    if deal is None:
        return NO_ACCESS
    side = side_of(user, deal)
    if side is not None:
        return side
    return None if mediation.mediated_by(user, deal) is not None else NO_ACCESS


@database_sync_to_async
def _events(deal_id: int, after: int, before: int | None = None) -> list[dict]:
    from negotiations.models import DealEvent

    rows = DealEvent.objects.filter(deal_id=deal_id, seq__gt=after)
    if before is not None:
        rows = rows.filter(seq__lt=before)
    return [event.message() for event in rows.order_by("seq")]


@database_sync_to_async
def _present(deal_id: int, user_id: int, present: bool) -> None:
    from negotiations import presence

    (presence.mark_present if present else presence.mark_absent)(deal_id, user_id)


def _seq(value) -> int | None:
    """A sequence number from the client: a non-negative int (not a bool, a string or a float)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


class DealRoomConsumer(AsyncJsonWebsocketConsumer):
    deal_id: int
    user_id: int | None = None
    group: str | None = None

    async def connect(self):
        self.deal_id = int(self.scope["url_route"]["kwargs"]["deal_id"])
        self.last_seq = None  # the last seq sent to this client; None until the first resume
        self.held: list[dict] = []
        self.closing = False
        user = self.scope.get("user")
        self.side = await _role(user, self.deal_id)
        if self.side == NO_ACCESS:
            # Accepted only to say why, then closed at once, before anything is sent: a socket closed before
            # it is accepted reaches a browser as an HTTP 403 and code 1006, and the room's script could not
            # tell "not yours" (stop) from a dropped connection (reconnect).
            self.closing = True
            await self.accept()
            await self.close(code=FORBIDDEN)
            return
        self.user = user
        self.user_id = user.pk
        self.group = deal_group(self.deal_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await _present(self.deal_id, self.user_id, True)

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.user_id is not None:
            await _present(self.deal_id, self.user_id, False)

    async def _may_stay(self) -> bool:
        self.side = await _role(self.user, self.deal_id)
        return self.side != NO_ACCESS

    async def _forbid(self) -> None:
        self.closing = True
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None
        await self.close(code=FORBIDDEN)

    # --- client → server ------------------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.closing or not text_data:
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            return  # not JSON: ignored
        if isinstance(content, dict):
            await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type")
        if kind == "resume":
            after = _seq(content.get("after"))
            if after is not None:
                await self.resume(after)
        elif kind == "ping":
            if not await self._may_stay():
                await self._forbid()
                return
            await _present(self.deal_id, self.user_id, True)
            if self.last_seq is not None:
                # A live send can be lost (the pub/sub layer delivers at most once): each heartbeat also
                # sends what the database has beyond the last seq sent.
                for message in await _events(self.deal_id, self.last_seq):
                    await self._send_event(message)
            await self.send_json({"type": "pong"})

    async def resume(self, after: int) -> None:
        if not await self._may_stay():
            await self._forbid()
            return
        # A second resume (the client re-syncing) never goes backwards: what was sent stays sent.
        start = after if self.last_seq is None else max(after, self.last_seq)
        self.last_seq = start
        for message in await _events(self.deal_id, start):
            await self._send_event(message)
        held, self.held = self.held, []
        for message in held:
            await self._relay(message)

    # --- group → client -------------------------------------------------------------------------
    async def relay_deal_event(self, message):
        if self.closing:
            return
        event = {"event": message["event"], "seq": message["seq"], "deal": message["deal"],
                 "payload": message["payload"]}
        if self.last_seq is None:
            self.held.append(event)
            if len(self.held) > MAX_HELD:
                self.closing = True
                await self.close(code=RESUME_EXPECTED)
            return
        await self._relay(event)

    async def _relay(self, event: dict) -> None:
        seq = event["seq"]
        if seq <= self.last_seq:
            return  # already replayed (or sent): the client sees each seq once
        if seq > self.last_seq + 1:
            # An earlier event's send is late (or was lost): it is committed, so read it.
            for missed in await _events(self.deal_id, self.last_seq, before=seq):
                await self._send_event(missed)
        await self._send_event(event)

    async def _send_event(self, event: dict) -> None:
        from negotiations.mediation import event_visible_to

        if event["seq"] <= self.last_seq:
            return
        if event_visible_to(event, self.side):
            await self.send_json(event)
        self.last_seq = event["seq"]  # a note for the other side only: its seq passes, unseen
