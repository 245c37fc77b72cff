"""Deal room WebSocket benchmark: how soon the other side sees an offer. Daphne (a subprocess on a free
loopback port) with the Redis channel layer, 200 WebSocket clients across 100 deal rooms (one member of each
side per room); in each room the licensor makes a counter-offer through the real action
(``negotiations.actions.make_offer``, in this process, committing to the same database; its on-commit
``group_send`` goes through the same Redis) and the licensee's client is timed until the event arrives.
Beside it, in the same run and through the same sockets: the baseline, a bare ``channel_layer.group_send``
of an event of the same shape (what the action's on-commit send does, without the action). Both Redis
layers are measured — ``channels_redis.core.RedisChannelLayer`` and ``RedisPubSubChannelLayer`` — each with
its own Daphne.

    .venv/bin/python bench/deals_ws.py                       # 100 rooms, both layers
    .venv/bin/python bench/deals_ws.py --rooms 20 --layers pubsub
    .venv/bin/python bench/deals_ws.py --redis redis://127.0.0.1:6379/15

Data: its own SQLite file under var/bench/deals_ws/ (one institute, one listing and one SME per room; built
once through the actions, reused by later runs that need no more rooms; --fresh rebuilds it); Redis:
database 15 unless --redis (or BENCH_REDIS_URL) says otherwise. Without a reachable Redis it says so and
exits. Daphne's output goes to var/bench/deals_ws/daphne-<layer>.log. Targets: offer → counterparty p95 ≤
100 ms, and the action path at most 3× the bare baseline (p95).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.search import percentile  # noqa: E402

FIXTURE_VERSION = 1
P95_TARGET_MS = 100.0
RATIO_TARGET = 3.0
LAYERS = {"core": "channels_redis.core.RedisChannelLayer", "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer"}
VAR_DIR = BASE_DIR / "var" / "bench" / "deals_ws"


def django_env(redis_url: str, layer: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SEARCH_INDEX_DIR")}
    env.update(DEBUG="true", VAR_DIR=str(VAR_DIR), REDIS_URL=redis_url, CHANNEL_LAYER=layer, TASKS_MODE="eager",
               EMAIL_BACKEND="dummy", LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="marketplace.settings",
               ALLOWED_HOSTS="127.0.0.1")
    return env


def setup_django(redis_url: str) -> None:
    env = django_env(redis_url, "core")
    for name in ("DATABASE_URL", "SEARCH_INDEX_DIR"):
        os.environ.pop(name, None)
    os.environ.update(env)
    import django

    django.setup()


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


# --- fixture ---------------------------------------------------------------------------------------
def build_fixture(rooms: int) -> None:
    from django.core.management import call_command
    from django.test.utils import override_settings

    from listings import actions as listing_actions
    from marketplace import actions
    from marketplace.models import OrganisationKind
    from negotiations.actions import open_deal

    call_command("migrate", verbosity=0)
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for i in range(rooms):
            owner = actions.create_account(email=f"licensor{i}@bench.example", full_name=f"Licensor {i}",
                                           password="bench-password-not-used")
            buyer = actions.create_account(email=f"licensee{i}@bench.example", full_name=f"Licensee {i}",
                                           password="bench-password-not-used")
            institute = actions.create_organisation(actor=owner, name=f"Bench Institute {i}",
                                                    kind=OrganisationKind.RESEARCH_INSTITUTE)
            institute = actions.verify_organisation(institute, actor=None, operator=True, notify=False)
            sme = actions.create_organisation(actor=buyer, name=f"Bench SME {i}", kind=OrganisationKind.SME)
            sme = actions.verify_organisation(sme, actor=None, operator=True, notify=False)
            patent, _ = listing_actions.save_patent(institute, actor=owner, number=f"CN1{i + 10_000_000:08d}B",
                                                    title=f"Bench battery cathode {i}")
            listing = listing_actions.create_listing(institute, actor=owner, patents=[patent],
                                                     title=f"Bench battery cathode {i}", fee_model="lump_sum",
                                                     lump_sum_minor=5_000_000)
            listing_actions.publish_listing(listing, actor=owner)
            open_deal(listing, sme, actor=buyer)


def prepare(rooms: int, fresh: bool) -> None:
    """Build the fixture unless one with at least ``rooms`` rooms is there (its marker holds the count)."""
    marker = VAR_DIR / f"fixture-v{FIXTURE_VERSION}.ok"
    built = int(marker.read_text()) if marker.exists() and marker.read_text().strip().isdigit() else 0
    if fresh or built < rooms:
        marker.unlink(missing_ok=True)
        for name in ("patentbridge.sqlite3", "patentbridge.sqlite3-wal", "patentbridge.sqlite3-shm"):
            (VAR_DIR / name).unlink(missing_ok=True)
        print(f"  building the fixture ({rooms} rooms, once) …", flush=True)
        started = time.perf_counter()
        # Search indexing is not what is measured (and would need the index directory): off while building.
        from unittest import mock

        with mock.patch("listings.search.update_listings", lambda ids: None):
            build_fixture(rooms)
        marker.write_text(f"{rooms}\n")
        print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)


def rooms_and_cookies() -> list[dict]:
    from django.conf import settings
    from django.test import Client

    from negotiations.models import Deal, DealState

    rooms = []
    for deal in Deal.objects.filter(state=DealState.NEGOTIATING).select_related("licensor", "licensee").order_by("pk"):
        users = {}
        for side, org in (("licensor", deal.licensor), ("licensee", deal.licensee)):
            user = org.memberships.select_related("user").first().user
            client = Client()
            client.force_login(user)
            users[side] = (user, f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
        rooms.append({"deal": deal, "users": users})
    return rooms


# --- the server ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daphne:
    def __init__(self, redis_url: str, layer: str):
        self.port = free_port()
        self.log = open(VAR_DIR / f"daphne-{layer}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "marketplace.asgi:application"],
            cwd=BASE_DIR, env=django_env(redis_url, layer), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited with {self.process.returncode}; see {self.log.name}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"daphne did not listen within 30 s; see {self.log.name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# --- measuring -------------------------------------------------------------------------------------
class Client:
    """One socket of one side of a room; every message's arrival time is kept by seq."""

    def __init__(self, room: dict, side: str):
        self.deal_id, self.cookie = room["deal"].pk, room["users"][side][1]
        self.arrived: dict[int, float] = {}
        self.waiters: dict[int, asyncio.Future] = {}

    async def open(self, port: int, after: int) -> None:
        from tests.wsclient import WebSocket

        self.socket = await WebSocket.connect("127.0.0.1", port, f"/ws/deals/{self.deal_id}/", cookie=self.cookie,
                                              origin=f"http://127.0.0.1:{port}")
        await self.socket.send_json({"type": "resume", "after": after})
        await self.socket.send_json({"type": "ping"})
        while (await self.socket.receive_json(timeout=20)).get("type") != "pong":
            pass  # resumed: the server handles a socket's messages in turn
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        from tests.wsclient import Closed

        try:
            while True:
                message = await self.socket.receive_json(timeout=3600)
                if "seq" in message:
                    self.arrived[message["seq"]] = time.perf_counter()
                    waiter = self.waiters.pop(message["seq"], None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)
        except (Closed, asyncio.CancelledError):
            pass

    async def wait_for(self, seq: int, timeout: float) -> bool:
        if seq in self.arrived:
            return True
        waiter = self.waiters.setdefault(seq, asyncio.get_running_loop().create_future())
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def close(self) -> None:
        self.reader.cancel()
        await self.socket.close()


async def open_clients(rooms, port: int, *, batch: int = 25) -> list[tuple[Client, Client]]:
    from asgiref.sync import sync_to_async

    pairs = []
    for room in rooms:
        room["deal"] = await sync_to_async(type(room["deal"]).objects.get)(pk=room["deal"].pk)
        pairs.append((Client(room, "licensor"), Client(room, "licensee")))
    flat = [(client, room["deal"].last_seq) for pair, room in zip(pairs, rooms) for client in pair]
    for start in range(0, len(flat), batch):
        await asyncio.gather(*(client.open(port, after) for client, after in flat[start:start + batch]))
    return pairs


def bare_send(room: dict, seq: int) -> float:
    """What the action's on-commit send does (``marketplace.events._send_deal``), with nothing before it. The
    seq is reserved in the database first (not timed), so the room's next action numbers its event after it."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from marketplace.events import deal_group
    from negotiations.models import Deal

    deal_id = room["deal"].pk
    Deal.objects.filter(pk=deal_id).update(last_seq=seq)
    started = time.perf_counter()
    async_to_sync(get_channel_layer().group_send)(deal_group(deal_id), {
        "type": "relay.deal_event", "event": "deal.offer_created", "seq": seq, "deal": deal_id,
        "payload": {"version": 0, "side": "licensor", "state": "negotiating", "offer": 0}})
    return started


SENT_AT: dict[tuple[int, int], float] = {}  # (deal, seq) -> when the action's on-commit send started


def record_sends() -> None:
    """Note when each action's on-commit send starts, to split the action path into its own work (checks,
    locks, rows, audit, notifications, commit) and the delivery after the commit."""
    from marketplace import events

    original = events._send_deal

    def timed(deal_id, seq, event_type, payload):
        SENT_AT[(deal_id, seq)] = time.perf_counter()
        return original(deal_id, seq, event_type, payload)

    events._send_deal = timed


def offer(room: dict, seq: int) -> float:
    """A counter-offer by the room's licensor member through the real action (its event gets ``seq``)."""
    from negotiations import actions, terms

    deal, licensor = room["deal"], room["users"]["licensor"][0]
    proposed = {**terms.defaults_from_listing(deal.listing), "lump_sum_minor": 4_000_000 + seq}
    started = time.perf_counter()
    actions.make_offer(deal, actor=licensor, terms=proposed, expected_version=deal.current_version)
    return started


async def run_rooms(rooms, port: int, pool, *, warm_up: int = 1) -> dict:
    """Open two sockets per room (all at once), then room after room: an offer through the action and a bare
    send (alternating which goes first, so both meet the same conditions), each in a worker thread like a
    request, timed until the licensee's socket has it. The first ``warm_up`` rooms are not counted."""
    loop = asyncio.get_running_loop()
    pairs = await open_clients(rooms, port)
    result = {"bare": [], "action": [], "delivery": [], "lost": 0}
    started_all = time.perf_counter()
    try:
        for index, ((licensor_client, licensee_client), room) in enumerate(zip(pairs, rooms)):
            seq = room["deal"].last_seq + 1
            for kind in (("bare", "action") if index % 2 else ("action", "bare")):
                started = await loop.run_in_executor(pool, bare_send if kind == "bare" else offer, room, seq)
                arrived = await licensee_client.wait_for(seq, timeout=2) and await licensor_client.wait_for(seq, 1)
                if not arrived:
                    result["lost"] += 1
                elif index >= warm_up:
                    result[kind].append((licensee_client.arrived[seq] - started) * 1000)
                    if kind == "action":
                        sent = SENT_AT.get((room["deal"].pk, seq), started)
                        result["delivery"].append((licensee_client.arrived[seq] - sent) * 1000)
                seq += 1
            if result["lost"] >= 5:
                print(f"  … {result['lost']} events did not arrive within 2 s: stopped (see the Daphne log)")
                break
    finally:
        result["seconds"] = time.perf_counter() - started_all
        await asyncio.gather(*(client.close() for pair in pairs for client in pair))
    return result


def measure_layer(layer: str, rooms, redis_url: str, pool) -> dict:
    from django.conf import settings
    from django.db import connections
    from django.test.utils import override_settings

    config = {"default": {**settings.CHANNEL_LAYERS["default"], "BACKEND": LAYERS[layer]}}
    server = Daphne(redis_url, layer)
    try:
        with override_settings(CHANNEL_LAYERS=config):
            result = asyncio.run(run_rooms(rooms, server.port, pool))
    finally:
        server.stop()
        pool.submit(connections.close_all).result()
    return {"layer": layer, **result}


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"  | {name:<44} | {'—':>8} | {'—':>8} | {'—':>8} |"
    return (f"  | {name:<44} | {percentile(values, 50):>6.1f}ms | {percentile(values, 95):>6.1f}ms "
            f"| {max(values):>6.1f}ms |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=100, help="deal rooms (two sockets each)")
    parser.add_argument("--layers", default="core,pubsub", help="comma-separated: core, pubsub")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    parser.add_argument("--fresh", action="store_true", help="rebuild the fixture")
    args = parser.parse_args(argv)
    layers = [name.strip() for name in args.layers.split(",") if name.strip()]
    if not layers or set(layers) - set(LAYERS) or args.rooms < 1:
        parser.error("--layers takes core and/or pubsub; --rooms at least 1")
    if not redis_reachable(args.redis):
        print(f"deals_ws: skipped — no Redis at {args.redis} (start one, or pass --redis / BENCH_REDIS_URL)")
        return 0
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    setup_django(args.redis)
    # The clients read their sockets in this process's main thread while a worker thread runs the actions:
    # switch threads often, so an arrival is not timed late because the worker held the interpreter.
    sys.setswitchinterval(0.0002)
    record_sends()
    total_started = time.perf_counter()
    print(f"PatentBridge deal room WebSocket benchmark — {args.rooms} rooms, {2 * args.rooms} sockets, "
          f"{os.cpu_count()} CPUs, Daphne + Redis on loopback, SQLite ({VAR_DIR.relative_to(BASE_DIR)})")
    prepare(args.rooms + 1, args.fresh)  # one more room for the warm-up
    # One worker thread does the actions and bare sends, as one request thread would.
    with ThreadPoolExecutor(1) as pool:
        rooms = pool.submit(rooms_and_cookies).result()[: args.rooms + 1]
        results = [measure_layer(layer, rooms, args.redis, pool) for layer in layers]
    print()
    print("  | offer → the other side's socket               |      p50 |      p95 |      max |")
    print("  |-----------------------------------------------|----------|----------|----------|")
    for result in results:
        print(row(f"{result['layer']}: make_offer (action path)", result["action"]))
        print(row("    of which commit → socket", result["delivery"]))
        print(row(f"{result['layer']}: bare group_send (baseline)", result["bare"]))
    print()
    verdicts = []
    for result in results:
        if not result["action"] or not result["bare"]:
            print(f"  {result['layer']}: no figures ({result['lost']} events lost)")
            continue
        p95 = percentile(result["action"], 95)
        ratio = p95 / percentile(result["bare"], 95)
        ratio50 = percentile(result["action"], 50) / percentile(result["bare"], 50)
        ok = p95 <= P95_TARGET_MS and ratio <= RATIO_TARGET and not result["lost"]
        verdicts.append((p95, result["layer"]))
        print(f"  {result['layer']:>6}: action/bare p95 {ratio:.2f}× (p50 {ratio50:.2f}×); p95 {p95:.1f} ms; "
              f"events lost {result['lost']}; {len(result['action'])} rooms in {result['seconds']:.1f} s — "
              f"targets p95 ≤ {P95_TARGET_MS:.0f} ms and ≤ {RATIO_TARGET:.0f}×: {'met' if ok else 'NOT met'}")
    if len(verdicts) > 1:
        print(f"  faster at p95: {min(verdicts)[1]}")
    print(f"  total run time {time.perf_counter() - total_started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
