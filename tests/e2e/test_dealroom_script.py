"""static/js/dealroom.js in Chromium against the live Daphne: a move by the other side swaps the live sections
(what is being typed outside them stays), the indicator says when the socket is down, and after a dropped
connection the script reconnects, resumes from the last seq it saw and catches up on what it missed; without
WebSocket it reloads every 30 s, but never while someone is typing (Playwright's clock runs the 30 s).

The page is a minimal room (the contract's data attributes) put into a page of the live server, and the
live fragments URL is answered by the test, so only the script and the socket are under test here; the
real room page and its fragments are covered by the room's own journey."""

from __future__ import annotations

import json

import pytest

from negotiations import actions
from tests.e2e.conftest import off_the_event_loop
from tests.negotiations.rooms import build_room, counter

pytestmark = pytest.mark.django_db(transaction=True)

# Keeps every socket object (to drop them) and can send new ones to a dead port for a while.
SOCKET_CONTROL = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.__blockSockets = false;
  function Controlled(url, protocols) {
    const socket = new Native(window.__blockSockets ? "ws://127.0.0.1:9/" : url, protocols);
    window.__sockets.push(socket);
    return socket;
  }
  Controlled.prototype = Native.prototype;
  Object.assign(Controlled, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  window.WebSocket = Controlled;
})();
"""

ROOM = """<div id="deal-room" data-deal-id="{id}" data-ws-path="/ws/deals/{id}/" data-last-seq="{seq}"
     data-live-url="/test-room/{id}/live/">
  <span data-live-indicator data-text-live="Live" data-text-reconnecting="Reconnecting…"></span>
  <div data-live-section="offers">version 1</div>
  <div data-live-section="next">your move</div>
  <form><textarea name="body"></textarea></form>
</div>"""


def test_dealroom_script_updates_live_and_catches_up_after_a_drop(daphne_server, browser, make_org, make_user,
                                                                   owner, monkeypatch):
    monkeypatch.setattr("listings.search.update_listings", lambda ids: None)
    room = off_the_event_loop(build_room, make_org, make_user, owner)
    deal_id, start = room.deal.pk, room.deal.last_seq
    page = daphne_server.new_page(browser, "owner@example.com")
    page.context.add_init_script(script=SOCKET_CONTROL)
    fetches = []

    def live_fragments(route):
        fetches.append(route.request.headers.get("cookie", ""))
        n = len(fetches)
        route.fulfill(content_type="application/json", body=json.dumps(
            {"seq": 0, "sections": {"offers": f"<p>fetch {n}</p>", "next": f"<p>next {n}</p>"}}))

    page.route(f"{daphne_server.url}/test-room/{deal_id}/live/", live_fragments)
    # A real page of the live server (a routed page would count as public: Chromium then blocks its
    # loopback sockets), its body replaced by the room.
    page.goto(f"{daphne_server.url}/")
    page.evaluate("(html) => { document.body.innerHTML = html; }", ROOM.format(id=deal_id, seq=start))
    page.add_script_tag(url="/static/js/dealroom.js")
    daphne_server.wait_for_socket(page, f"/ws/deals/{deal_id}/")
    indicator = page.locator("[data-live-indicator]")
    assert indicator.inner_text() == "Live"
    page.fill("textarea[name=body]", "Half-written answer")

    off_the_event_loop(counter, room.deal, room.buyer, lump_sum=4_600_000)
    page.locator('[data-live-section="offers"]').get_by_text("fetch 1").wait_for(timeout=5000)
    assert page.locator('[data-live-section="next"]').inner_text() == "next 1"
    assert page.get_attribute("#deal-room", "data-last-seq") == str(start + 1)
    assert page.input_value("textarea[name=body]") == "Half-written answer"
    assert "sessionid=" in fetches[0]  # the fragments are fetched with the reader's session

    # The connection drops and cannot come back for a while; the buyer moves twice meanwhile.
    page.evaluate("window.__blockSockets = true; window.__sockets.forEach((s) => s.close())")
    page.wait_for_function("document.querySelector('[data-live-indicator]').textContent === 'Reconnecting…'",
                           timeout=5000)
    off_the_event_loop(counter, room.deal, room.buyer, lump_sum=4_400_000)
    off_the_event_loop(actions.withdraw_offer, room.deal, actor=room.buyer, version=3)
    page.evaluate("window.__blockSockets = false")
    # Back within the backoff (1 s, 2 s, 4 s … with jitter): it resumes after seq start + 1 and gets both.
    page.wait_for_function(f"document.getElementById('deal-room').dataset.lastSeq === '{start + 3}'",
                           timeout=15000)
    assert indicator.inner_text() == "Live"
    page.wait_for_function(f"document.querySelector('[data-live-section=offers]').textContent === "
                           f"'fetch {len(fetches)}'", timeout=5000)
    assert len(fetches) >= 2
    assert page.input_value("textarea[name=body]") == "Half-written answer"


def test_without_websocket_the_room_reloads_every_30_s_unless_someone_is_typing(daphne_server, browser):
    page = daphne_server.new_page(browser)
    page.context.add_init_script(script="delete window.WebSocket;")
    page.clock.install()

    def open_room():
        page.goto(f"{daphne_server.url}/")
        page.evaluate("(html) => { document.body.innerHTML = html; window.__sameDocument = true; }",
                      ROOM.format(id=1, seq=0))
        page.add_script_tag(url="/static/js/dealroom.js")

    open_room()
    page.fill("textarea[name=body]", "Half-written answer")
    page.clock.run_for(31_000)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__sameDocument") is True  # someone is typing: no reload
    assert page.input_value("textarea[name=body]") == "Half-written answer"

    page.fill("textarea[name=body]", "")
    page.locator("body").click(position={"x": 1, "y": 1})  # nothing focused, nothing typed
    with page.expect_navigation(timeout=5000):
        page.clock.run_for(31_000)
    assert page.evaluate("window.__sameDocument") is None
