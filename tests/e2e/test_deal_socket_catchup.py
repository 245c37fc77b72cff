"""The deal room's socket through a real Daphne (``daphne_server``) and a real WebSocket client: a client that
loses its connection and comes back with the last sequence number it saw first receives exactly what it
missed, in order (from the database), then live events again; people who are not parties are refused at the
handshake with code 4403, before any data."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from negotiations import actions
from tests.e2e.conftest import off_the_event_loop
from tests.negotiations.rooms import build_room, counter, session_cookie
from tests.wsclient import Closed, WebSocket

pytestmark = pytest.mark.django_db(transaction=True)


def run_client(scenario):
    """Run the asyncio ``scenario()`` in a thread of its own (Playwright may own this thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scenario()).result()


async def in_worker(function, *args, **kwargs):
    return await asyncio.get_running_loop().run_in_executor(None, lambda: off_the_event_loop(function, *args,
                                                                                            **kwargs))


async def drain(socket: WebSocket) -> list[dict]:
    messages = []
    while True:
        try:
            messages.append(await socket.receive_json(timeout=0.5))
        except asyncio.TimeoutError:
            return messages


def test_a_reconnecting_client_catches_up_through_daphne(daphne_server, make_org, make_user, owner, outsider,
                                                         monkeypatch):
    monkeypatch.setattr("listings.search.update_listings", lambda ids: None)
    room = off_the_event_loop(build_room, make_org, make_user, owner)
    cookies = {"licensor": session_cookie(room.licensor_user), "outsider": session_cookie(outsider)}
    host, port, path = daphne_server.host, daphne_server.port, f"/ws/deals/{room.deal.pk}/"
    origin = f"http://{host}:{port}"

    async def connect(who, after=None):
        socket = await WebSocket.connect(host, port, path, cookie=cookies.get(who, ""), origin=origin)
        if after is not None:
            await socket.send_json({"type": "resume", "after": after})
        return socket

    async def scenario():
        refused = []
        for who in ("outsider", "anonymous"):
            socket = await WebSocket.connect(host, port, path, cookie=cookies.get(who, ""), origin=origin)
            try:
                await socket.receive_json(timeout=5)
            except Closed as closed:
                refused.append(closed.code)
        first = await connect("licensor", after=0)
        history = await drain(first)
        await in_worker(counter, room.deal, room.buyer, lump_sum=4_600_000)
        live = await first.receive_json(timeout=5)
        await first.close()  # the connection drops; meanwhile the buyer moves twice
        await in_worker(counter, room.deal, room.buyer, lump_sum=4_400_000)
        await in_worker(actions.withdraw_offer, room.deal, actor=room.buyer, version=3)
        second = await connect("licensor", after=live["seq"])
        missed = await drain(second)
        await in_worker(counter, room.deal, room.licensor_user, lump_sum=4_500_000)
        after_catch_up = await second.receive_json(timeout=5)
        await second.close()
        return refused, history, live, missed, after_catch_up

    refused, history, live, missed, after_catch_up = run_client(scenario)
    assert refused == [4403, 4403]  # closed with the code, before any data
    assert [m["seq"] for m in history] == list(range(1, len(history) + 1))
    assert history[0]["event"] == "deal.offer_created" and history[0]["payload"]["version"] == 1
    assert (live["event"], live["seq"], live["payload"]["version"]) == ("deal.offer_created", len(history) + 1, 2)
    assert [(m["event"], m["seq"], m["payload"]["version"]) for m in missed] == [
        ("deal.offer_created", live["seq"] + 1, 3), ("deal.offer_withdrawn", live["seq"] + 2, 3)]
    assert (after_catch_up["seq"], after_catch_up["payload"]["side"]) == (live["seq"] + 3, "licensor")
