"""Browser pages of the workflow: review queue, positions due, recording a position, the DoD
dashboard and the partner liaison's dashboard. Every write goes through workflow.services."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from agreements.choices import LIFECYCLE_STEPS, REVIEW_STATES, TERMINAL_STATES, State
from agreements.forms import PositionForm, apply_service_error
from agreements.models import Agreement, Participant
from agreements.selectors import agreements_visible_to, documents_visible_to

from . import services
from .models import CoordinationRound, PositionStatus, ReportingObligation, TransitionLog
from .selectors import obligations_visible_to, positions_due_for, positions_visible_to
from .transitions import TRANSITION_NAMES


# --- time spent in each stage (from the audit trail) -----------------------------------------
def _stage_spans(created_at, state_changes, current_state, now) -> dict[str, dt.timedelta]:
    """Time spent in each state, given the state-changing audit rows of one agreement in order."""
    spans: dict[str, dt.timedelta] = defaultdict(dt.timedelta)
    entered = created_at
    for source, _target, timestamp in state_changes:
        spans[source] += timestamp - entered
        entered = timestamp
    if current_state not in TERMINAL_STATES:
        spans[current_state] += now - entered
    return spans


def stage_durations(agreement: Agreement) -> dict[str, dt.timedelta]:
    """How long one agreement has spent (or is spending) in each stage."""
    changes = (
        TransitionLog.objects.filter(agreement=agreement, transition__in=TRANSITION_NAMES)
        .exclude(source=F("target"))
        .order_by("timestamp", "pk")
        .values_list("source", "target", "timestamp")
    )
    return _stage_spans(agreement.created_at, list(changes), agreement.state, timezone.now())


def median_days_per_stage(agreements) -> list[dict]:
    """The median number of days agreements spent in each main-line stage (two queries)."""
    created = dict(agreements.values_list("pk", "created_at"))
    states = dict(agreements.values_list("pk", "state"))
    rows = (
        TransitionLog.objects.filter(agreement_id__in=list(created), transition__in=TRANSITION_NAMES)
        .exclude(source=F("target"))
        .order_by("agreement_id", "timestamp", "pk")
        .values_list("agreement_id", "source", "target", "timestamp")
    )
    per_agreement: dict[int, list] = defaultdict(list)
    for agreement_id, source, target, timestamp in rows:
        per_agreement[agreement_id].append((source, target, timestamp))
    samples: dict[str, list[float]] = defaultdict(list)
    now = timezone.now()
    for agreement_id, created_at in created.items():
        spans = _stage_spans(created_at, per_agreement.get(agreement_id, []), states[agreement_id], now)
        for state, span in spans.items():
            samples[state].append(span.total_seconds() / 86400)
    return [
        {
            "state": state,
            "label": State(state).label,
            "median": round(statistics.median(samples[state]), 1) if samples[state] else None,
            "count": len(samples[state]),
        }
        for state in LIFECYCLE_STEPS
    ]


# --- role landing pages ----------------------------------------------------------------------
def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


@login_required
def review_queue(request):
    """Agreements in RAD or RFA review: age, coordination status, nearest silence deadline;
    overdue ones first."""
    _require(
        request.user.is_reviewer or request.user.is_portal_admin,
        "The review queue is for OUSD(A&S) reviewers.",
    )
    now = timezone.now()
    open_rounds = CoordinationRound.objects.open().prefetch_related("positions__office")
    agreements = (
        agreements_visible_to(request.user)
        .filter(state__in=REVIEW_STATES)
        .with_list_relations()
        .prefetch_related(Prefetch("coordination_rounds", queryset=open_rounds, to_attr="open_rounds"))
    )
    rows = []
    for agreement in agreements:
        round_ = agreement.open_rounds[0] if agreement.open_rounds else None
        positions = list(round_.positions.all()) if round_ else []
        counts = Counter(p.status for p in positions)
        pending = [p for p in positions if not p.is_answered]
        nearest = min((p.due_at for p in pending), default=None)
        overdue = [p for p in pending if p.due_at <= now]
        age = now - agreement.state_changed_at
        stalled_days = settings.STALLED_STAGE_DAYS.get(agreement.state)
        rows.append(
            {
                "agreement": agreement,
                "round": round_,
                "positions": positions,
                "age_days": age.days,
                "concurred": counts[PositionStatus.CONCUR] + counts[PositionStatus.CONCURRED_BY_SILENCE],
                "non_concurred": counts[PositionStatus.NON_CONCUR],
                "pending": len(pending),
                "total": len(positions),
                "nearest_deadline": nearest,
                "overdue": bool(overdue) or (stalled_days is not None and age.days > stalled_days),
            }
        )
    rows.sort(
        key=lambda r: (
            not r["overdue"],
            r["nearest_deadline"] or now + dt.timedelta(days=3650),
            -r["age_days"],
        )
    )
    return render(request, "workflow/review_queue.html", {"rows": rows, "now": now})


@login_required
def positions_due(request):
    """The coordinator's open positions, nearest deadline first."""
    _require(request.user.is_coordinator, "Positions due are for coordinating offices.")
    positions = positions_due_for(request.user).select_related("round__agreement__lead_organization")
    return render(request, "workflow/positions_due.html", {"positions": positions, "now": timezone.now()})


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
@login_required
def dashboard(request):
    """DoD overview: pipeline, time in stage, partners, expirations, overdue reviews and
    obligations."""
    user = request.user
    if user.is_liaison:
        return redirect("liaison_dashboard")
    today = timezone.localdate()
    now = timezone.now()
    visible = agreements_visible_to(user)
    by_state = dict(visible.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    pipeline = [{"state": s, "label": State(s).label, "count": by_state.get(s, 0)} for s in State.values]
    medians = median_days_per_stage(visible)
    by_partner = (
        Participant.objects.filter(agreement__in=visible.open())
        .values("partner__name")
        .annotate(n=Count("agreement", distinct=True))
        .order_by("-n", "partner__name")[:12]
    )
    expiring = (
        visible.filter(
            state=State.IN_FORCE,
            expiration_date__gte=today,
            expiration_date__lte=today + dt.timedelta(days=180),
        )
        .select_related("lead_organization")
        .order_by("expiration_date")
    )
    overdue_reviews = (
        positions_visible_to(user)
        .filter(
            round__closed_at__isnull=True,
            status__in=[PositionStatus.PENDING, PositionStatus.COMMENT],
            due_at__lte=now,
        )
        .order_by("due_at")
    )
    stalled = [
        a
        for a in visible.filter(state__in=REVIEW_STATES).select_related("lead_organization")
        if (now - a.state_changed_at).days > settings.STALLED_STAGE_DAYS.get(a.state, 10_000)
    ]
    overdue_reviews = list(overdue_reviews)
    overdue_obligations = obligations_visible_to(user).filter(completed_date__isnull=True, due_date__lt=today)
    charts = {
        "pipeline": {
            "title": "Agreements by state",
            "labels": [r["label"] for r in pipeline],
            "values": [r["count"] for r in pipeline],
            "axis": "Agreements",
        },
        "medians": {
            "title": "Median days in each stage",
            "labels": [r["label"] for r in medians],
            "values": [r["median"] or 0 for r in medians],
            "axis": "Days",
        },
        "partners": {
            "title": "Open agreements by partner",
            "labels": [r["partner__name"] for r in by_partner],
            "values": [r["n"] for r in by_partner],
            "axis": "Agreements",
            "horizontal": True,
        },
    }
    return render(
        request,
        "workflow/dashboard.html",
        {
            "pipeline": pipeline,
            "medians": medians,
            "by_partner": by_partner,
            "expiring": expiring,
            "overdue_reviews": overdue_reviews,
            "stalled": stalled,
            "overdue_obligations": overdue_obligations,
            "charts": charts,
            "overdue_review_count": len(overdue_reviews) + len(stalled),
            "total": sum(by_state.values()),
            "today": today,
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
    by_state = Counter(a.state for a in agreements)
    states = [{"state": s, "label": State(s).label, "count": by_state[s]} for s in State.values if by_state[s]]
    milestones = []
    for a in agreements:
        for label, date in (
            ("Takes effect", a.effective_date),
            ("Enters into force", a.entry_into_force_date),
            ("Expires", a.expiration_date),
        ):
            if date and date >= today:
                milestones.append({"agreement": a, "label": label, "date": date})
    milestones.sort(key=lambda m: m["date"])
    concluded = [a for a in agreements if a.state in (State.SIGNING, State.IN_FORCE)]
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
