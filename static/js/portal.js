// ICP Portal behaviours, loaded as a file so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  "use strict";

  // A link with data-dialog="id" opens the native <dialog> of that id instead of navigating
  // (the link's own page is the fallback without JavaScript).
  function wireDialogs(root) {
    root.querySelectorAll("[data-dialog]").forEach(function (trigger) {
      if (trigger.dataset.dialogWired) return;
      trigger.dataset.dialogWired = "1";
      var dialog = document.getElementById(trigger.dataset.dialog);
      if (!dialog || typeof dialog.showModal !== "function") return;
      trigger.addEventListener("click", function (event) {
        event.preventDefault();
        dialog.showModal();
        var first = dialog.querySelector("textarea, input:not([type=hidden]), select, button");
        if (first) first.focus();
      });
    });
    root.querySelectorAll("[data-dialog-close]").forEach(function (button) {
      if (button.dataset.dialogWired) return;
      button.dataset.dialogWired = "1";
      button.addEventListener("click", function () {
        var dialog = button.closest("dialog");
        if (dialog) dialog.close();
      });
    });
  }

  // Selects marked data-autosubmit submit their form when changed (sorting, page size).
  function wireAutosubmit(root) {
    root.querySelectorAll("[data-autosubmit]").forEach(function (field) {
      if (field.dataset.autosubmitWired) return;
      field.dataset.autosubmitWired = "1";
      field.addEventListener("change", function () {
        if (field.form) field.form.requestSubmit();
      });
    });
  }

  // Every POST form carries a one-time token: submitting it twice (a double click, a reload)
  // saves once, and the second submission is shown what the first one saved.
  function newToken() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID().replace(/-/g, "");
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function wireFormTokens(root) {
    var forms = root.tagName === "FORM" ? [root] : root.querySelectorAll("form");
    Array.prototype.forEach.call(forms, function (form) {
      var method = (form.getAttribute("method") || form.getAttribute("hx-post") && "post" || "get").toLowerCase();
      if (method !== "post" || form.querySelector("input[name=form_token]")) return;
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "form_token";
      input.value = newToken();
      form.appendChild(input);
    });
  }
  // A form that stays on the page after htmx saved it gets a fresh token for its next use.
  function renewFormToken(form) {
    var input = form && form.querySelector && form.querySelector("input[name=form_token]");
    if (input) input.value = newToken();
  }

  // A form with an error summary moves focus to it, so screen readers hear what went wrong.
  function focusErrors() {
    var summary = document.getElementById("form-errors");
    if (summary) summary.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireDialogs(document);
    wireAutosubmit(document);
    wireFormTokens(document);
    focusErrors();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    wireDialogs(event.target);
    wireAutosubmit(event.target);
    wireFormTokens(event.target);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) renewFormToken(event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null);
  });

})();
