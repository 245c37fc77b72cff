"""The deal room's socket in mediation: the assigned mediator joins and receives every event; a mediator not
assigned to the deal, and staff who are not its mediator, are closed with 4403; a note meant for one side never
reaches the other side's socket, live or in the replay."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from negotiations import actions
from tests.negotiations.mediators import assigned, mediation as med  # noqa: F401 - fixture
from tests.negotiations.parties import parties  # noqa: F401 - fixture
from tests.negotiations.test_consumer import join, receive_all, resumed, socket_headers

pytestmark = pytest.mark.django_db(transaction=True)  # events are sent on commit


@pytest.fixture(autouse=True)
def _no_search(monkeypatch):
    monkeypatch.setattr("listings.search.update_listings", lambda ids: None)


@pytest.fixture
def dispute(med):  # noqa: F811
    return assigned(med)


def _note(dispute, mediator, body, visibility):
    return actions.post_mediation_note(dispute, actor=mediator, body=body, visibility=visibility)


@pytest.mark.parametrize("who", ["other_mediator", "staff"])
def test_a_mediator_not_assigned_and_staff_not_mediating_get_4403(med, dispute, who):  # noqa: F811
    headers = socket_headers(getattr(med, who))

    async def scenario():
        communicator, _connected, _ = await join(med.deal.pk, headers)
        closed = await communicator.receive_output(timeout=5)
        await communicator.disconnect()
        return closed

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4403}


def test_the_mediator_sees_every_note_and_each_side_only_its_own(med, dispute):  # noqa: F811
    start = med.deal.__class__.objects.get(pk=med.deal.pk).last_seq
    sockets = {name: socket_headers(user) for name, user in (
        ("mediator", med.mediator), ("licensee", med.p.licensee_user), ("licensor", med.p.licensor_user))}

    async def scenario():
        joined = {}
        for name, headers in sockets.items():
            communicator, connected, _ = await join(med.deal.pk, headers, after=start)
            assert connected
            await resumed(communicator)
            joined[name] = communicator
        await sync_to_async(_note)(dispute, med.mediator, "For the licensor", "licensor")
        await sync_to_async(_note)(dispute, med.mediator, "For both", "both")
        seen = {name: await receive_all(c) for name, c in joined.items()}
        for communicator in joined.values():
            await communicator.disconnect()
        return seen

    seen = async_to_sync(scenario)()
    visibilities = {name: [m["payload"]["visibility"] for m in messages if m["event"] == "deal.mediation_note"]
                    for name, messages in seen.items()}
    assert visibilities == {"mediator": ["licensor", "both"], "licensor": ["licensor", "both"], "licensee": ["both"]}

    # A reconnecting licensee replays from the start: the licensor-only note is still not there.
    async def replay():
        communicator, _c, _ = await join(med.deal.pk, sockets["licensee"], after=0)
        messages = await receive_all(communicator)
        await communicator.disconnect()
        return messages

    replayed = async_to_sync(replay)()
    notes = [m["payload"]["visibility"] for m in replayed if m.get("event") == "deal.mediation_note"]
    assert notes == ["both"]
    assert "deal.dispute_raised" in {m["event"] for m in replayed}
    seqs = [m["seq"] for m in replayed]
    assert seqs == sorted(seqs) and len(seqs) == med.deal.__class__.objects.get(pk=med.deal.pk).last_seq - 1
