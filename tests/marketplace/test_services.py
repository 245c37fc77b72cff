"""Behaviour that needs the production services: row locks on PostgreSQL, Redis for the channel
layer, the cache and the Celery broker. Skipped with a reason on the embedded default."""

import threading
import time
import uuid

import pytest
from asgiref.sync import async_to_sync
from celery.contrib.testing.worker import start_worker
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections

from marketplace import actions, tasks
from marketplace.celery import app as celery_app
from marketplace.models import AuditEntry, Organisation
from marketplace.states import IllegalTransition
from tests.marketplace.test_events_and_tasks import RAN, remember


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_verifications_apply_once(make_org, make_user):
    organisation = make_org("Race Institute")
    staff_a = make_user("a@staff.example", staff=True)
    staff_b = make_user("b@staff.example", staff=True)
    barrier = threading.Barrier(2)
    outcomes = []

    def verify(staff):
        try:
            barrier.wait()
            actions.verify_organisation(Organisation.objects.get(pk=organisation.pk), actor=staff, notify=False)
            outcomes.append("verified")
        except IllegalTransition:
            outcomes.append("refused")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=verify, args=(s,)) for s in (staff_a, staff_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == ["refused", "verified"]
    assert AuditEntry.objects.filter(action="organisation.verified", organisation=organisation).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_invitation_accepted_once_under_concurrency(make_org, make_user):
    owner = make_user("owner@race.example")
    organisation = make_org("Race Co", owner=owner)
    invitation = actions.invite_member(organisation, actor=owner, email="twin@race.example")
    twin = make_user("twin@race.example")
    barrier = threading.Barrier(2)
    outcomes = []

    def accept():
        try:
            barrier.wait()
            actions.accept_invitation(invitation, user=twin)
            outcomes.append("joined")
        except actions.ActionError:
            outcomes.append("refused")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == ["joined", "refused"]
    assert AuditEntry.objects.filter(action="member.joined", organisation=organisation).count() == 1


@pytest.mark.redis
def test_channel_layer_round_trip_through_redis():
    backends = {"core": "channels_redis.core.RedisChannelLayer",
                "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer"}
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == backends[settings.CHANNEL_LAYER]
    layer = get_channel_layer()
    group = f"test.{uuid.uuid4().hex}"

    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        await layer.group_send(group, {"type": "relay.event", "event": "x", "payload": {}})
        message = await layer.receive(channel)
        await layer.group_discard(group, channel)
        return message

    assert async_to_sync(scenario)()["event"] == "x"


@pytest.mark.redis
def test_cache_is_redis(settings):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    key = f"test:{uuid.uuid4().hex}"
    cache.set(key, {"n": 1}, 30)
    assert cache.get(key) == {"n": 1}
    cache.delete(key)


@pytest.mark.redis
def test_celery_worker_runs_tasks_sent_through_redis(settings):
    assert celery_app.conf.broker_url == settings.REDIS_URL
    settings.TASKS_MODE = "celery"
    RAN.clear()
    token = uuid.uuid4().hex
    with start_worker(celery_app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        tasks.enqueue(remember, token)
        deadline = time.monotonic() + 15
        while token not in RAN and time.monotonic() < deadline:
            time.sleep(0.1)
    assert token in RAN
