"""Browser journeys: Playwright drives Debian's Chromium (``/usr/bin/chromium``, installed by
``make test``) against pytest-django's live server, or against a live Daphne server for pages that use
WebSockets. No browser is ever downloaded.

Helpers here: ``login(page, email)`` signs in through the login form of the live server (``sign_in(page,
base_url, email)`` for any server); ``shoot(page, name)`` saves a full-page screenshot under
``var/screenshots/`` to look at after a run; ``off_the_event_loop(function, ...)`` runs data set-up (actions)
in a worker thread.

``daphne_server``: the project's ASGI application (HTTP with static files, and the WebSocket routes of
``marketplace.routing``) served by Daphne on a free 127.0.0.1 port, in a thread of the test process, against
the test database pytest-django created. Started once per session (a Twisted reactor cannot restart), stopped
at its end with its threads' database connections closed. It implies ``transactional_db``: data is committed,
so the server sees what the test created. Attributes and methods:

    daphne_server.url / .ws_url          http://127.0.0.1:PORT  /  ws://127.0.0.1:PORT
    daphne_server.host / .port
    daphne_server.new_page(browser, email=None, password=None, language=None, **context_args)
        a page in a new browser context (own cookies), signed in when ``email`` is given; closed after the test
    daphne_server.wait_for_socket(page, path="/ws/me/")
        wait until that page's socket to ``path`` is accepted (so its consumer has joined its groups)
    daphne_server.login(page, email, password=None, language=None)   sign any page in (e.g. ``page``)

Events reach the server's sockets on both CI set-ups: with ``REDIS_URL`` through Redis; without it the
in-memory layer is swapped for ``daphne_harness.ServerLoopInMemoryChannelLayer`` (runs layer calls on the
server's loop). Send them the way the site does: an action run with ``off_the_event_loop`` (the test's
thread has Playwright's loop), which commits and sends on commit. A two-person journey (e.g. a deal room)::

    def test_both_parties_see_the_offer(daphne_server, browser, make_user):
        seller, buyer = make_user("s@example.com"), make_user("b@example.com")
        room = off_the_event_loop(make_room, seller, buyer)
        alice = daphne_server.new_page(browser, "s@example.com")   # browser.new_context() + login
        bob = daphne_server.new_page(browser, "b@example.com")     # a second context: another person
        for page in (alice, bob):
            page.goto(f"{daphne_server.url}/deals/{room.pk}/")
            daphne_server.wait_for_socket(page, f"/ws/deals/{room.pk}/")
        alice.fill(...); alice.click(...)          # or off_the_event_loop(actions.make_offer, ...)
        expect(bob.locator(...)).to_have_text(...)  # arrives live, no reload

On SQLite the test database is in memory, shared between connections of this process; a write transaction
locks its tables for the others, so let pages settle (``wait_for_socket`` / ``wait_for_load_state``) before
writing from the test. Daphne refuses a socket whose consumer closes before accepting with HTTP 403: the
browser sees close code 1006, not the consumer's 4401/4403 (accept first, then close, to send a code)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# Playwright's sync API runs an event loop in the test's thread; the ORM calls that set up data for a
# page must still be allowed there. Only the browser tests set this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def _plain_http_live_server():
    """The live server is started once per session, before any function-scoped settings fixture, and
    its middleware reads the settings then: serve plain HTTP (tests run with DEBUG off)."""
    from django.test.utils import override_settings

    with override_settings(SECURE_SSL_REDIRECT=False, SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False,
                           SECURE_HSTS_SECONDS=0):
        yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


def sign_in(page, base_url: str, email: str, password: str | None = None, *, language: str | None = None):
    """Sign ``page`` in through the login form of the server at ``base_url`` (optionally in ``language``)."""
    page.goto(f"{base_url}/accounts/login/")
    if language:
        page.context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])
        page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password or PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state()
    return page


@pytest.fixture
def login(live_server):
    def login_live_server(page, email: str, password: str = PASSWORD, *, language: str | None = None):
        return sign_in(page, live_server.url, email, password, language=language)

    return login_live_server


@pytest.fixture(scope="session")
def _daphne_live_server(django_db_setup, django_db_blocker, _plain_http_live_server):
    """One Daphne server for the session (a Twisted reactor cannot be restarted), after the test database
    exists; stopped, with its threads' database connections closed, before the database is dropped."""
    from django.conf import settings
    from django.test.utils import override_settings

    from tests.e2e.daphne_harness import LiveDaphne

    if not {"127.0.0.1", "*"} & set(settings.ALLOWED_HOSTS):
        pytest.fail("the Daphne live server needs 127.0.0.1 in ALLOWED_HOSTS (`make test` sets it): its WebSocket "
                    "origin check reads the list when marketplace.asgi is imported")
    layers = settings.CHANNEL_LAYERS
    if layers["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer":
        layers = {"default": {**layers["default"],
                              "BACKEND": "tests.e2e.daphne_harness.ServerLoopInMemoryChannelLayer"}}
    with override_settings(CHANNEL_LAYERS=layers), django_db_blocker.unblock():
        from channels.routing import ProtocolTypeRouter
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
        from django.core.asgi import get_asgi_application

        from marketplace.asgi import application

        # Django's handler loads its middleware (SecurityMiddleware reads SECURE_SSL_REDIRECT) when it is made:
        # marketplace.asgi may have been imported before the plain-HTTP settings, so HTTP gets a fresh handler
        # (with static files, as runserver serves them); WebSocket is the project's own stack.
        served = ProtocolTypeRouter({
            "http": ASGIStaticFilesHandler(get_asgi_application()),
            "websocket": application.application_mapping["websocket"],
        })
        server = LiveDaphne(served).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def daphne_server(_daphne_live_server, transactional_db):
    """The project's ASGI application (HTTP, static files and WebSocket) served by Daphne on a free
    127.0.0.1 port against the test database. See the module docstring."""
    yield _daphne_live_server
    _daphne_live_server.close_pages()


@pytest.fixture
def shoot():
    def screenshot(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return screenshot


def off_the_event_loop(function, *args, **kwargs):
    """Run ``function`` (data set-up through actions) in a worker thread and return its result.

    Actions send live events through ``async_to_sync`` on commit, which refuses to run in the thread where
    Playwright's event loop runs. The worker's database connection is closed before it ends, so no
    session is left open when the test database is dropped (PostgreSQL refuses to drop a database in use)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def run():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()
