"""A live Daphne server inside the test process, for browser journeys that use WebSockets.

Django's live server speaks no WebSocket, so ``daphne_server`` (tests/e2e/conftest.py) runs daphne's
``Server`` with the project's ASGI application (``marketplace.asgi.application``, static files served as
``runserver`` does) in a background thread: its Twisted reactor runs there, signal handlers off. Being in
the same process, the server uses the test database pytest-django created (same settings, its own
connections) and the same channel layer as the test, so an action run in the test (through
``off_the_event_loop``) reaches the server's sockets:

* Redis (``REDIS_URL`` set): the project's Redis channel layer as configured (``CHANNEL_LAYER``).
* No Redis: ``InMemoryChannelLayer`` is a plain object with asyncio queues that belong to the loop that uses
  them. ``ServerLoopInMemoryChannelLayer`` runs every layer call on the server's loop, so an event sent from a
  test's worker thread wakes the consumer at once (calling the queues from another thread is not safe).

A Twisted reactor cannot be restarted: the server is started once per session and stopped at its end.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
import weakref

from channels.layers import InMemoryChannelLayer
from django.db.backends.signals import connection_created

# The running server's event loop (set while it runs): the in-memory layer executes its calls there.
SERVER_LOOP: asyncio.AbstractEventLoop | None = None


def _on_server_loop(method):
    @functools.wraps(method)
    async def call(self, *args, **kwargs):
        loop = SERVER_LOOP
        if loop is None or not loop.is_running() or asyncio.get_running_loop() is loop:
            return await method(self, *args, **kwargs)
        future = asyncio.run_coroutine_threadsafe(method(self, *args, **kwargs), loop)
        return await asyncio.wrap_future(future)

    return call


class ServerLoopInMemoryChannelLayer(InMemoryChannelLayer):
    """``InMemoryChannelLayer`` whose calls from other threads' loops run on the live server's loop."""

    send = _on_server_loop(InMemoryChannelLayer.send)
    receive = _on_server_loop(InMemoryChannelLayer.receive)
    group_add = _on_server_loop(InMemoryChannelLayer.group_add)
    group_discard = _on_server_loop(InMemoryChannelLayer.group_discard)
    group_send = _on_server_loop(InMemoryChannelLayer.group_send)
    flush = _on_server_loop(InMemoryChannelLayer.flush)


# Playwright init script: keeps the URLs of the page's open WebSockets in ``window.__openSockets``.
TRACK_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  window.__openSockets = [];
  function Tracked(url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    socket.addEventListener("open", () => window.__openSockets.push(socket.url));
    socket.addEventListener("close", () => {
      const at = window.__openSockets.indexOf(socket.url);
      if (at >= 0) window.__openSockets.splice(at, 1);
    });
    return socket;
  }
  Tracked.prototype = Native.prototype;
  Object.assign(Tracked, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  window.WebSocket = Tracked;
})();
"""


class LiveDaphne:
    """The running server: ``url`` (http://127.0.0.1:PORT), ``ws_url`` (ws://127.0.0.1:PORT), ``host``, ``port``,
    ``startup_seconds``; ``login``, ``new_page``, ``wait_for_socket`` and ``close_pages`` for Playwright pages."""

    def __init__(self, application, *, startup_timeout: float = 10):
        self.application = application
        self.startup_timeout = startup_timeout
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.startup_seconds: float | None = None
        self._server = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._connections: weakref.WeakSet = weakref.WeakSet()
        self._contexts: list = []

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def login(self, page, email: str, password: str | None = None, *, language: str | None = None):
        from tests.e2e.conftest import sign_in

        return sign_in(page, self.url, email, password, language=language)

    def new_page(self, browser, email: str | None = None, password: str | None = None, *,
                 language: str | None = None, **context_args):
        """A page in a new browser context (its own cookies: one person), signed in when ``email`` is given,
        that records its open WebSockets for ``wait_for_socket``. Closed after the test (``close_pages``)."""
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context_args})
        context.add_init_script(script=TRACK_SOCKETS)
        self._contexts.append(context)
        page = context.new_page()
        if email:
            self.login(page, email, password, language=language)
        return page

    def close_pages(self) -> None:
        """Close the browser contexts ``new_page`` opened (``daphne_server`` does it after each test)."""
        while self._contexts:
            self._contexts.pop().close()

    def wait_for_socket(self, page, path: str = "/ws/me/", timeout: float = 5000) -> None:
        """Wait until ``page`` has an open (accepted) WebSocket to ``path``: from then on, events sent to the
        groups its consumer joined reach the page. Needs a page from ``new_page``."""
        page.wait_for_function("(url) => (window.__openSockets || []).includes(url)",
                               arg=self.ws_url + path, timeout=timeout)

    # --- life cycle ----------------------------------------------------------------------------------------
    def start(self) -> LiveDaphne:
        from daphne.server import Server  # installs Twisted's asyncio reactor (the daphne app already did)

        started = time.monotonic()
        connection_created.connect(self._track_connection)
        ready = self._ready = threading.Event()
        self._server = Server(
            application=self.application,
            endpoints=[f"tcp:port=0:interface={self.host}"],
            signal_handlers=False,
            ready_callable=ready.set,
            verbosity=0,
            # a closing test should not wait 10 s for a socket's application to finish
            application_close_timeout=2,
        )
        self._thread = threading.Thread(target=self._run, name="daphne-live-server", daemon=True)
        self._thread.start()
        if not ready.wait(self.startup_timeout) or self._error is not None:
            raise RuntimeError(f"Daphne did not start within {self.startup_timeout} s: {self._error!r}")
        deadline = time.monotonic() + self.startup_timeout
        while not self._server.listening_addresses:
            if self._error is not None or not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"Daphne is not listening: {self._error!r}")
            time.sleep(0.01)
        self.port = self._server.listening_addresses[0][1]
        self.startup_seconds = time.monotonic() - started
        return self

    def _run(self):
        global SERVER_LOOP
        from twisted.internet import reactor

        try:
            SERVER_LOOP = reactor._asyncioEventloop
            self._server.run()
        except BaseException as error:  # noqa: BLE001 - reported by start() / stop()
            self._error = error
        finally:
            SERVER_LOOP = None
            self._ready.set()  # start() stops waiting if the server failed before it was ready

    def stop(self, timeout: float = 15) -> None:
        from twisted.internet import reactor

        if self._thread is None:
            return
        if reactor.running:
            reactor.callFromThread(reactor.stop)
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError("the Daphne live server thread did not stop")
        self._thread = None
        connection_created.disconnect(self._track_connection)
        self._close_connections()

    # --- database connections of the server's threads ---------------------------------------------------
    def _track_connection(self, sender, connection, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            self._connections.add(connection)

    def _close_connections(self) -> None:
        """Close the connections the server's threads opened (requests run in short-lived executor threads
        whose connections, kept by CONN_MAX_AGE, would stop PostgreSQL from dropping the test database).
        Connections of the test's own thread are left alone."""
        for wrapper in list(self._connections):
            raw, wrapper.connection = wrapper.connection, None
            if raw is not None:
                raw.close()
        self._connections.clear()
