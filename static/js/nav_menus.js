// Navigation menus are <details> elements and work without this script; it only closes an open menu when
// another opens, on a click elsewhere and on Escape (returning focus to the menu's summary).
(function () {
  var menus = Array.prototype.slice.call(document.querySelectorAll("details[data-nav-menu]"));
  if (!menus.length) return;
  function closeAll(except) {
    menus.forEach(function (m) { if (m !== except) m.open = false; });
  }
  menus.forEach(function (m) {
    m.addEventListener("toggle", function () { if (m.open) closeAll(m); });
  });
  document.addEventListener("click", function (e) {
    if (!e.target.closest || !e.target.closest("details[data-nav-menu]")) closeAll(null);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var open = menus.filter(function (m) { return m.open; })[0];
    if (open) { open.open = false; open.querySelector("summary").focus(); }
  });
})();
