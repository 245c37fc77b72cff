"""Live events over WebSocket, background tasks and the audit helper."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from celery import shared_task
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from marketplace import actions, audit, events, tasks
from marketplace.asgi import application
from marketplace.consumers import UserEventsConsumer
from marketplace.models import AuditEntry

RAN = []


@shared_task
def remember(value):
    RAN.append(value)


async def _connect(user):
    communicator = WebsocketCommunicator(UserEventsConsumer.as_asgi(), "/ws/me/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.mark.django_db(transaction=True)
def test_member_receives_verification_event_live(owner, institute, staff):
    async def scenario():
        communicator, connected, _ = await _connect(owner)
        assert connected
        await sync_to_async(actions.verify_organisation)(institute, actor=staff, note="Checked")
        message = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return message

    message = async_to_sync(scenario)()
    assert message == {
        "event": "organisation.verification_changed",
        "payload": {"organisation": "Acme Institute", "slug": institute.slug, "status": "verified",
                    "status_label": "Verified", "message": "Checked"},
    }


@pytest.mark.django_db(transaction=True)
def test_non_member_receives_nothing(outsider, institute, staff):
    async def scenario():
        communicator, connected, _ = await _connect(outsider)
        await sync_to_async(actions.verify_organisation)(institute, actor=staff)
        nothing = await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()
        return nothing

    assert async_to_sync(scenario)() is True


def test_anonymous_socket_is_refused():
    async def scenario():
        communicator, connected, code = await _connect(AnonymousUser())
        return connected, code

    assert async_to_sync(scenario)() == (False, 4401)


def test_websocket_from_a_foreign_origin_is_refused(settings):
    settings.ALLOWED_HOSTS = ["patentbridge.example"]

    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/me/", headers=[(b"origin", b"https://evil.example")])
        connected, _ = await communicator.connect()
        return connected

    assert async_to_sync(scenario)() is False


@pytest.mark.django_db
def test_events_are_sent_only_after_commit(owner, institute, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.verify_organisation(institute, actor=staff)
    assert len(callbacks) == 3  # the live event, the in-app notification's event and the email wait for the commit


def test_undeclared_or_misshapen_events_are_refused():
    with pytest.raises(ValueError, match="undeclared event type"):
        events.send_on_commit(["user.1"], "deal.nonsense", a=1)
    with pytest.raises(ValueError, match="must carry exactly"):
        events.send_on_commit(["user.1"], "organisation.verification_changed", organisation="x")


class TestTasks:
    def test_eager_mode_runs_at_once(self, settings):
        settings.TASKS_MODE = "eager"
        RAN.clear()
        tasks.enqueue(remember, "now")
        assert RAN == ["now"]

    def test_thread_mode_runs_in_the_background(self, settings):
        settings.TASKS_MODE = "thread"
        RAN.clear()
        future = tasks.enqueue(remember, "later")
        future.result(timeout=5)
        assert RAN == ["later"]

    @pytest.mark.django_db
    def test_on_commit_waits_for_the_transaction(self, settings, django_capture_on_commit_callbacks):
        settings.TASKS_MODE = "eager"
        RAN.clear()
        with django_capture_on_commit_callbacks(execute=True):
            tasks.enqueue_on_commit(remember, "committed")
            assert RAN == []
        assert RAN == ["committed"]


class TestAudit:
    def test_record_stores_actor_target_and_json_data(self, owner, institute):
        import datetime

        entry = audit.record("organisation.tested", actor=owner, target=institute,
                             before={"when": datetime.date(2026, 1, 2)}, after={"n": 1})
        entry.refresh_from_db()
        assert entry.organisation == institute
        assert entry.target_repr == "Acme Institute"
        assert entry.before == {"when": "2026-01-02"}
        assert list(AuditEntry.objects.for_target(institute).values_list("action", flat=True))[:1] == [
            "organisation.tested"
        ]

    def test_action_names_are_dotted(self, db):
        with pytest.raises(ValueError, match="dotted"):
            audit.record("verified")

    def test_failed_action_leaves_no_audit_entry(self, institute, outsider):
        before = AuditEntry.objects.count()
        with pytest.raises(actions.NotAllowed):
            actions.update_organisation(institute, actor=outsider, name="Hijacked")
        assert AuditEntry.objects.count() == before
        institute.refresh_from_db()
        assert institute.name == "Acme Institute"
