"""Browser pages of the workflow: review queue, positions due, recording a position, the DoD
dashboard and the partner liaison's dashboard. Every write goes through workflow.services."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from agreements.forms import PositionForm, apply_service_error
from agreements.partner_status import PartnerStatus, partner_status
from agreements.selectors import agreements_visible_to, ddl_reviews_awaiting, documents_visible_to

from . import services
from .models import CoordinationRound, PositionStatus, ReportingObligation
from .selectors import (
    dashboard_figures,
    obligations_visible_to,
    positions_due_for,
    positions_visible_to,
    review_queue_for,
    upcoming_milestones,
)


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
    rows = []
    for agreement in agreements:
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
    return render(request, "workflow/review_queue.html", {"rows": rows, "now": now})


@login_required
def positions_due(request):
    """The coordinator's open positions, nearest deadline first."""
    _require(request.user.is_coordinator, "Positions due are for coordinating offices.")
    positions = positions_due_for(request.user).select_related("round__agreement__lead_organization")
    # A disclosure office also decides DDL / TS&FD reviews: the oldest requests, capped.
    ddl_reviews = ddl_reviews_awaiting(request.user)
    return render(
        request,
        "workflow/positions_due.html",
        {
            "positions": positions,
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
    return render(
        request,
        "workflow/dashboard.html",
        {
            "expiring": figures["expiring"],
            "overdue_reviews": figures["overdue_positions"],
            "stalled": figures["stalled_reviews"],
            "overdue_obligations": figures["overdue_obligations"],
            "charts": charts,
            "overdue_review_count": len(figures["overdue_positions"]) + len(figures["stalled_reviews"]),
            "total": figures["total"],
            "today": figures["today"],
        },
    )


@login_required
def liaison_dashboard(request):
    """A partner liaison's read-only view of the releasable agreements its nation takes part in."""
    user = request.user
    _require(user.is_liaison, "This dashboard is for partner liaisons.")
    today = timezone.localdate()
    agreements = agreements_visible_to(user).with_list_relations().order_by("reference")
    agreements = list(agreements)
    # Partner-facing statuses only: never the internal stage.
    by_status = Counter(partner_status(a.state) for a in agreements)
    states = [{"state": s.value, "label": s.label, "count": by_status[s]} for s in PartnerStatus if by_status[s]]
    milestones = upcoming_milestones(agreements, today=today)
    concluded = [a for a in agreements if partner_status(a.state) in (PartnerStatus.SIGNED, PartnerStatus.IN_FORCE)]
    documents = (
        documents_visible_to(user).select_related("agreement").order_by("agreement__reference", "kind", "-version")
    )
    return render(
        request,
        "workflow/liaison_dashboard.html",
        {
            "agreements": agreements,
            "states": states,
            "milestones": milestones[:10],
            "concluded": concluded,
            "documents": documents,
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
