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

  // A form with an error summary moves focus to it, so screen readers hear what went wrong.
  function focusErrors() {
    var summary = document.getElementById("form-errors");
    if (summary) summary.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireDialogs(document);
    wireAutosubmit(document);
    focusErrors();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    wireDialogs(event.target);
    wireAutosubmit(event.target);
  });
})();
