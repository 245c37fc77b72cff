// Deal room: keep the counter-offer form current (no dependencies). static/js/dealroom.js swaps the live
// sections after each move and fires "dealroom:updated" on #deal-room; the counter-offer form is not a live
// section (what is typed is never lost). While nobody has touched it, this script replaces it with a fresh
// copy from the live URL (?form=offer): prefilled from the latest version and made against it, so a party
// answering the version that just appeared is not told it is stale. A form someone has started to fill keeps
// everything; sending it then says "the other side has just made version N" and shows that version.
(function () {
  "use strict";
  var room = document.getElementById("deal-room");
  if (!room || !window.fetch) return;

  function touched(form) {
    var active = document.activeElement;
    if (active && form.contains(active) && !/^(BUTTON)$/.test(active.tagName)) return true;
    for (var i = 0; i < form.elements.length; i++) {
      var el = form.elements[i];
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

  function pristine() {
    var form = document.getElementById("offer-form");
    return !form || !touched(form);
  }

  var busy = false;
  room.addEventListener("dealroom:updated", function () {
    var holder = document.getElementById("counter-offer-holder");
    if (!holder || busy || !pristine()) return;
    busy = true;
    var url = room.dataset.liveUrl + (room.dataset.liveUrl.indexOf("?") < 0 ? "?" : "&") + "form=offer";
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.forms || typeof data.forms.offer !== "string" || !pristine()) return;
        var details = holder.querySelector("details");
        var wasOpen = details && details.open;
        holder.innerHTML = data.forms.offer;
        var fresh = holder.querySelector("details");
        if (fresh && wasOpen) fresh.open = true;
      })
      .catch(function () { /* the next update tries again */ })
      .then(function () { busy = false; });
  });
})();
