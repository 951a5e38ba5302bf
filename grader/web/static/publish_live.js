// A published version's page: append the proving log as it streams and show
// the verdict, and the version's row in the version list, without a reload.
// (A rollback button for a newly proven version appears on the next visit.)
// Without JavaScript the page refreshes itself (<noscript> meta refresh).
(function () {
  "use strict";
  var box = document.getElementById("proving");
  if (!box || box.dataset.final === "yes" || !window.EventSource) { return; }
  var log = document.getElementById("log");
  var statusEl = document.getElementById("status");
  var done = false;
  log.textContent = "";  // the stream sends the whole log from its start
  var source = new EventSource("/author/versions/" + encodeURIComponent(box.dataset.id) + "/events");
  source.addEventListener("log", function (event) {
    JSON.parse(event.data).lines.forEach(function (line) { log.textContent += line + "\n"; });
  });
  function show(version) {
    statusEl.textContent = version.status;
    statusEl.className = "status st-" + version.status;
    var row = document.querySelector('[data-version-status="' + box.dataset.id + '"]');
    if (row) { row.textContent = version.status; }
    var active = document.querySelector('[data-version-active="' + box.dataset.id + '"]');
    if (active && version.active !== undefined) { active.textContent = version.active ? "yes" : ""; }
  }
  source.addEventListener("status", function (event) { show(JSON.parse(event.data)); });
  source.addEventListener("verdict", function (event) {
    var version = JSON.parse(event.data);
    done = true;
    source.close();
    show(version);
    var verdict = document.getElementById("verdict");
    verdict.textContent = version.verdict || "";
    verdict.hidden = false;
    box.dataset.final = "yes";
  });
  source.addEventListener("error", function () {
    if (!done && source.readyState === EventSource.CLOSED) {
      setTimeout(function () { window.location.reload(); }, 3000);
    }
  });
})();
