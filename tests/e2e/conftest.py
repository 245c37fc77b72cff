"""Browser journeys: Playwright drives Debian's Chromium (``/usr/bin/chromium``, installed by
``make test``) against pytest-django's live server. No browser is ever downloaded.

Helpers here: ``login(page, email)`` signs in through the login form; ``shoot(page, name)`` saves a
full-page screenshot under ``var/screenshots/`` to look at after a run."""

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


@pytest.fixture
def login(live_server):
    def sign_in(page, email: str, password: str = PASSWORD, *, language: str | None = None):
        page.goto(f"{live_server.url}/accounts/login/")
        if language:
            page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
            page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", email)
        page.fill("input[name=password]", password)
        page.locator("form button[type=submit], form input[type=submit]").last.click()
        page.wait_for_load_state()
        return page

    return sign_in


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
