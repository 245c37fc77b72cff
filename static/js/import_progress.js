// Live progress of a bulk import: polls the job's status.json every second until it finishes,
// then shows the per-row report and the links. Text comes from the page (translated) or the JSON.
(function () {
  var root = document.getElementById("import-job");
  if (!root || root.dataset.finished === "true") return;
  var labels = JSON.parse(document.getElementById("import-labels").textContent);
  var url = root.dataset.statusUrl;
  var failures = 0;

  function byId(id) { return document.getElementById(id); }

  function setText(el, text) { if (el) el.textContent = text; }

  function badge(status, label) {
    var span = document.createElement("span");
    var css = { succeeded: "text-bg-success", failed: "text-bg-danger", running: "text-bg-primary" }[status];
    span.className = "badge " + (css || "text-bg-secondary");
    span.textContent = label;
    var holder = byId("import-status-badge");
    holder.replaceChildren(span);
  }

  function link(href, text, primary) {
    var a = document.createElement("a");
    a.href = href;
    a.className = "btn " + (primary ? "btn-primary" : "btn-outline-secondary");
    a.textContent = text;
    return a;
  }

  function showReport(data) {
    var body = byId("import-problems").tBodies[0];
    body.replaceChildren();
    data.problems.forEach(function (p) {
      var tr = document.createElement("tr");
      tr.className = p.level === "warning" ? "table-warning" : "table-danger";
      var row = p.row ? (p.unit === "line" ? labels.line + " " : "") + p.row : "—";
      [row, p.column || "—", p.level === "warning" ? labels.warning : labels.error, p.message].forEach(function (text) {
        var td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    byId("import-problems-wrap").classList.toggle("d-none", data.problems.length === 0);
    byId("import-no-problems").classList.toggle("d-none", data.problems.length > 0);
    byId("import-truncated").classList.toggle("d-none", !data.problems_truncated);
    var links = byId("import-links");
    links.replaceChildren(link(data.links.again, labels.again, true));
    if (data.links.report) links.appendChild(link(data.links.report, labels.report));
    if (data.links.listings) links.appendChild(link(data.links.listings, labels.listings));
    links.appendChild(link(data.links.organisation, labels.organisation));
    byId("import-report").hidden = false;
  }

  function render(data) {
    var bar = byId("import-progress-bar");
    bar.style.width = data.percent + "%";
    byId("import-progress").setAttribute("aria-valuenow", data.percent);
    setText(byId("import-percent"), data.percent + " %");
    setText(byId("import-stage"), data.stage_label);
    badge(data.status, data.status_label);
    root.querySelectorAll("[data-count]").forEach(function (el) {
      var value = data[el.dataset.count];
      if (value !== undefined) el.textContent = value;
    });
    var message = byId("import-message");
    message.textContent = data.message;
    message.classList.toggle("d-none", !data.message);
    if (data.finished) {
      bar.classList.remove("progress-bar-striped", "progress-bar-animated");
      bar.classList.add(data.succeeded ? "bg-success" : "bg-danger");
      message.classList.toggle("alert-danger", !data.succeeded);
      message.classList.toggle("alert-warning", data.succeeded);
      showReport(data);
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        render(data);
        if (!data.finished) setTimeout(poll, 1000);
      })
      .catch(function () {
        failures += 1;
        setText(byId("import-stage"), labels.retrying);
        setTimeout(poll, Math.min(1000 * Math.pow(2, failures), 30000));
      });
  }

  setTimeout(poll, 1000);
})();
