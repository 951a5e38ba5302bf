// Live status on a submission page: follow the events stream and, once the
// submission is final, swap in the server-rendered results. Without
// JavaScript the page refreshes itself instead (<noscript> meta refresh).
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || live.dataset.final === "yes" || !window.EventSource) { return; }
  var id = live.dataset.id;
  var statusEl = document.getElementById("status");
  var done = false;

  function show(status) {
    statusEl.textContent = status.replace("_", " ");
    statusEl.className = "status st-" + status;
  }

  function loadResult() {
    fetch("/submissions/" + encodeURIComponent(id) + "/result", {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        document.getElementById("result").innerHTML = html;
        var waiting = document.getElementById("waiting");
        if (waiting) { waiting.remove(); }
        live.dataset.final = "yes";
      })
      .catch(function () { window.location.reload(); });
  }

  var source = new EventSource("/submissions/" + encodeURIComponent(id) + "/events");
  source.addEventListener("status", function (event) {
    var sub = JSON.parse(event.data);
    show(sub.status);
    if (sub.status === "graded" || sub.status === "not_gradable") {
      done = true;
      source.close();
      loadResult();
    }
  });
  source.addEventListener("error", function () {
    // The server ends the stream after a final state; otherwise EventSource
    // reconnects by itself. A stream that cannot be read: fall back to polling.
    if (!done && source.readyState === EventSource.CLOSED) {
      setTimeout(function () { window.location.reload(); }, 3000);
    }
  });
})();
