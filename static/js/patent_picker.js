// The listing form's patent picker (templates/listings/includes/patent_picker.html): a search box over
// /owner/<slug>/patents/search.json that adds ticked boxes for the chosen patents. Without this script
// the form still works: numbers typed into "Add patents by number" are checked by the server.
(function () {
  "use strict";
  var box = document.getElementById("patent-picker");
  if (!box || !window.fetch) return;
  var search = box.querySelector(".patent-picker-search");
  var input = document.getElementById("patent-picker-query");
  var list = document.getElementById("patent-picker-results");
  var status = document.getElementById("patent-picker-status");
  var chosen = document.getElementById("patent-picker-selected");
  var url = box.dataset.searchUrl;
  var timer = null, seq = 0, active = -1, results = [];
  search.hidden = false;

  function isChosen(id) {
    return !!chosen.querySelector("input[name='patents'][value='" + id + "']");
  }

  function label(p) {
    return p.number + " — " + (p.title.length > 100 ? p.title.slice(0, 99) + "…" : p.title);
  }

  function close() {
    list.innerHTML = "";
    results = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function setActive(index) {
    var items = list.querySelectorAll("[role=option]");
    if (!items.length) return;
    active = (index + items.length) % items.length;
    items.forEach(function (item, i) {
      item.classList.toggle("active", i === active);
      item.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  }

  function pick(p) {
    if (!isChosen(p.id)) {
      var li = document.createElement("li");
      li.className = "form-check";
      var cb = document.createElement("input");
      cb.className = "form-check-input";
      cb.type = "checkbox";
      cb.name = "patents";
      cb.value = String(p.id);
      cb.id = "chosen-patent-" + p.id;
      cb.checked = true;
      var lab = document.createElement("label");
      lab.className = "form-check-label";
      lab.htmlFor = cb.id;
      lab.textContent = label(p) + (p.alive ? "" : " " + box.dataset.textExpired);
      li.appendChild(cb);
      li.appendChild(lab);
      chosen.appendChild(li);
    } else {
      chosen.querySelector("input[value='" + p.id + "']").checked = true;
    }
    status.textContent = box.dataset.textAdded + ": " + p.number;
    render(results, false, true);
  }

  function render(found, more, keepStatus) {
    list.innerHTML = "";
    results = found;
    found.forEach(function (p, i) {
      var item = document.createElement("li");
      item.id = "patent-picker-option-" + p.id;
      item.className = "list-group-item list-group-item-action small";
      item.setAttribute("role", "option");
      item.dataset.id = p.id;
      item.textContent = label(p) + (p.ipc.length ? "  ·  " + p.ipc.join(", ") : "") +
        (p.alive ? "" : " " + box.dataset.textExpired);
      if (isChosen(p.id)) {
        item.classList.add("list-group-item-success");
        item.textContent += "  ✓";
      }
      item.addEventListener("mousedown", function (e) { e.preventDefault(); });
      item.addEventListener("click", function () { active = i; pick(p); input.focus(); });
      list.appendChild(item);
    });
    input.setAttribute("aria-expanded", found.length ? "true" : "false");
    if (!keepStatus) {
      status.textContent = found.length ? (more ? box.dataset.textMore : "") : box.dataset.textNoResults;
    }
    if (active >= 0 && found.length) setActive(Math.min(active, found.length - 1));
  }

  function query() {
    var q = input.value.trim();
    if (!q) { close(); status.textContent = ""; return; }
    var mine = ++seq;
    fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [], more: false }; })
      .then(function (data) { if (mine === seq) { active = -1; render(data.results, data.more); } })
      .catch(function () { /* the typed-numbers field still works */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(query, 200);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); setActive(active + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); setActive(active - 1); }
    else if (e.key === "Enter") {
      e.preventDefault(); // never submit the listing form from the search box
      if (active >= 0 && results[active]) pick(results[active]);
      else if (results.length === 1) pick(results[0]);
    } else if (e.key === "Escape") { close(); }
  });
})();
