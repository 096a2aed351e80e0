// The idle time-out warning, loaded as a file so the Content-Security-Policy needs no
// 'unsafe-inline'. Used by the portal's pages and the administration site alike.
(function () {
  "use strict";

  // The idle time-out warning: shortly before the server would end the session, ask whether the
  // person is still there; "Stay signed in" is a request, so the server's idle clock restarts.
  // Requests marked X-Portal-Background (status polling) are not activity, on either side.
  function wireSessionTimeout() {
    var dialog = document.getElementById("session-timeout");
    if (!dialog || typeof dialog.showModal !== "function") return;
    var idle = parseInt(dialog.dataset.idleSeconds, 10);
    var warning = parseInt(dialog.dataset.warningSeconds, 10);
    var countdown = dialog.querySelector("[data-session-countdown]");
    var deadline = 0, timer = null, ticker = null;

    function csrfToken() {
      var field = dialog.querySelector("input[name=csrfmiddlewaretoken]");
      return field ? field.value : "";
    }
    function schedule(remaining) {
      deadline = Date.now() + remaining * 1000;
      clearTimeout(timer);
      timer = setTimeout(check, Math.max(0, remaining - warning) * 1000);
    }
    function describe(seconds) {
      if (seconds >= 120) return Math.ceil(seconds / 60) + " minutes";
      return seconds + (seconds === 1 ? " second" : " seconds");
    }
    function tick() {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      countdown.textContent = describe(left);
      if (left <= 0) {
        clearInterval(ticker);
        // A little after the server's own deadline, so the reload finds the session ended and
        // lands on the sign-in page (a reload before it would count as activity).
        setTimeout(function () { window.location.reload(); }, 2500);
      }
    }
    function warn(remaining) {
      deadline = Date.now() + remaining * 1000;
      if (!dialog.open) dialog.showModal();
      clearInterval(ticker);
      tick();
      ticker = setInterval(tick, 1000);
    }
    // Another tab may have kept the session alive: ask the server before warning.
    function check() {
      fetch(dialog.dataset.statusUrl, { credentials: "same-origin", headers: { "X-Portal-Background": "1" } })
        .then(function (response) { return response.ok ? response.json() : { remaining_seconds: 0 }; })
        .then(function (data) {
          if (data.remaining_seconds > warning + 5) schedule(data.remaining_seconds);
          else warn(data.remaining_seconds);
        })
        .catch(function () { warn(Math.max(0, Math.round((deadline - Date.now()) / 1000))); });
    }
    dialog.querySelector("[data-session-stay]").addEventListener("click", function () {
      fetch(dialog.dataset.keepaliveUrl, {
        method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() }
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { window.location.reload(); return; }
          clearInterval(ticker);
          dialog.close();
          schedule(data.remaining_seconds);
        });
    });
    dialog.addEventListener("cancel", function (event) { event.preventDefault(); });
    document.addEventListener("htmx:afterRequest", function (event) {
      var headers = (event.detail.requestConfig || {}).headers || {};
      if (headers["X-Portal-Background"] !== "1" && !dialog.open) schedule(idle);
    });
    schedule(idle);
  }

  document.addEventListener("DOMContentLoaded", wireSessionTimeout);
})();
