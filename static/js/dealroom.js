// Deal room live updates (no dependencies). The page renders
//   <div id="deal-room" data-ws-path="/ws/deals/ID/" data-last-seq="N" data-live-url="/deals/ID/live/">
// with parts marked data-live-section="status|banners|offers|thread|next" and an indicator
// [data-live-indicator data-text-live="…" data-text-reconnecting="…"] (texts translated by the server).
//
// The socket sends {"event", "seq", "deal", "payload"} for every move; right after connecting this script
// asks for what it missed ({"type": "resume", "after": last seq}). On any new seq it fetches the live URL
// (the same fragments the page renders, in the reader's language) and swaps each section's content, so
// forms outside the sections (message, counter-offer) keep what is being typed. Reconnects with
// exponential backoff and jitter (up to 30 s); pings every 30 s. Without WebSocket: reloads every 30 s
// while nobody is typing. After each refresh an untouched counter-offer form is renewed too (see below).
(function () {
  "use strict";
  var room = document.getElementById("deal-room");
  if (!room) return;
  var HEARTBEAT_MS = 30000;
  var MAX_DELAY_MS = 30000;
  var FORBIDDEN = 4403;
  var lastSeq = parseInt(room.dataset.lastSeq, 10) || 0;
  var indicator = document.querySelector("[data-live-indicator]");

  // Has someone started to fill a field inside root (focused, or changed from what the page rendered)? The
  // no-WebSocket fallback never reloads then, and an untouched counter-offer form alone is refreshed.
  function edited(root) {
    var active = document.activeElement;
    if (active && root.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)
        && active.type !== "hidden") return true;
    var fields = root.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var el = fields[i];
      if (el.type === "hidden" || el.type === "submit" || el.type === "button" || el.type === "file") continue;
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked !== el.defaultChecked) return true;
      } else if (el.tagName === "SELECT") {
        for (var j = 0; j < el.options.length; j++) {
          if (el.options[j].selected !== el.options[j].defaultSelected) return true;
        }
      } else if (el.value !== el.defaultValue) {
        return true;
      }
    }
    return false;
  }

  if (!("WebSocket" in window) || !room.dataset.wsPath) {
    setInterval(function () {
      if (!edited(document)) location.reload();
    }, HEARTBEAT_MS);
    return;
  }

  function show(state) {
    if (!indicator) return;
    indicator.dataset.state = state;
    indicator.hidden = state === "off";
    var text = state === "live" ? indicator.dataset.textLive : indicator.dataset.textReconnecting;
    if (text) indicator.textContent = text;
  }

  // --- refreshing the sections: one fetch at a time, again if something new came in meanwhile ---
  var fetching = false;
  var again = false;

  async function refresh() {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    try {
      var response = await fetch(room.dataset.liveUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.status >= 400 && response.status < 500) return; // not a party any more: nothing to show
      if (!response.ok) throw new Error("live fragments: HTTP " + response.status);
      var data = await response.json();
      Object.keys(data.sections || {}).forEach(function (name) {
        var section = room.querySelector('[data-live-section="' + name + '"]');
        if (section) section.innerHTML = data.sections[name];
      });
      if (data.seq > lastSeq) lastSeq = data.seq;
      room.dataset.lastSeq = String(lastSeq);
      await refreshOfferForm().catch(function () { /* the next update tries again */ });
    } catch (error) {
      again = true;
      await new Promise(function (resolve) { setTimeout(resolve, 5000); });
    } finally {
      fetching = false;
    }
    if (again) {
      again = false;
      refresh();
    }
  }

  // --- the counter-offer form: not a live section (what is typed is never lost). While nobody has touched it,
  // it is replaced by a fresh copy (?form=offer), prefilled from the latest version and made against it, so a
  // party answering the version that just appeared is not told it is stale. A form someone has started keeps
  // everything; sending it then says "the other side has just made version N" and shows that version. ---
  async function refreshOfferForm() {
    var holder = document.getElementById("counter-offer-holder");
    var form = document.getElementById("offer-form");
    if (!holder || (form && edited(form))) return;
    var url = room.dataset.liveUrl + (room.dataset.liveUrl.indexOf("?") < 0 ? "?" : "&") + "form=offer";
    var response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    var data = await response.json();
    form = document.getElementById("offer-form");
    if (!data.forms || typeof data.forms.offer !== "string" || (form && edited(form))) return;
    var details = holder.querySelector("details");
    var wasOpen = details && details.open;
    holder.innerHTML = data.forms.offer;
    var fresh = holder.querySelector("details");
    if (fresh && wasOpen) fresh.open = true;
  }

  // --- the socket ---
  var socket = null;
  var attempt = 0;
  var heard = true; // anything from the server since the last ping?

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + room.dataset.wsPath);
    socket.onopen = function () {
      attempt = 0;
      heard = true;
      socket.send(JSON.stringify({ type: "resume", after: lastSeq }));
      show("live");
    };
    socket.onmessage = function (message) {
      heard = true;
      var data;
      try {
        data = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      if (typeof data.seq === "number" && data.seq > lastSeq) {
        lastSeq = data.seq;
        refresh();
      }
    };
    socket.onclose = function (event) {
      socket = null;
      if (event.code === FORBIDDEN) {
        show("off"); // no longer a party: nothing to reconnect to
        return;
      }
      show("reconnecting");
      var delay = Math.min(MAX_DELAY_MS, 1000 * Math.pow(2, attempt));
      attempt += 1;
      setTimeout(connect, delay / 2 + Math.random() * delay / 2);
    };
  }

  setInterval(function () {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (!heard) {
      socket.close(); // a ping went unanswered: the connection is dead, start again
      return;
    }
    heard = false;
    socket.send(JSON.stringify({ type: "ping" }));
  }, HEARTBEAT_MS);

  connect();
})();
