// Live events for the signed-in user over WebSocket (/ws/me/): shown as toasts; new notifications also
// update the unread badge of the navbar bell (#nav-unread-badge).
(function () {
  var url = document.body.dataset.eventsUrl;
  if (!url || !("WebSocket" in window)) return;
  var container = document.createElement("div");
  container.id = "live-toasts";
  container.className = "toast-container position-fixed bottom-0 end-0 p-3";
  document.body.appendChild(container);
  var delay = 1000;

  function show(text, link) {
    var toast = document.createElement("div");
    toast.className = "toast align-items-center text-bg-dark border-0";
    toast.setAttribute("role", "status");
    var body = document.createElement("div");
    body.className = "toast-body";
    if (link) {
      var a = document.createElement("a");
      a.className = "link-light";
      a.href = link;
      a.textContent = text;
      body.appendChild(a);
    } else {
      body.textContent = text;
    }
    toast.appendChild(body);
    container.appendChild(toast);
    new bootstrap.Toast(toast, { delay: 8000 }).show();
  }

  function setUnread(count) {
    var badge = document.getElementById("nav-unread-badge");
    if (!badge) return;
    badge.textContent = String(count);
    badge.classList.toggle("d-none", !count);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + url);
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (e) {
      var data = JSON.parse(e.data);
      if (data.event === "organisation.verification_changed") {
        var p = data.payload;
        show(p.organisation + ": " + p.status_label + (p.message ? " — " + p.message : ""));
      } else if (data.event === "notification.created") {
        var n = data.payload;
        setUnread(n.unread);
        show(n.title, n.url);
      }
    };
    socket.onclose = function (e) {
      if (e.code === 4401) return; // not signed in
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
