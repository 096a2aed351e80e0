"""The dashboard's figures, computed from the same visibility rules as every list."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.utils import timezone

from agreements.choices import REVIEW_STATES, TERMINAL_STATES, AgreementKind, State
from agreements.selectors import agreements_visible_to
from workflow.selectors import obligations_visible_to, positions_due_for


def dashboard_figures(user, *, today: dt.date | None = None) -> dict:
    """Counts over the agreements ``user`` may see (and, for DoD users, its review, position and
    obligation queues). A fixed number of queries."""
    today = today or timezone.localdate()
    visible = agreements_visible_to(user)
    by_state = dict(visible.order_by().values_list("state").annotate(n=Count("pk")))
    by_kind = dict(visible.order_by().values_list("kind").annotate(n=Count("pk")))
    total = sum(by_state.values())
    open_count = total - sum(by_state.get(s, 0) for s in TERMINAL_STATES)
    obligations = obligations_visible_to(user).filter(completed_date__isnull=True)
    return {
        "total": total,
        "open": open_count,
        "in_force": by_state.get(State.IN_FORCE, 0),
        "by_state": [
            {"key": state.value, "label": state.label, "count": by_state.get(state.value, 0)} for state in State
        ],
        "by_kind": [
            {"key": kind.value, "label": kind.label, "count": by_kind.get(kind.value, 0)} for kind in AgreementKind
        ],
        "in_review": sum(by_state.get(s, 0) for s in REVIEW_STATES),
        "expiring_within_180_days": visible.filter(
            state=State.IN_FORCE, expiration_date__gte=today, expiration_date__lte=today + dt.timedelta(days=180)
        ).count(),
        "positions_due": positions_due_for(user).count(),
        "obligations_overdue": obligations.filter(due_date__lt=today).count(),
        "obligations_open": obligations.count(),
    }
