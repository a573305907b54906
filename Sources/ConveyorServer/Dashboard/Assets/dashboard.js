// Conveyor's dashboard script, the only one: it refreshes the page's live regions (counts,
// charts, workers) in place. Each region names the fragment it is drawn from (data-live); the
// server draws every fragment from one shared snapshot, read at most once a second.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var interval = Number(main && main.getAttribute("data-refresh")) || 2000;
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

  function tick() {
    if (!document.hidden) regions.forEach(refresh);
  }

  setInterval(tick, interval);
  document.addEventListener("visibilitychange", tick);
})();
