"""The history tab: the audit trail and the field changes as one timeline."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_safe

from agreements.choices import State
from agreements.models import Agreement
from agreements.views.frame import agreement_for, dod_only, tab_page
from icp_portal.pagination import Paginator
from workflow.selectors import transition_logs_visible_to
from workflow.transitions import TRANSITION_NAMES, event_label

HISTORY_PAGE_SIZE = 50
HISTORY_CHANGES_CAP = 100


def _field_label(field) -> str:
    label = str(field.verbose_name)
    return "U.S. " + label[3:] if label.lower().startswith("us ") else label[:1].upper() + label[1:]


def _display(value) -> str:
    if value in (None, ""):
        return "—"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _field_changes(agreement: Agreement, newer_than=None, up_to=None) -> list[dict]:
    """Field changes from django-simple-history, newest first: those made after ``newer_than``
    and up to ``up_to`` (either open), at most HISTORY_CHANGES_CAP records of them."""
    history = agreement.history.select_related("history_user").order_by("-history_date", "-history_id")
    if up_to is not None:
        history = history.filter(history_date__lte=up_to)
    if newer_than is None:
        records = list(history[: HISTORY_CHANGES_CAP + 1])
    else:
        records = list(history.filter(history_date__gt=newer_than)[:HISTORY_CHANGES_CAP])
        # The record just before the window, to tell what the window's oldest change changed.
        before = history.filter(history_date__lte=newer_than).first()
        if before is not None:
            records.append(before)
    entries = []
    for newer, older in zip(records, records[1:], strict=False):
        delta = newer.diff_against(older)
        changes = []
        for change in delta.changes:
            if change.field == "state":
                continue
            field = Agreement._meta.get_field(change.field)
            changes.append(
                {
                    "field": _field_label(field),
                    "old": _display(change.old),
                    "new": _display(change.new),
                }
            )
        if changes:
            entries.append(
                {
                    "when": newer.history_date,
                    "who": newer.history_user,
                    "changes": changes,
                    "kind": "change",
                }
            )
    if records:
        first = records[-1]
        if first.history_type == "+" and (newer_than is None or first.history_date > newer_than):
            entries.append(
                {
                    "when": first.history_date,
                    "who": first.history_user,
                    "changes": [],
                    "kind": "created",
                }
            )
    return entries


@login_required
@require_safe
def agreement_history(request, reference: str):
    """The audit trail and field changes, as one timeline, newest first, HISTORY_PAGE_SIZE audit
    events a page with the field changes made in the same span of time."""
    dod_only(request)
    agreement = agreement_for(request, reference)
    logs = transition_logs_visible_to(request.user).filter(agreement=agreement).order_by("-timestamp", "-pk")
    page = Paginator(logs, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    page_logs = list(page.object_list)
    # The page covers the time from its oldest event (exclusive, unless it is the last page) up to
    # the oldest event of the page before it (the present, on the first page).
    up_to = None
    if page.has_previous():
        previous_oldest = logs[page.start_index() - 2]
        up_to = previous_oldest.timestamp
    newer_than = page_logs[-1].timestamp if page.has_next() and page_logs else None
    events = [
        {
            "when": log.timestamp,
            "who": log.actor,
            "kind": "transition" if log.transition in TRANSITION_NAMES else "event",
            "label": event_label(log.transition),
            "log": log,
            "source": State(log.source).label if log.source in State.values else "",
            "target": State(log.target).label if log.target in State.values else "",
        }
        for log in page_logs
    ]
    for change in _field_changes(agreement, newer_than=newer_than, up_to=up_to):
        events.append(
            {
                **change,
                "who": change["who"].get_full_name() or change["who"].username
                if change["who"]
                else "ICP Portal (system)",
            }
        )
    events.sort(key=lambda e: e["when"], reverse=True)
    return tab_page(request, agreement, "history", "workflow/detail_history.html", {"events": events, "page": page})
