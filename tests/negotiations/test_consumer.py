"""The deal room's socket (``ws/deals/<id>/``) through the project's ASGI application: session cookie,
origin check, who may join, live events after commit, catch-up after a reconnect, and the shapes."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from marketplace import actions as org_actions
from marketplace.asgi import application
from marketplace.events import EVENT_SHAPES
from negotiations import actions
from negotiations.models import DealEvent
from tests.negotiations.rooms import build_room, counter, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)  # events are sent on commit


# --- fixtures ------------------------------------------------------------------------------------
@pytest.fixture
def room(make_org, make_user, owner, monkeypatch):
    monkeypatch.setattr("listings.search.update_listings", lambda ids: None)
    return build_room(make_org, make_user, owner)


def socket_headers(user=None) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", b"http://testserver")]
    if user is not None:
        headers.append((b"cookie", session_cookie(user).encode()))
    return headers


def assert_shape(message: dict, deal) -> None:
    assert set(message) == {"event", "seq", "deal", "payload"}
    assert message["deal"] == deal.pk
    assert set(message["payload"]) == EVENT_SHAPES[message["event"]]


async def join(deal_id: int, headers, *, after: int | None = None):
    communicator = WebsocketCommunicator(application, f"/ws/deals/{deal_id}/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    if connected and after is not None:
        await communicator.send_json_to({"type": "resume", "after": after})
    return communicator, connected, code


async def resumed(communicator) -> None:
    """Wait until the server has handled the resume (it answers a socket's messages in turn)."""
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}


async def receive_all(communicator, *, quiet=0.3) -> list[dict]:
    messages = []
    while not await communicator.receive_nothing(timeout=quiet):
        messages.append(await communicator.receive_json_from(timeout=5))
    return messages


# --- tests ---------------------------------------------------------------------------------------
def test_both_sides_and_a_colleague_see_a_counter_offer_live(room):
    licensor_headers, colleague_headers = socket_headers(room.licensor_user), socket_headers(room.colleague)
    start = room.deal.last_seq

    async def scenario():
        licensor, ok1, _ = await join(room.deal.pk, licensor_headers, after=start)
        colleague, ok2, _ = await join(room.deal.pk, colleague_headers, after=start)
        assert ok1 and ok2
        assert await licensor.receive_nothing(timeout=0.2)  # nothing missed, nothing sent
        # The licensor counters; then the buyer (the colleague's colleague) answers.
        await sync_to_async(counter)(room.deal, room.licensor_user, lump_sum=4_500_000)
        seen_by_colleague = [await colleague.receive_json_from(timeout=5)]
        await sync_to_async(counter)(room.deal, room.buyer, lump_sum=4_200_000)
        seen_by_colleague.append(await colleague.receive_json_from(timeout=5))
        seen_by_licensor = await receive_all(licensor)
        await licensor.disconnect()
        await colleague.disconnect()
        return seen_by_licensor, seen_by_colleague

    seen_by_licensor, seen_by_colleague = async_to_sync(scenario)()
    assert seen_by_licensor == seen_by_colleague
    assert [(m["event"], m["seq"], m["payload"]["version"], m["payload"]["side"]) for m in seen_by_colleague] == [
        ("deal.offer_created", start + 1, 2, "licensor"), ("deal.offer_created", start + 2, 3, "licensee")]
    for message in seen_by_colleague:
        assert_shape(message, room.deal)
        assert message == DealEvent.objects.get(deal=room.deal, seq=message["seq"]).message()


@pytest.mark.parametrize("who", ["outsider", "anonymous", "unknown deal"])
def test_only_parties_may_join(room, outsider, who):
    headers = socket_headers(None if who == "anonymous" else room.buyer if who == "unknown deal" else outsider)
    deal_id = room.deal.pk + 1000 if who == "unknown deal" else room.deal.pk

    async def scenario():
        communicator, connected, _subprotocol = await join(deal_id, headers)
        closed = await communicator.receive_output(timeout=5)  # the first thing after the handshake
        # Even if events happen, a refused socket is sent nothing.
        await sync_to_async(counter)(room.deal, room.licensor_user)
        nothing = await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return closed, nothing

    assert async_to_sync(scenario)() == ({"type": "websocket.close", "code": 4403}, True)


def test_a_member_removed_from_the_organisation_stops_at_the_next_heartbeat(room):
    headers = socket_headers(room.colleague)
    start = room.deal.last_seq

    async def scenario():
        communicator, connected, _ = await join(room.deal.pk, headers, after=start)
        await communicator.send_json_to({"type": "ping"})
        pong = await communicator.receive_json_from(timeout=5)
        membership = await sync_to_async(room.sme.memberships.get)(user=room.colleague)
        await sync_to_async(org_actions.remove_member)(membership, actor=room.buyer)
        await communicator.send_json_to({"type": "ping"})
        closed = await communicator.receive_output(timeout=5)
        await communicator.wait()
        return pong, closed

    pong, closed = async_to_sync(scenario)()
    assert pong == {"type": "pong"}
    assert closed == {"type": "websocket.close", "code": 4403}


def test_reconnecting_client_receives_exactly_what_it_missed_in_order(room):
    headers = socket_headers(room.licensor_user)
    start = room.deal.last_seq

    async def scenario():
        first, _, _ = await join(room.deal.pk, headers, after=0)
        replayed = await receive_all(first)  # the whole history: the deal opened with version 1
        await sync_to_async(counter)(room.deal, room.licensor_user, lump_sum=4_800_000)
        replayed += [await first.receive_json_from(timeout=5)]
        await first.disconnect()
        last = replayed[-1]["seq"]
        # While nobody of the licensor is connected: the buyer counters, then takes it back.
        await sync_to_async(counter)(room.deal, room.buyer, lump_sum=4_300_000)
        await sync_to_async(actions.withdraw_offer)(room.deal, actor=room.buyer, version=3)
        # Malformed messages are ignored, not fatal.
        second, _, _ = await join(room.deal.pk, headers)
        await second.send_to(text_data="{not json")
        await second.send_json_to({"type": "resume", "after": "3"})
        await second.send_json_to(["resume"])
        await second.send_json_to({"type": "resume", "after": last})
        missed = await receive_all(second)
        await second.disconnect()
        return replayed, last, missed

    replayed, last, missed = async_to_sync(scenario)()
    assert [m["seq"] for m in replayed] == list(range(1, last + 1)) and last == start + 1
    assert [(m["event"], m["seq"]) for m in missed] == [("deal.offer_created", last + 1),
                                                       ("deal.offer_withdrawn", last + 2)]
    assert [m["payload"]["version"] for m in missed] == [3, 3] and missed[1]["payload"]["side"] == "licensee"
    for message in replayed + missed:
        assert_shape(message, room.deal)


def test_a_rolled_back_action_sends_nothing(room):
    headers = socket_headers(room.licensor_user)
    start = room.deal.last_seq

    def stale_counter():
        with pytest.raises(actions.StaleVersion):
            counter(room.deal, room.buyer, expected_version=0)

    def failing_acceptance():
        with pytest.raises(RuntimeError), transaction.atomic():
            actions.accept_offer(room.deal, actor=room.licensor_user, version=1)
            raise RuntimeError("the request failed after the action")

    async def scenario():
        communicator, _, _ = await join(room.deal.pk, headers, after=start)
        await sync_to_async(stale_counter)()
        await sync_to_async(failing_acceptance)()
        nothing = await communicator.receive_nothing(timeout=0.5)
        # The next real move is numbered right after the last committed one.
        await sync_to_async(counter)(room.deal, room.licensor_user)
        message = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return nothing, message

    nothing, message = async_to_sync(scenario)()
    assert nothing is True
    assert message["seq"] == start + 1
    assert list(DealEvent.objects.filter(deal=room.deal).values_list("seq", flat=True)) == list(range(1, start + 2))


def test_a_late_live_event_is_filled_in_from_the_database_in_order(room):
    """Two actions' on-commit sends can overtake each other across processes: a client that gets seq n+2
    first still sees n+1 before it, once."""
    from channels.layers import get_channel_layer

    from marketplace.events import deal_group

    headers = socket_headers(room.buyer)
    start = room.deal.last_seq

    async def scenario():
        communicator, _, _ = await join(room.deal.pk, headers, after=start)
        await resumed(communicator)
        # Store two events without sending them (as if their sends were still on the way) …
        await sync_to_async(_store_unsent_offers)(room)
        events = await sync_to_async(lambda: [e.message() for e in DealEvent.objects.filter(
            deal=room.deal, seq__gt=start).order_by("seq")])()
        layer = get_channel_layer()
        # … then the later one arrives first, the earlier one after it.
        for event in (events[1], events[0]):
            await layer.group_send(deal_group(room.deal.pk), {"type": "relay.deal_event", **event})
        received = await receive_all(communicator)
        await communicator.disconnect()
        return events, received

    events, received = async_to_sync(scenario)()
    assert received == events and [m["seq"] for m in received] == [start + 1, start + 2]


def test_a_live_event_that_never_arrived_comes_with_the_next_heartbeat(room):
    from unittest import mock

    headers = socket_headers(room.colleague)
    start = room.deal.last_seq

    def counter_whose_send_is_lost():
        with mock.patch("marketplace.events._send_deal"):
            counter(room.deal, room.licensor_user, lump_sum=4_700_000)

    async def scenario():
        communicator, _, _ = await join(room.deal.pk, headers, after=start)
        await resumed(communicator)
        await sync_to_async(counter_whose_send_is_lost)()
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.send_json_to({"type": "ping"})
        received = [await communicator.receive_json_from(timeout=5), await communicator.receive_json_from(timeout=5)]
        await communicator.disconnect()
        return received

    event, pong = async_to_sync(scenario)()
    assert (event["event"], event["seq"], pong) == ("deal.offer_created", start + 1, {"type": "pong"})


def _store_unsent_offers(room):
    from unittest import mock

    with mock.patch("marketplace.events._send_deal"):
        counter(room.deal, room.licensor_user, lump_sum=4_700_000)
        counter(room.deal, room.buyer, lump_sum=4_400_000)


@pytest.mark.redis
def test_a_socket_idle_for_longer_than_redis_read_timeout_still_gets_events(room):
    """redis-py reads time out after 5 s by default; the core layer blocks 5 s on an idle channel."""
    import asyncio

    headers = socket_headers(room.buyer)
    start = room.deal.last_seq

    async def scenario():
        communicator, _, _ = await join(room.deal.pk, headers, after=start)
        await asyncio.sleep(6)
        await sync_to_async(counter)(room.deal, room.licensor_user)
        message = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return message

    assert async_to_sync(scenario)()["seq"] == start + 1


def test_a_new_message_is_notified_only_to_members_not_in_the_room(room):
    from marketplace.models import Notification

    headers = socket_headers(room.buyer)
    start = room.deal.last_seq

    async def scenario():
        communicator, _, _ = await join(room.deal.pk, headers, after=start)
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
        await sync_to_async(actions.post_message)(room.deal, actor=room.licensor_user, body="Is 45,000 fine?")
        message = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        await sync_to_async(actions.post_message)(room.deal, actor=room.licensor_user, body="Still there?")
        return message

    assert async_to_sync(scenario)()["event"] == "deal.message_created"
    notified = list(Notification.objects.filter(kind="deal.message").values_list("recipient__email", flat=True))
    # The buyer was in the room for the first message, not for the second; the colleague never was.
    assert sorted(notified) == ["buyer@example.com", "colleague@example.com", "colleague@example.com"]
