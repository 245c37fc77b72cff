// Suggestions for IPC code fields (inputs with data-ipc-search, e.g. the new patent's "IPC codes"): the
// part after the last comma or semicolon is looked up in /listings/ipc/search.json (by code or by title
// words) and a picked code replaces it. The field stays plain text that the server validates.
(function () {
  "use strict";
  if (!window.fetch) return;
  document.querySelectorAll("input[data-ipc-search]").forEach(function (input, n) {
    var url = input.getAttribute("data-ipc-search");
    var list = document.createElement("ul");
    list.className = "list-group ipc-picker-results";
    list.id = "ipc-picker-results-" + n;
    list.setAttribute("role", "listbox");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.insertAdjacentElement("afterend", list);
    var timer = null, seq = 0, active = -1, results = [];

    function token() {
      var parts = input.value.split(/[,;]/);
      return parts[parts.length - 1].trim();
    }
    function close() {
      list.innerHTML = ""; results = []; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function pick(r) {
      var cut = Math.max(input.value.lastIndexOf(","), input.value.lastIndexOf(";"));
      var head = cut >= 0 ? input.value.slice(0, cut + 1) + " " : "";
      input.value = head + r.code + "; ";
      close();
      input.focus();
    }
    function setActive(i) {
      var items = list.querySelectorAll("[role=option]");
      if (!items.length) return;
      active = (i + items.length) % items.length;
      items.forEach(function (item, k) {
        item.classList.toggle("active", k === active);
        item.setAttribute("aria-selected", k === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }
    function render(found) {
      close();
      results = found;
      found.forEach(function (r, i) {
        var item = document.createElement("li");
        item.id = list.id + "-" + i;
        item.className = "list-group-item list-group-item-action small";
        item.setAttribute("role", "option");
        var code = document.createElement("strong");
        code.textContent = r.code;
        item.appendChild(code);
        item.appendChild(document.createTextNode(" — "));
        var title = document.createElement("span");
        title.textContent = r.title;
        if (r.lang) title.setAttribute("lang", r.lang);
        item.appendChild(title);
        if (r.note) {
          var note = document.createElement("small");
          note.className = "text-body-secondary ipc-lang-note";
          note.textContent = " " + r.note;
          item.appendChild(note);
        }
        item.addEventListener("mousedown", function (e) { e.preventDefault(); });
        item.addEventListener("click", function () { pick(r); });
        list.appendChild(item);
      });
      input.setAttribute("aria-expanded", found.length ? "true" : "false");
    }
    function query() {
      var q = token();
      if (!q) { close(); return; }
      var mine = ++seq;
      fetch(url + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (mine === seq) render(data.results); })
        .catch(function () {});
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(query, 200); });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && results.length) { e.preventDefault(); setActive(active + 1); }
      else if (e.key === "ArrowUp" && results.length) { e.preventDefault(); setActive(active - 1); }
      else if (e.key === "Enter" && results.length) {
        e.preventDefault();
        pick(results[active >= 0 ? active : 0]);
      } else if (e.key === "Escape") { close(); }
    });
  });
})();
