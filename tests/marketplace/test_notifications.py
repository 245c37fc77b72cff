"""The notification centre: notify (row, live event, instant email), reading, the page and the badge."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from marketplace import actions, events, notifications
from marketplace.consumers import UserEventsConsumer
from marketplace.models import Notification, NotificationPreference


def _notify(user, title="Your organisation was verified", **kwargs):
    kwargs.setdefault("body", "You can now publish listings.")
    kwargs.setdefault("url", "/accounts/profile/")
    return notifications.notify(user, "organisation.note", title, **kwargs)


@pytest.mark.django_db(transaction=True)
def test_notify_sends_a_live_event_with_the_unread_count(owner):
    async def scenario():
        communicator = WebsocketCommunicator(UserEventsConsumer.as_asgi(), "/ws/me/")
        communicator.scope["user"] = owner
        connected, _ = await communicator.connect()
        assert connected
        created = await sync_to_async(_notify)(owner)
        message = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return created, message

    created, message = async_to_sync(scenario)()
    assert message == {
        "event": "notification.created",
        "payload": {"id": created.pk, "kind": "organisation.note", "title": "Your organisation was verified",
                    "body": "You can now publish listings.", "url": f"/notifications/{created.pk}/open/",
                    "unread": 1},
    }


@pytest.mark.django_db
def test_notify_creates_a_row_and_emails_on_commit(owner, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        n = _notify(owner)
        assert mail.outbox == []  # nothing before the commit
    assert len(callbacks) == 2  # the live event and the email task
    n.refresh_from_db()
    assert (n.recipient, n.kind, n.read_at) == (owner, "organisation.note", None)
    assert n.emailed_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [owner.email]
    assert message.subject == "Your organisation was verified"
    assert "You can now publish listings." in message.body
    assert f"/notifications/{n.pk}/open/" in message.body


@pytest.mark.django_db
@pytest.mark.parametrize("preference", [NotificationPreference.DAILY, NotificationPreference.NONE])
def test_no_instant_email_for_other_preferences(owner, preference, django_capture_on_commit_callbacks):
    actions.update_profile(owner, full_name=owner.full_name, language="en", notification_emails=preference)
    owner.refresh_from_db()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        n = _notify(owner)
    assert mail.outbox == []
    n.refresh_from_db()
    assert n.emailed_at is None


@pytest.mark.django_db
def test_kinds_are_dotted_and_titles_required(owner):
    with pytest.raises(ValueError, match="dotted"):
        notifications.notify(owner, "nodots", "Title")
    with pytest.raises(actions.ActionError):
        notifications.notify(owner, "a.b", "  ")
    with pytest.raises(ValueError, match="site paths"):
        notifications.notify(owner, "a.b", "Title", url="https://evil.example/")


def test_event_shape_is_declared():
    assert events.EVENT_SHAPES["notification.created"] == {"id", "kind", "title", "body", "url", "unread"}


@pytest.mark.django_db
def test_mark_read_and_mark_all_read(owner, outsider):
    first, second, third = _notify(owner, "one"), _notify(owner, "two"), _notify(owner, "three")
    with pytest.raises(actions.NotAllowed):
        notifications.mark_read(first, outsider)
    notifications.mark_read(first, owner)
    first.refresh_from_db()
    assert first.read_at is not None
    read_at = first.read_at
    notifications.mark_read(first, owner)  # idempotent
    first.refresh_from_db()
    assert first.read_at == read_at
    assert notifications.unread_count(owner) == 2
    assert notifications.mark_all_read(owner) == 2
    assert notifications.unread_count(owner) == 0
    assert Notification.objects.filter(recipient=owner, read_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_page_lists_newest_first_with_unread_highlighted_and_badge(client, owner):
    old = _notify(owner, "Older news")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timezone.timedelta(days=2))
    read = _notify(owner, "Read news")
    Notification.objects.filter(pk=read.pk).update(created_at=timezone.now() - timezone.timedelta(days=1))
    notifications.mark_read(read, owner)
    _notify(owner, "Newest news")
    client.force_login(owner)
    response = client.get(reverse("notifications"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Newest news") < html.index("Read news") < html.index("Older news")
    assert [n.title for n in response.context["notifications"]] == ["Newest news", "Read news", "Older news"]
    assert html.count(" unread\"") == 2  # the two unread rows carry the highlight class
    # the bell's badge shows the unread count, on every page
    assert 'id="nav-unread-badge"' in html
    home = client.get(reverse("home")).content.decode()
    badge = home[home.index('id="nav-unread-badge"'):]
    assert ">2</span>" in badge[:300]
    assert "d-none" not in badge[:120]


@pytest.mark.django_db
def test_badge_hidden_without_unread(client, owner):
    client.force_login(owner)
    html = client.get(reverse("home")).content.decode()
    badge = html[html.index('id="nav-unread-badge"') - 80:html.index('id="nav-unread-badge"') + 200]
    assert "d-none" in badge and ">0</span>" in badge


@pytest.mark.django_db
def test_open_marks_read_and_redirects(client, owner):
    n = _notify(owner, url="/accounts/profile/")
    client.force_login(owner)
    response = client.get(reverse("notification_open", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    n.refresh_from_db()
    assert n.read_at is not None


@pytest.mark.django_db
def test_another_users_notification_is_404(client, owner, outsider):
    n = _notify(owner)
    client.force_login(outsider)
    assert client.get(reverse("notification_open", args=[n.pk])).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None
    assert "Your organisation was verified" not in client.get(reverse("notifications")).content.decode()


@pytest.mark.django_db
def test_mark_all_read_view(client, owner):
    _notify(owner)
    _notify(owner, "two")
    client.force_login(owner)
    response = client.post(reverse("notifications_mark_all_read"))
    assert response.status_code == 302
    assert notifications.unread_count(owner) == 0


def test_pages_need_login(client, db):
    assert client.get(reverse("notifications")).status_code == 302


@pytest.mark.django_db
def test_profile_sets_the_notification_preference(client, owner):
    client.force_login(owner)
    response = client.post(reverse("profile"), {"full_name": owner.full_name, "language": "en",
                                                "notification_emails": "daily"})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.notification_emails == "daily"
    # left out of the form: kept
    client.post(reverse("profile"), {"full_name": owner.full_name, "language": "en"})
    owner.refresh_from_db()
    assert owner.notification_emails == "daily"
    with pytest.raises(actions.ActionError):
        actions.update_profile(owner, full_name="x", language="en", notification_emails="hourly")
