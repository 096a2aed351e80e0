"""The dashboards: the DoD overview and the partner liaison's read-only view."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from agreements.choices import State
from agreements.partner_status import PARTNER_ENDED, PartnerStatus, states_with_partner_status
from agreements.selectors import agreements_visible_to, documents_visible_to
from icp_portal.pagination import Paginator

from ..selectors import DASHBOARD_PANEL_ROWS, dashboard_figures, upcoming_milestones
from .queues import require_role

LIAISON_PAGE_SIZE = 25
LIAISON_PANEL_ROWS = 10


def _chart(title: str, rows: list[dict], axis: str) -> dict:
    return {"title": title, "labels": [r["label"] for r in rows], "values": [r["count"] for r in rows], "axis": axis}


def _more_partners(count: int) -> str:
    if not count:
        return ""
    return f"And {count} more partner{pluralize(count)} with fewer open agreements."


@login_required
@require_safe
def dashboard(request):
    """DoD overview: pipeline, time in stage, partners, expirations, overdue reviews and
    obligations."""
    user = request.user
    if user.is_liaison:
        return redirect("liaison_dashboard")
    figures = dashboard_figures(user)
    by_partner = figures["by_partner"]
    charts = {
        "pipeline": _chart("Agreements by state", figures["by_state"], "Agreements"),
        "medians": {
            "title": "Median days in each stage",
            "labels": [r["label"] for r in figures["median_days"]],
            "values": [r["median"] or 0 for r in figures["median_days"]],
            "axis": "Days",
        },
        "partners": {
            **_chart("Open agreements by partner", by_partner, "Agreements"),
            "horizontal": True,
            "note": _more_partners(figures["by_partner_more"]),
        },
    }
    today = figures["today"]
    return render(
        request,
        "workflow/dashboard.html",
        {
            "expiring": figures["expiring"],
            "expiring_count": figures["expiring_within_180_days"],
            "expiring_url": reverse("agreement_list")
            + "?"
            + urlencode(
                {
                    "scope": "all",
                    "state": State.IN_FORCE,
                    "expires_after": today.isoformat(),
                    "expires_before": (today + dt.timedelta(days=180)).isoformat(),
                    "ordering": "expiration_date",
                }
            ),
            "overdue_reviews": figures["overdue_positions"],
            "overdue_positions_count": figures["overdue_positions_count"],
            "stalled": figures["stalled_reviews"],
            "stalled_count": figures["stalled_reviews_count"],
            "overdue_obligations": figures["overdue_obligations"],
            "overdue_obligations_count": figures["obligations_overdue"],
            "charts": charts,
            "overdue_review_count": figures["overdue_positions_count"] + figures["stalled_reviews_count"],
            "panel_rows": DASHBOARD_PANEL_ROWS,
            "total": figures["total"],
            "today": today,
        },
    )


@login_required
def liaison_dashboard(request):
    """A partner liaison's read-only view of the releasable agreements its nation takes part in."""
    user = request.user
    require_role(user.is_liaison, "This dashboard is for partner liaisons.")
    today = timezone.localdate()
    visible = agreements_visible_to(user)
    # Partner-facing statuses only, never the internal stage; the counts come from the dashboard
    # figures, cached per partner until something changes.
    figures = dashboard_figures(user, today=today)
    states = [{"state": r["key"], "label": r["label"], "count": r["count"]} for r in figures["by_state"] if r["count"]]
    paginator = Paginator(visible.with_list_relations().order_by("reference", "pk"), LIAISON_PAGE_SIZE)
    paginator.count = figures["total"]
    page = paginator.get_page(request.GET.get("page"))
    # The next milestones among the nearest dates of each kind (three bounded queries) of the
    # agreements that have not ended.
    ongoing = visible.exclude(state__in=states_with_partner_status(PARTNER_ENDED))
    candidates = {}
    for field in ("effective_date", "entry_into_force_date", "fixed_entry_into_force_date", "expiration_date"):
        for agreement in ongoing.filter(**{f"{field}__gte": today}).order_by(field, "pk")[:LIAISON_PANEL_ROWS]:
            candidates[agreement.pk] = agreement
    milestones = upcoming_milestones(candidates.values(), today=today, limit=LIAISON_PANEL_ROWS)
    concluded_statuses = [PartnerStatus.SIGNED, PartnerStatus.IN_FORCE]
    concluded_states = states_with_partner_status(concluded_statuses)
    concluded_keys = {status.value for status in concluded_statuses}
    concluded = list(
        visible.filter(state__in=concluded_states)
        # Signed, awaiting entry into force, first; then the most recently in force (on every
        # database alike; the index agreement_concluded_releasable serves it).
        .order_by(F("entry_into_force_date").desc(nulls_first=True), "-pk")[:LIAISON_PANEL_ROWS]
    )
    # The full count from the cached figures (partner-facing statuses), not one more query.
    concluded_count = sum(r["count"] for r in figures["by_state"] if r["key"] in concluded_keys)
    documents = list(
        documents_visible_to(user).select_related("agreement").order_by("-uploaded_at", "-pk")[:LIAISON_PANEL_ROWS]
    )
    return render(
        request,
        "workflow/liaison_dashboard.html",
        {
            "agreements": page.object_list,
            "page": page,
            "states": states,
            "milestones": milestones,
            "concluded": concluded,
            "concluded_count": concluded_count,
            "concluded_url": reverse("agreement_list")
            + "?"
            + urlencode({"status": [PartnerStatus.SIGNED, PartnerStatus.IN_FORCE]}, doseq=True),
            "documents": documents,
            "panel_rows": LIAISON_PANEL_ROWS,
            "partner": user.partner,
        },
    )
