// Conveyor's dashboard script, the only one: it refreshes the page's live regions (counts,
// charts, workers, a job) in place. Each region names the fragment it is drawn from (data-live);
// the server draws every fragment from one shared snapshot, read at most once a second. A region
// that names an event stream (data-events: the session's customer's job events, Server-Sent
// Events) is redrawn when an event arrives — a burst is one redraw — as well as on the timer, or
// only then with data-follow="events" (a job's page: nothing changes it but its events). A job
// list (data-rows) is not redrawn — its checkboxes and place would be lost —: each event sets the
// state and attempt of its job's row in place, and a new job that the list's filters would show
// is announced on the newest page.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var interval = Number(main && main.getAttribute("data-refresh")) || 2000;
  var kinds = ["job.enqueued", "job.started", "job.progress", "job.completed", "job.failed", "job.dead",
    "job.cancelled", "reset"];
  // The state a job is in after each event (job.enqueued: by its run_at; job.progress: unchanged).
  var stateAfter = { "job.started": "running", "job.completed": "completed", "job.failed": "retryable",
    "job.dead": "dead", "job.cancelled": "cancelled" };

  function followRows(list) {
    var url = list.getAttribute("data-events");
    if (!url || typeof EventSource === "undefined") return;
    var source = new EventSource(url, { withCredentials: true });
    var notice = list.querySelector("[data-test='new-jobs']");
    function shown(data, state) {
      var customer = list.getAttribute("data-customer");
      var type = list.getAttribute("data-type");
      var wanted = list.getAttribute("data-state");
      return (!customer || customer === data.customer) && (!type || type === data.type) &&
        (!wanted || wanted === state);
    }
    kinds.forEach(function (kind) {
      source.addEventListener(kind, function (message) {
        var data;
        try { data = JSON.parse(message.data); } catch (error) { return; }
        if (!data || typeof data.job_id !== "string") return;
        var row = list.querySelector("tr[data-job='" + data.job_id.replace(/[^0-9A-Za-z-]/g, "") + "']");
        if (row === null) {
          if (kind === "job.enqueued" && notice && list.hasAttribute("data-first-page") &&
              !list.hasAttribute("data-searched")) {
            var later = data.run_at && Date.parse(data.run_at) > Date.now();
            if (shown(data, later ? "scheduled" : "available")) notice.hidden = false;
          }
          return;
        }
        var state = stateAfter[kind];
        var badge = row.querySelector("[data-test='state']");
        if (state && badge) {
          badge.textContent = state;
          badge.className = "state state-" + state;
        }
        var attempt = row.querySelector("[data-test='attempt']");
        if (attempt && typeof data.attempt === "number") attempt.textContent = String(data.attempt);
      });
    });
  }
  Array.prototype.slice.call(document.querySelectorAll("[data-rows]")).forEach(followRows);

  var regions = Array.prototype.slice.call(document.querySelectorAll("[data-live]"));
  if (regions.length === 0) return;

  function refresh(region) {
    // Not while a control in the region has focus: replacing it would throw the keyboard user out.
    if (region.contains(document.activeElement)) return;
    fetch(region.getAttribute("data-live"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        // Signed out or expired: the fragment was answered with the sign-in page.
        if (response.redirected) {
          window.location.reload();
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (typeof html === "string" && !region.contains(document.activeElement)) region.innerHTML = html;
      })
      .catch(function () {
        // The server is away for a moment: the next tick tries again.
      });
  }

  var timed = regions.filter(function (region) { return region.getAttribute("data-follow") !== "events"; });

  function tick() {
    if (!document.hidden) timed.forEach(refresh);
  }

  // One stream per region that asks for one; a burst of events is one redraw a second.
  regions.forEach(function (region) {
    var url = region.getAttribute("data-events");
    if (!url || typeof EventSource === "undefined") return;
    var due = null;
    var source = new EventSource(url, { withCredentials: true });
    var redraw = function () {
      if (due !== null) return;
      due = setTimeout(function () {
        due = null;
        refresh(region);
      }, 250);
    };
    kinds.forEach(function (kind) { source.addEventListener(kind, redraw); });
  });

  setInterval(tick, interval);
  document.addEventListener("visibilitychange", tick);
})();
