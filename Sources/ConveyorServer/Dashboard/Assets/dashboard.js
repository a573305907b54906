// Conveyor's dashboard script, the only one: it refreshes the page's live regions (counts,
// charts, workers, a job) in place. Each region names the fragment it is drawn from (data-live);
// the server draws every fragment from one shared snapshot, read at most once a second. A region
// that names an event stream (data-events: the session's customer's job events, Server-Sent
// Events) is redrawn when an event arrives — a burst is one redraw — as well as on the timer, or
// only then with data-follow="events" (a job's page: nothing changes it but its events).
(function () {
  "use strict";
  var main = document.getElementById("main");
  var interval = Number(main && main.getAttribute("data-refresh")) || 2000;
  var regions = Array.prototype.slice.call(document.querySelectorAll("[data-live]"));
  if (regions.length === 0) return;
  var kinds = ["job.enqueued", "job.started", "job.progress", "job.completed", "job.failed", "job.dead",
    "job.cancelled", "reset"];

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
