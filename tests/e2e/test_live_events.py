"""The live Daphne harness: pages served by Daphne get their events over /ws/me/ without reloading, each
person only their own; a socket without a session is refused."""

import base64
import os
import socket

import pytest

from marketplace import notifications
from tests.e2e.conftest import off_the_event_loop

pytestmark = pytest.mark.django_db(transaction=True)


def test_new_notification_updates_the_bell_of_its_recipient_only(daphne_server, browser, make_user, shoot):
    reader = make_user("reader@example.com", full_name="Rita Reader")
    other_user = make_user("other@example.com", full_name="Otto Other")
    pages = {}
    for email in ("reader@example.com", "other@example.com"):
        pages[email] = daphne_server.new_page(browser, email)  # signed in: the page it lands on opens /ws/me/
        daphne_server.wait_for_socket(pages[email])
    page, other = pages["reader@example.com"], pages["other@example.com"]
    page.evaluate("window.__notReloaded = true")
    badge = page.locator("#nav-unread-badge")
    assert badge.is_hidden()

    off_the_event_loop(notifications.notify, reader, "marketplace.test", "Your licence request was answered",
                       url="/notifications/")

    badge.wait_for(state="visible", timeout=5000)
    assert badge.inner_text() == "1"
    assert page.locator("#live-toasts .toast").inner_text() == "Your licence request was answered"
    assert page.evaluate("window.__notReloaded") is True
    shoot(page, "live-notification")

    # The other person's page got nothing: once their own notification arrives, it is their only one.
    off_the_event_loop(notifications.notify, other_user, "marketplace.test", "Your listing was published")
    other.locator("#nav-unread-badge").wait_for(state="visible", timeout=5000)
    assert other.locator("#nav-unread-badge").inner_text() == "1"
    assert other.locator("#live-toasts .toast").all_inner_texts() == ["Your listing was published"]
    assert badge.inner_text() == "1"


def test_socket_without_a_session_is_refused(daphne_server):
    """Daphne answers a consumer that closes before accepting (``close(4401)`` in ``connect``) with an HTTP 403
    to the handshake: the client never gets a socket (nor the 4401 code, which only the in-process
    ``WebsocketCommunicator`` reports)."""
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection((daphne_server.host, daphne_server.port), timeout=5) as conn:
        conn.sendall((
            "GET /ws/me/ HTTP/1.1\r\n"
            f"Host: {daphne_server.host}:{daphne_server.port}\r\n"
            f"Origin: {daphne_server.url}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode())
        reply = b""
        while b"\r\n\r\n" not in reply and (chunk := conn.recv(4096)):
            reply += chunk
    assert reply.split(b"\r\n", 1)[0] == b"HTTP/1.1 403 Access denied", reply
