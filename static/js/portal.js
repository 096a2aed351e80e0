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

  // --- SSOI sections: each form saves on its own; a pause in typing or leaving a field saves it
  // too; leaving the page with text not yet saved asks first. -----------------------------------
  var AUTOSAVE_DELAY_MS = 4000;

  function setStatus(form, text) {
    var status = form.querySelector("[data-save-status]");
    if (status) status.textContent = text;
  }

  function wireAutosave(root) {
    root.querySelectorAll("form[data-autosave]").forEach(function (form) {
      if (form.dataset.autosaveWired) return;
      form.dataset.autosaveWired = "1";
      var timer = null;
      function save() {
        clearTimeout(timer);
        if (form.dataset.dirty !== "1" || typeof htmx === "undefined") return;
        savePending(form);
        htmx.trigger(form, "autosave");
      }
      form.addEventListener("input", function () {
        form.dataset.dirty = "1";
        form.dataset.edits = String(Number(form.dataset.edits || 0) + 1);
        setStatus(form, "Not saved yet.");
        clearTimeout(timer);
        timer = setTimeout(save, AUTOSAVE_DELAY_MS);
      });
      // Leaving a field saves it, a moment later: a click on the section's Save button also
      // leaves the field, and its submit then cancels this save instead of racing it (the
      // status would otherwise end on "Saved (no change)").
      form.addEventListener("change", function () {
        clearTimeout(timer);
        timer = setTimeout(save, 250);
      });
      form.addEventListener("submit", function () {
        clearTimeout(timer);
        // Without htmx the form posts the whole page: nothing is left waiting.
        if (typeof htmx !== "undefined") savePending(form);
      });
    });
  }

  // The page's saves go one at a time (hx-sync on the sections): a save asked for while another is
  // on its way waits its turn. Until the last one asked for has its answer, the section says
  // "Saving…", not the "Saved" of an earlier answer, and leaving the page asks first.
  function savePending(form) {
    form.dataset.pending = String(Number(form.dataset.pending || 0) + 1);
    setStatus(form, "Saving…");
  }

  function saveAnswered(form) {
    var pending = Math.max(0, Number(form.dataset.pending || 0) - 1);
    if (pending) {
      form.dataset.pending = String(pending);
      setStatus(form, "Saving…");
    } else {
      delete form.dataset.pending;
    }
  }

  function unsavedForms() {
    return document.querySelectorAll(
      "form[data-autosave][data-dirty='1'], form[data-autosave][data-pending], form[data-warn-unsaved][data-dirty='1']"
    );
  }

  window.addEventListener("beforeunload", function (event) {
    if (unsavedForms().length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  document.addEventListener("submit", function (event) {
    // A full-page submit of a form is not "leaving with unsaved text".
    if (event.target.dataset) delete event.target.dataset.dirty;
  });
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-warn-unsaved")) form.dataset.dirty = "1";
  });

  // A save that succeeded leaves the form clean, unless the user typed on while it was sent.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.matches && form.matches("form[data-autosave]")) form.dataset.sentEdits = form.dataset.edits || "0";
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches("form[data-autosave]")) return;
    if (event.detail.successful && (form.dataset.edits || "0") === form.dataset.sentEdits) delete form.dataset.dirty;
    saveAnswered(form);
  });

  // A refused section save (400) comes back with its errors: show it in place.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if ((status === 400 || status === 403) && elt && elt.closest && elt.closest("[data-ssoi-section]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:responseError", function (event) {
    var form = event.detail.elt;
    if (form && form.matches && form.matches("form[data-autosave]")) {
      setStatus(form, "Not saved: the portal did not answer. Your text is still here; try Save again.");
    }
  });
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt;
    if (form && form.matches && form.matches("form[data-autosave]")) {
      setStatus(form, "Not saved: no connection. Your text is still here; try Save again.");
    }
  });

  // --- the list's filter panel collapses on narrow screens ---------------------------------------
  function collapseFilters() {
    document.querySelectorAll("details[data-collapse-below]").forEach(function (panel) {
      // Strictly below the width, where USWDS's own breakpoints (min-width) stop applying.
      var query = window.matchMedia("not all and (min-width: " + panel.dataset.collapseBelow + ")");
      if (query.matches) panel.open = false;
    });
  }

  // --- new proposal: the kind decides the fields; partners are searched and ticked; the lead is
  // chosen among the ticked partners. ---------------------------------------------------------------
  function wireProposalForm(root) {
    var form = root.querySelector("form[data-proposal-form]");
    if (!form || form.dataset.proposalWired) return;
    form.dataset.proposalWired = "1";

    function kind() {
      var checked = form.querySelector("input[name=kind]:checked");
      return checked ? checked.value : "";
    }
    function showKindFields() {
      var current = kind();
      form.querySelectorAll("[data-kinds]").forEach(function (group) {
        var show = group.dataset.kinds.split(" ").indexOf(current) !== -1;
        group.hidden = !show;
        group.querySelectorAll("input, select, textarea").forEach(function (field) { field.disabled = !show; });
      });
      var parent = form.querySelector("select[name=parent]");
      if (parent) {
        parent.querySelectorAll("option[data-parent-for]").forEach(function (option) {
          var fits = option.dataset.parentFor.split(" ").indexOf(current) !== -1;
          option.hidden = !fits;
          option.disabled = !fits;
          if (!fits && option.selected) parent.value = "";
        });
      }
    }
    form.querySelectorAll("input[name=kind]").forEach(function (radio) {
      radio.addEventListener("change", showKindFields);
    });
    showKindFields();

    var search = form.querySelector("[data-partner-search]");
    var list = form.querySelector("[data-partner-list]");
    var lead = form.querySelector("select[name=lead_partner]");
    var count = form.querySelector("[data-partner-count]");
    function syncLead() {
      if (!list) return;
      var ticked = {};
      var names = [];
      list.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        if (box.checked) {
          ticked[box.value] = true;
          var label = form.querySelector("label[for='" + box.id + "']");
          names.push(label ? label.textContent.trim() : box.value);
        }
      });
      if (count) count.textContent = names.length ? "Chosen: " + names.join(", ") : "No partner chosen yet.";
      if (!lead) return;
      lead.querySelectorAll("option").forEach(function (option) {
        if (!option.value) return;
        var on = !!ticked[option.value];
        option.hidden = !on;
        option.disabled = !on;
        if (!on && option.selected) lead.value = "";
      });
    }
    if (search && list) {
      search.addEventListener("input", function () {
        var needle = search.value.trim().toLowerCase();
        var shown = 0;
        list.querySelectorAll("[data-partner-option]").forEach(function (item) {
          var match = !needle || item.dataset.partnerOption.indexOf(needle) !== -1;
          item.hidden = !match;
          if (match) shown += 1;
        });
        var none = form.querySelector("[data-partner-none]");
        if (none) none.hidden = shown !== 0;
      });
      list.addEventListener("change", syncLead);
      syncLead();
    }
  }

  // The signature dialog fills in the signatory expected for the party chosen (still editable).
  function wireSignatories(root) {
    root.querySelectorAll("select[data-signatory-source]").forEach(function (select) {
      if (select.dataset.signatoryWired) return;
      select.dataset.signatoryWired = "1";
      var form = select.form;
      function fill() {
        var option = select.options[select.selectedIndex];
        if (!option || !form) return;
        var name = form.querySelector("input[data-signatory-name]");
        var title = form.querySelector("input[data-signatory-title]");
        if (name && (!name.value || name.dataset.prefilled === "1")) {
          name.value = option.dataset.signatoryName || "";
          name.dataset.prefilled = "1";
        }
        if (title && (!title.value || title.dataset.prefilled === "1")) {
          title.value = option.dataset.signatoryTitle || "";
          title.dataset.prefilled = "1";
        }
      }
      select.addEventListener("change", fill);
      form.querySelectorAll("input[data-signatory-name], input[data-signatory-title]").forEach(function (input) {
        input.addEventListener("input", function () { input.dataset.prefilled = "0"; });
      });
      fill();
    });
  }

  // A table container that scrolls sideways (on a phone) can be focused and scrolled with the
  // keyboard, and is named after its table.
  function labelScrollingTables(root) {
    root.querySelectorAll(".portal-table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        var caption = wrap.querySelector("caption");
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", (caption ? caption.textContent.trim() : "Table") + " (scrolls sideways)");
      } else if (wrap.getAttribute("role") === "region") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { labelScrollingTables(document); }, 200);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.documentElement.classList.remove("no-js");
    labelScrollingTables(document);
    wireSignatories(document);
    wireDialogs(document);
    wireAutosubmit(document);
    wireAutosave(document);
    wireProposalForm(document);
    collapseFilters();
    wireFormTokens(document);
    focusErrors();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    labelScrollingTables(event.target.parentElement || document);
    wireDialogs(event.target);
    wireAutosubmit(event.target);
    wireAutosave(event.target);
    wireFormTokens(event.target);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) renewFormToken(event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null);
  });

})();
