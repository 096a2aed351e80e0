"""Shared reads of the workflow: audit trail, coordination, obligations, as each user may see them."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Case, Count, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from agreements.choices import LIFECYCLE_STEPS, REVIEW_STATES, TERMINAL_STATES, AgreementKind, DocumentKind, State
from agreements.models import Agreement, Participant
from agreements.partner_status import PARTNER_ENDED, PartnerStatus, partner_status
from agreements.selectors import agreements_visible_to
from partners.models import CoordinatingOffice

from .models import (
    AWAITED_POSITION_STATUSES,
    CoordinationPosition,
    CoordinationRound,
    PositionStatus,
    ReportingObligation,
    TransitionLog,
)
from .transitions import TRANSITION_NAMES, TransitionName

if TYPE_CHECKING:
    from agreements.selectors import Viewer


def restrict_to_visible(queryset: QuerySet, user: Viewer, field: str = "agreement") -> QuerySet:
    """``queryset`` limited to rows whose agreement ``user`` may see. When that is every
    agreement (``agreements_visible_to`` filters nothing, as for DoD users), no filter is added,
    so the database is not asked to match each row against the whole agreement table."""
    visible = agreements_visible_to(user)
    if not visible.query.where and not visible.query.is_empty():
        return queryset
    return queryset.filter(**{f"{field}__in": visible})


def transition_logs_visible_to(user: Viewer) -> QuerySet[TransitionLog]:
    """The audit trail of visible agreements, for DoD users only. A partner liaison gets none:
    the internal transitions (a return for revision, a disapproval), their states and their
    timestamps would reveal U.S.-internal steps and delays; partners read the partner-facing
    status instead."""
    if user is None or not user.is_authenticated or user.is_liaison:
        return TransitionLog.objects.none()
    logs = restrict_to_visible(TransitionLog.objects.all(), user)
    return logs.select_related("user", "agreement")


def positions_visible_to(user: Viewer) -> QuerySet[CoordinationPosition]:
    """Coordination positions are internal: never shown to a liaison."""
    if user is None or not user.is_authenticated or user.is_liaison:
        return CoordinationPosition.objects.none()
    return CoordinationPosition.objects.select_related("round__agreement", "office", "responded_by")


def positions_due_for(user: Viewer, *, now: dt.datetime | None = None) -> QuerySet[CoordinationPosition]:
    """Open positions of the coordinator's own office, nearest deadline first. A position left
    unanswered past its deadline is no longer due: the office is deemed to concur (at once, even
    before the silence sweep records it)."""
    if user is None or not user.is_authenticated or not user.is_coordinator:
        return CoordinationPosition.objects.none()
    now = now or timezone.now()
    return (
        positions_visible_to(user)
        # ``round_open`` is the round's ``closed_at IS NULL``, kept on the position: with the
        # partial index ``position_open_office_due`` the page walks the office's open positions
        # in deadline order and stops at its last row, however many rounds are open.
        .filter(office_id=user.coordinating_office_id, round_open=True)
        .exclude(status=PositionStatus.CONCURRED_BY_SILENCE)
        .exclude(status__in=AWAITED_POSITION_STATUSES, due_at__lte=now)
        .order_by("due_at")
    )


def obligations_visible_to(user: Viewer) -> QuerySet[ReportingObligation]:
    """Reporting obligations are internal: DoD users see those of the agreements they see."""
    if user is None or not user.is_authenticated or user.is_liaison:
        return ReportingObligation.objects.none()
    return restrict_to_visible(ReportingObligation.objects.all(), user).select_related("agreement")


def coordination_rounds_visible_to(user: Viewer) -> QuerySet[CoordinationRound]:
    """Coordination rounds are internal: never shown to a liaison."""
    if user is None or not user.is_authenticated or user.is_liaison:
        return CoordinationRound.objects.none()
    return restrict_to_visible(CoordinationRound.objects.all(), user)


# --- returned for revision ----------------------------------------------------------------------
RETURN = TransitionName.RETURN_FOR_REVISION


def _last_state_change() -> QuerySet[TransitionLog]:
    return (
        TransitionLog.objects.filter(agreement=OuterRef("pk"), transition__in=TRANSITION_NAMES)
        .exclude(source=F("target"))
        .order_by("-timestamp", "-pk")
    )


def open_returns(agreements: Iterable[Agreement], user: Viewer) -> dict[int, TransitionLog]:
    """For DoD users: the return-for-revision each agreement is still answering (its last state
    change was a return; it ends when the program office resubmits), by agreement id. Two queries
    whatever the number of agreements. Liaisons never learn of a return."""
    if user is None or not user.is_authenticated or user.is_liaison:
        return {}
    ids = [a.pk for a in agreements]
    if not ids:
        return {}
    last = (
        Agreement.objects.filter(pk__in=ids)
        .annotate(last_log=Subquery(_last_state_change().values("pk")[:1]))
        .values_list("last_log", flat=True)
    )
    logs = TransitionLog.objects.filter(pk__in=[pk for pk in last if pk], transition=RETURN).select_related("user")
    return {log.agreement_id: log for log in logs}


def open_return(agreement: Agreement, user: Viewer) -> TransitionLog | None:
    """The return-for-revision ``agreement`` is still answering, or None."""
    return open_returns([agreement], user).get(agreement.pk)


# --- what a submission sends ---------------------------------------------------------------------
def submission_summary(agreement: Agreement, name: str) -> dict:
    """What ``submit_rad`` or ``submit_rfa`` sends up: SSOI completeness, the texts attached (current
    versions) and the offices that will coordinate, for the confirmation before submitting."""
    ssoi = getattr(agreement, "ssoi", None)
    done, total = ssoi.completeness() if ssoi is not None else (0, 0)
    kinds = (
        [DocumentKind.DRAFT_TEXT, DocumentKind.DDL]
        if name == TransitionName.SUBMIT_RAD
        else [DocumentKind.NEGOTIATED_TEXT, DocumentKind.DDL]
    )
    latest: dict[str, object] = {}
    for document in agreement.documents.current().filter(kind__in=kinds).order_by("kind", "-version"):
        latest.setdefault(document.kind, document)
    return {
        "stage": "RAD" if name == TransitionName.SUBMIT_RAD else "RFA",
        "ssoi_done": done,
        "ssoi_total": total,
        "ssoi_missing": [s.label for s in ssoi.missing_sections()] if ssoi is not None else [],
        "ssoi_reviewed_at": getattr(ssoi, "reviewed_at", None),
        "documents": [latest[k] for k in kinds if k in latest],
        "offices": list(CoordinatingOffice.objects.filter(coordinates_by_default=True, active=True).order_by("name")),
        "silence_days": settings.SILENCE_PERIOD_DAYS,
    }


# --- stalled agreements and the review queue ---------------------------------------------------
def stalled_condition(now: dt.datetime | None = None) -> Q:
    """The one definition of "stalled": the agreement has stayed in its current state for more
    than ``STALLED_STAGE_DAYS[state]`` days (strictly more: entered it before ``now - limit``).
    States without a limit never stall. Reminders, the dashboard, the review queue and the API
    all use this condition."""
    now = now or timezone.now()
    condition = Q(pk__in=[])
    for state, limit in settings.STALLED_STAGE_DAYS.items():
        condition |= Q(state=state, state_changed_at__lt=now - dt.timedelta(days=limit))
    return condition


def agreements_stalled(queryset: QuerySet[Agreement], *, now: dt.datetime | None = None) -> QuerySet[Agreement]:
    """The agreements of ``queryset`` that are stalled (see ``stalled_condition``)."""
    return queryset.filter(stalled_condition(now))


def review_queue_for(user: Viewer, *, now: dt.datetime | None = None) -> QuerySet[Agreement]:
    """The review queue: agreements in RAD or RFA review that ``user`` may see, each annotated
    with ``stalled`` (the one definition), ``nearest_deadline`` (the earliest silence deadline
    still awaited in its open round), ``deadline_passed`` (an awaited position is past its
    deadline) and ``needs_attention`` (either). Those needing attention first, then the nearest
    deadline, then the longest in review. One query, however long the queue; the browser page,
    the dashboard and the API all read it (a partner liaison gets nothing).

    The earliest awaited deadline of each agreement's open round (an awaited position is past its
    deadline exactly when that one is) is kept on the agreement's row, ``awaited_deadline``, by
    the coordination services (``workflow.services.awaited_deadlines_refresh``): the order is
    read from the partial index ``agreement_review_queue`` alone, without a look at the rounds."""
    now = now or timezone.now()
    stalled = stalled_condition(now)
    queue = (
        agreements_visible_to(user)
        .filter(state__in=REVIEW_STATES)
        .annotate(
            stalled=Case(When(stalled, then=Value(True)), default=Value(False), output_field=BooleanField()),
            nearest_deadline=F("awaited_deadline"),
        )
        .annotate(
            deadline_passed=Case(
                When(nearest_deadline__lte=now, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .annotate(
            needs_attention=Case(
                When(Q(stalled=True) | Q(deadline_passed=True), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by(F("needs_attention").desc(), F("nearest_deadline").asc(nulls_last=True), "state_changed_at", "pk")
    )
    if user is None or not user.is_authenticated or user.is_liaison:
        return queue.none()
    return queue


# --- the partner liaison's dashboard ------------------------------------------------------------
MILESTONES_SHOWN = 10


def upcoming_milestones(
    agreements: Iterable[Agreement], *, today: dt.date, limit: int = MILESTONES_SHOWN
) -> list[dict]:
    """The next dated milestones of ``agreements`` from ``today`` on, soonest first: taking
    effect, entry into force, expiry. Dates already past are skipped, and so is what no longer
    lies ahead (entry into force once in force, any date of an agreement that has ended)."""
    milestones = []
    for agreement in agreements:
        status = partner_status(agreement.state)
        if status in PARTNER_ENDED:
            continue
        candidates = [("Takes effect", agreement.effective_date), ("Expires", agreement.expiration_date)]
        if status != PartnerStatus.IN_FORCE:
            candidates.insert(
                1, ("Enters into force", agreement.entry_into_force_date or agreement.fixed_entry_into_force_date)
            )
        for label, date in candidates:
            if date is not None and date >= today:
                milestones.append({"agreement": agreement, "label": label, "date": date})
    milestones.sort(key=lambda m: (m["date"], m["agreement"].reference))
    return milestones[:limit]


# --- time spent in each stage (from the audit trail) -----------------------------------------
def _stage_spans(
    created_at: dt.datetime, state_changes: Iterable[TransitionLog], current_state: str, now: dt.datetime
) -> dict[str, dt.timedelta]:
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


def _stage_spans_sql(vendor: str, visible_sql: str) -> str:
    """SQL for (state, days) of every stay of every visible agreement in a main-line stage: the
    finished stays from the audit trail (each state change closes the stay its source began, at
    the previous change or the creation), and the current stay of every agreement still moving."""
    if vendor == "postgresql":
        days = "EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0"
    else:
        days = "(julianday({end}) - julianday({start}))"
    placeholders = ", ".join(["%s"] * len(TRANSITION_NAMES))
    finished = days.format(
        end="log.timestamp",
        start="COALESCE(LAG(log.timestamp) OVER (PARTITION BY log.agreement_id ORDER BY log.timestamp, log.id), "
        "a.created_at)",
    )
    current = days.format(end="%s", start="a.state_changed_at")
    # Only placeholders and the ORM's own compiled subquery are interpolated; values are parameters.
    return f"""
        SELECT log.agreement_id AS agreement_id, log.source AS state, {finished} AS days
          FROM workflow_transitionlog log
          JOIN agreements_agreement a ON a.id = log.agreement_id
         WHERE log.transition IN ({placeholders}) AND log.source <> log.target
           AND log.agreement_id IN ({visible_sql})
        UNION ALL
        SELECT a.id, a.state, {current}
          FROM agreements_agreement a
         WHERE a.id IN ({visible_sql}) AND a.state IN ({", ".join(["%s"] * len(LIFECYCLE_STEPS))})
    """  # noqa: S608  # nosec B608


def median_days_per_stage(agreements: QuerySet[Agreement]) -> list[dict]:
    """The median number of days agreements spent in each main-line stage (the stays of one
    agreement in a stage added up), computed in the database: one query, window functions on
    PostgreSQL and SQLite alike, no Python loop over agreements or audit rows."""
    visible_sql, visible_params = agreements.order_by().values("pk").query.sql_with_params()
    spans = _stage_spans_sql(connection.vendor, visible_sql)
    query = f"""
        WITH spans AS ({spans}),
        per_agreement AS (
            SELECT agreement_id, state, SUM(days) AS days FROM spans
             WHERE state IN ({", ".join(["%s"] * len(LIFECYCLE_STEPS))})
             GROUP BY agreement_id, state
        ),
        ranked AS (
            SELECT state, days,
                   ROW_NUMBER() OVER (PARTITION BY state ORDER BY days) AS position,
                   COUNT(*) OVER (PARTITION BY state) AS total
              FROM per_agreement
        )
        SELECT state, AVG(days), MAX(total) FROM ranked
         WHERE position IN ((total + 1) / 2, (total + 2) / 2)
         GROUP BY state
    """  # noqa: S608  # nosec B608
    steps = [str(s) for s in LIFECYCLE_STEPS]
    params = [*TRANSITION_NAMES, *visible_params, timezone.now(), *visible_params, *steps, *steps]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        found = {state: (median, count) for state, median, count in cursor.fetchall()}
    return [
        {
            "state": state,
            "label": State(state).label,
            "median": round(float(found[state][0]), 1) if state in found else None,
            "count": int(found[state][1]) if state in found else 0,
        }
        for state in LIFECYCLE_STEPS
    ]


def _by_status(by_state: dict[str, int]) -> list[dict]:
    """Counts per partner-facing status (what a liaison's dashboard shows instead of states)."""
    counts: dict[str, int] = defaultdict(int)
    for state, count in by_state.items():
        counts[partner_status(state).value] += count
    return [{"key": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in PartnerStatus]


# How many rows each dashboard panel shows; the rest is behind its "show all" link.
DASHBOARD_PANEL_ROWS = 10
# How many partners the "open agreements by partner" figure names (those with the most); the
# number of further partners is given beside them. The list then has one size however many
# partners the portfolio has reached, in the chart and the API alike.
DASHBOARD_PARTNERS_SHOWN = 12
# Part of the cache key: raised whenever the cached figures change shape, so a deployment never
# reads figures a previous release cached.
DASHBOARD_FIGURES_VERSION = 2
MEDIANS_CACHE_KEY = "dashboard:stage-medians:dod"


def stage_medians_cached(user: Viewer) -> list[dict]:
    """``median_days_per_stage`` over everything DoD users see, reused for DASHBOARD_MEDIANS_SECONDS.

    The figure reads the whole audit trail (seconds at 100,000 agreements) and one transition
    barely moves a median over decades, so it is refreshed on a clock, not per transition. While
    one request recomputes it, the others show the previous value instead of computing it too.
    Liaisons never see it (it is internal): empty for them."""
    if user is None or not user.is_authenticated or user.is_liaison:
        return []
    cached = cache.get(MEDIANS_CACHE_KEY)
    now = time.time()
    if cached and now - cached["at"] < settings.DASHBOARD_MEDIANS_SECONDS:
        return cached["rows"]
    if cached and not cache.add(f"{MEDIANS_CACHE_KEY}:lock", 1, timeout=120):
        return cached["rows"]  # another request is recomputing it
    try:
        rows = median_days_per_stage(agreements_visible_to(user))
        cache.set(MEDIANS_CACHE_KEY, {"at": now, "rows": rows}, timeout=None)
    finally:
        cache.delete(f"{MEDIANS_CACHE_KEY}:lock")
    return rows


# The fields of an agreement the cached dashboard figures read (counts, panels, who sees what).
# A save that changes none of them (notes, signatories, marking) leaves the figures as they are.
DASHBOARD_FIELDS = frozenset(
    {
        "reference",
        "title",
        "short_title",
        "kind",
        "state",
        "state_changed_at",
        "lead_organization_id",
        "parent_id",
        "expiration_date",
        "releasable_to_partners",
    }
)
DASHBOARD_GENERATION_KEY = "dashboard:generation"


def dashboard_figures_changed() -> None:
    """Move the dashboard's cache key on: an agreement was created, deleted, or saved with one of
    DASHBOARD_FIELDS changed (``workflow.receivers``, after the transaction commits)."""
    cache.add(DASHBOARD_GENERATION_KEY, 0, timeout=None)
    try:
        cache.incr(DASHBOARD_GENERATION_KEY)
    except ValueError:  # evicted between the two calls
        cache.set(DASHBOARD_GENERATION_KEY, 1, timeout=None)


def portfolio_stamp() -> str:
    """Part of the cache keys of the dashboard's figures and the lists' counts. It changes
    whenever an audit row is written (every transition and coordination event), a participation
    is saved (django-simple-history records every save and delete) or an agreement is saved with
    a field the figures read (``dashboard_figures_changed``)."""
    history_participant = Participant.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {TransitionLog._meta.db_table}), "  # noqa: S608  # nosec B608 (table names only)
            f"(SELECT MAX(history_id) FROM {history_participant})"
        )
        audit, participants = (value or 0 for value in cursor.fetchone())
    return f"{audit}-{participants}-{cache.get(DASHBOARD_GENERATION_KEY, 0)}"


VISIBLE_COUNT_SECONDS = 600


def agreements_visible_count(user: Viewer, *, organization_id: int | None = None) -> int:
    """How many agreements ``user`` sees (those led by ``organization_id`` only, if given): the
    count of an unfiltered list page, exact and cached under ``portfolio_stamp`` per visibility
    scope. What the count depends on moves the stamp on: an agreement created or deleted, its
    releasability or lead office changed (``DASHBOARD_FIELDS``), a participation saved. Counting
    100,000 agreements on every page of the list otherwise costs more than reading the page."""
    if user is None or not user.is_authenticated:
        return 0
    stamp = portfolio_stamp()
    key = f"visible-count:{_dashboard_scope(user)}:{organization_id or 'all'}:{stamp}"
    count = cache.get(key)
    if count is None:
        visible = agreements_visible_to(user)
        if organization_id is not None:
            visible = visible.filter(lead_organization_id=organization_id)
        count = visible.count()
        cache.set(key, count, timeout=VISIBLE_COUNT_SECONDS)
    return count


def _dashboard_scope(user: Viewer) -> str:
    """Users who see the same agreements share cached figures: every DoD user, or one partner's liaisons."""
    return f"liaison:{user.partner_id}" if user.is_liaison else "dod"


def dashboard_figures(user: Viewer, *, today: dt.date | None = None) -> dict:
    """Every figure of the dashboard, over the agreements ``user`` may see: the browser dashboard
    and the API both show these. A fixed number of queries whatever the number of agreements;
    every list is capped at DASHBOARD_PANEL_ROWS and comes with its full count.

    The figures are cached per visibility scope for DASHBOARD_CACHE_SECONDS under a key that
    changes with every transition, coordination event or edit of what they show (``portfolio_stamp``)."""
    today = today or timezone.localdate()
    if user is None or not user.is_authenticated:
        return _dashboard_figures(user, today)
    stamp = portfolio_stamp()
    key = f"dashboard:v{DASHBOARD_FIGURES_VERSION}:{_dashboard_scope(user)}:{today.isoformat()}:{stamp}"
    figures = cache.get(key)
    if figures is None:
        figures = _dashboard_figures(user, today)
        cache.set(key, figures, timeout=settings.DASHBOARD_CACHE_SECONDS)
    return {
        **figures,
        "median_days": stage_medians_cached(user),
        "positions_due": positions_due_for(user).count(),
    }


def _dashboard_figures(user: Viewer, today: dt.date) -> dict:
    now = timezone.now()
    visible = agreements_visible_to(user)
    by_state_kind = visible.order_by().values_list("state", "kind").annotate(n=Count("pk"))
    by_state: dict[str, int] = defaultdict(int)
    by_kind: dict[str, int] = defaultdict(int)
    for state, kind, n in by_state_kind:
        by_state[state] += n
        by_kind[kind] += n
    total = sum(by_state.values())
    by_partner = list(
        Participant.objects.filter(agreement__in=visible.open())
        .values("partner__code", "partner__name")
        .annotate(n=Count("agreement_id"))
        .order_by("-n", "partner__name")
    )
    expiring_qs = visible.filter(
        state=State.IN_FORCE, expiration_date__gte=today, expiration_date__lte=today + dt.timedelta(days=180)
    )
    expiring = list(
        expiring_qs.select_related("lead_organization").order_by("expiration_date", "pk")[:DASHBOARD_PANEL_ROWS]
    )
    overdue_positions_qs = positions_visible_to(user).filter(
        round__closed_at__isnull=True,
        status__in=[PositionStatus.PENDING, PositionStatus.COMMENT],
        due_at__lte=now,
    )
    overdue_positions = list(overdue_positions_qs.order_by("due_at", "pk")[:DASHBOARD_PANEL_ROWS])
    # The review queue's stalled rows (the one definition), longest in review first.
    stalled_qs = review_queue_for(user, now=now).filter(stalled=True)
    stalled_reviews = list(
        stalled_qs.select_related("lead_organization").order_by("state_changed_at", "pk")[:DASHBOARD_PANEL_ROWS]
    )
    obligations = obligations_visible_to(user).filter(completed_date__isnull=True)
    overdue_obligations_qs = obligations.filter(due_date__lt=today)
    overdue_obligations = list(overdue_obligations_qs.order_by("due_date", "pk")[:DASHBOARD_PANEL_ROWS])
    return {
        "today": today,
        "total": total,
        "open": total - sum(by_state.get(s, 0) for s in TERMINAL_STATES),
        "in_force": by_state.get(State.IN_FORCE, 0),
        "in_review": sum(by_state.get(s, 0) for s in REVIEW_STATES),
        "by_state": _by_status(by_state)
        if getattr(user, "is_liaison", False)
        else [{"key": s.value, "label": s.label, "count": by_state.get(s.value, 0)} for s in State],
        "by_kind": [{"key": k.value, "label": k.label, "count": by_kind.get(k.value, 0)} for k in AgreementKind],
        "by_partner": [
            {"key": row["partner__code"], "label": row["partner__name"], "count": row["n"]}
            for row in by_partner[:DASHBOARD_PARTNERS_SHOWN]
        ],
        "by_partner_more": max(0, len(by_partner) - DASHBOARD_PARTNERS_SHOWN),
        "expiring": expiring,
        # Each capped panel is counted in full whether or not its cap was reached: the same
        # queries whatever the portfolio holds (the figures are cached).
        "expiring_within_180_days": expiring_qs.count(),
        "overdue_positions": overdue_positions,
        "overdue_positions_count": overdue_positions_qs.count(),
        "stalled_reviews": stalled_reviews,
        "stalled_reviews_count": stalled_qs.count(),
        "overdue_obligations": overdue_obligations,
        "obligations_overdue": overdue_obligations_qs.count(),
        "obligations_open": obligations.count(),
    }
