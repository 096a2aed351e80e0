"""Browser pages of the workflow: review queue, positions due, recording a position, the DoD
dashboard and the partner liaison's dashboard. Every write goes through workflow.services."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from agreements.choices import REVIEW_STATES, State
from agreements.forms import PositionForm, apply_service_error
from agreements.partner_status import PARTNER_ENDED, PartnerStatus, states_with_partner_status
from agreements.selectors import agreements_visible_to, ddl_reviews_awaiting, documents_visible_to

from . import services
from .models import CoordinationRound, PositionStatus, ReportingObligation
from .selectors import (
    DASHBOARD_PANEL_ROWS,
    dashboard_figures,
    obligations_visible_to,
    positions_due_for,
    positions_visible_to,
    review_queue_for,
    upcoming_milestones,
)

QUEUE_PAGE_SIZE = 25
LIAISON_PAGE_SIZE = 25
LIAISON_PANEL_ROWS = 10


# --- role landing pages ----------------------------------------------------------------------
def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


@login_required
def review_queue(request):
    """Agreements in RAD or RFA review (``review_queue_for``): age, coordination status, nearest
    silence deadline; those stalled or past a deadline first."""
    _require(
        request.user.is_reviewer or request.user.is_portal_admin,
        "The review queue is for OUSD(A&S) reviewers.",
    )
    now = timezone.now()
    open_rounds = CoordinationRound.objects.open().prefetch_related("positions__office")
    agreements = (
        review_queue_for(request.user, now=now)
        .with_list_relations()
        .prefetch_related(Prefetch("coordination_rounds", queryset=open_rounds, to_attr="open_rounds"))
    )
    paginator = Paginator(agreements, QUEUE_PAGE_SIZE)
    # Count the agreements in review without the per-row annotations the ordering needs.
    paginator.count = agreements_visible_to(request.user).filter(state__in=REVIEW_STATES).count()
    page = paginator.get_page(request.GET.get("page"))
    rows = []
    for agreement in page.object_list:
        round_ = agreement.open_rounds[0] if agreement.open_rounds else None
        positions = list(round_.positions.all()) if round_ else []
        counts = Counter(p.status for p in positions)
        rows.append(
            {
                "agreement": agreement,
                "round": round_,
                "positions": positions,
                "age_days": (now - agreement.state_changed_at).days,
                "concurred": counts[PositionStatus.CONCUR] + counts[PositionStatus.CONCURRED_BY_SILENCE],
                "non_concurred": counts[PositionStatus.NON_CONCUR],
                "pending": sum(1 for p in positions if not p.is_answered),
                "total": len(positions),
                "nearest_deadline": agreement.nearest_deadline,
                "stalled": agreement.stalled,
                "deadline_passed": agreement.deadline_passed,
                "overdue": agreement.needs_attention,
            }
        )
    return render(request, "workflow/review_queue.html", {"rows": rows, "page": page, "now": now})


@login_required
def positions_due(request):
    """The coordinator's open positions, nearest deadline first."""
    _require(request.user.is_coordinator, "Positions due are for coordinating offices.")
    positions = positions_due_for(request.user).select_related("round__agreement__lead_organization")
    page = Paginator(positions.order_by("due_at", "pk"), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    # A disclosure office also decides DDL / TS&FD reviews: the oldest requests, capped.
    ddl_reviews = ddl_reviews_awaiting(request.user)
    return render(
        request,
        "workflow/positions_due.html",
        {
            "positions": page.object_list,
            "page": page,
            "now": timezone.now(),
            "ddl_reviews": list(ddl_reviews[:DDL_REVIEWS_SHOWN]),
            "ddl_reviews_total": ddl_reviews.count() if request.user.is_disclosure_officer else 0,
        },
    )


DDL_REVIEWS_SHOWN = 20


@login_required
def position_record(request, reference: str, pk: int):
    """Concur, non-concur or comment on one open position of the coordinator's office."""
    position = get_object_or_404(positions_visible_to(request.user), pk=pk, round__agreement__reference=reference)
    agreement = position.round.agreement
    if request.method == "POST":
        form = PositionForm(request.POST)
        if form.is_valid():
            try:
                services.coordination_position_record(
                    position=position,
                    user=request.user,
                    status=form.cleaned_data["status"],
                    comment=form.cleaned_data["comment"],
                    context=services.AuditContext.from_request(request),
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                return render(
                    request,
                    "workflow/position_form.html",
                    {"form": form, "position": position, "agreement": agreement},
                    status=403,
                )
            else:
                messages.success(
                    request,
                    f"{position.office.name}'s position on {agreement.reference} is recorded.",
                )
                return redirect(
                    "positions_due" if request.user.is_coordinator else "agreement_coordination",
                    **({} if request.user.is_coordinator else {"reference": reference}),
                )
        return render(
            request,
            "workflow/position_form.html",
            {"form": form, "position": position, "agreement": agreement},
            status=400,
        )
    initial = {
        "status": position.status
        if position.status in (PositionStatus.CONCUR, PositionStatus.NON_CONCUR, PositionStatus.COMMENT)
        else None,
        "comment": position.comment,
    }
    return render(
        request,
        "workflow/position_form.html",
        {"form": PositionForm(initial=initial), "position": position, "agreement": agreement},
    )


# --- dashboards --------------------------------------------------------------------------------
def _chart(title: str, rows: list[dict], axis: str) -> dict:
    return {"title": title, "labels": [r["label"] for r in rows], "values": [r["count"] for r in rows], "axis": axis}


@login_required
def dashboard(request):
    """DoD overview: pipeline, time in stage, partners, expirations, overdue reviews and
    obligations."""
    user = request.user
    if user.is_liaison:
        return redirect("liaison_dashboard")
    figures = dashboard_figures(user)
    by_partner = figures["by_partner"][:12]
    charts = {
        "pipeline": _chart("Agreements by state", figures["by_state"], "Agreements"),
        "medians": {
            "title": "Median days in each stage",
            "labels": [r["label"] for r in figures["median_days"]],
            "values": [r["median"] or 0 for r in figures["median_days"]],
            "axis": "Days",
        },
        "partners": {**_chart("Open agreements by partner", by_partner, "Agreements"), "horizontal": True},
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
    _require(user.is_liaison, "This dashboard is for partner liaisons.")
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
    concluded_states = states_with_partner_status([PartnerStatus.SIGNED, PartnerStatus.IN_FORCE])
    concluded = list(
        visible.filter(state__in=concluded_states).order_by("-entry_into_force_date", "-pk")[:LIAISON_PANEL_ROWS]
    )
    concluded_count = (
        visible.filter(state__in=concluded_states).count() if len(concluded) == LIAISON_PANEL_ROWS else len(concluded)
    )
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


def obligation_for(request, reference: str, pk: int) -> ReportingObligation:
    obligation = obligations_visible_to(request.user).filter(pk=pk, agreement__reference=reference).first()
    if obligation is None:
        raise Http404("No such reporting obligation.")
    return obligation


def coordination_url(reference: str) -> str:
    return reverse("agreement_coordination", kwargs={"reference": reference})


@login_required
def review_queue_remind(request):
    """Send reminders to the offices that have not answered, for the agreements ticked in the queue."""
    from .reminders import coordination_reminders_send

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _require(
        request.user.is_reviewer or request.user.is_portal_admin,
        "The review queue is for OUSD(A&S) reviewers.",
    )
    references = request.POST.getlist("agreement")[:100]
    agreements = review_queue_for(request.user).filter(reference__in=references).order_by("reference")
    if not references or not agreements:
        messages.error(request, "Tick at least one agreement under review.")
        return redirect("review_queue")
    outcomes = coordination_reminders_send(
        agreements=agreements, user=request.user, context=services.AuditContext.from_request(request)
    )
    sent = [o for o in outcomes if o.offices]
    if sent:
        messages.success(
            request,
            "Reminders sent: " + "; ".join(f"{o.reference} to {', '.join(o.offices)}" for o in sent) + ".",
        )
    skipped = [o for o in outcomes if not o.offices]
    if skipped:
        messages.info(request, "No reminder for " + "; ".join(f"{o.reference} ({o.skipped})" for o in skipped) + ".")
    return redirect("review_queue")
