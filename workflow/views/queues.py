"""The work queues: the reviewers' review queue (and its reminders), a coordinator's positions due,
and recording a position. Every write goes through workflow.services."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from agreements.choices import REVIEW_STATES
from agreements.forms import apply_service_error
from agreements.selectors import agreements_visible_to, ddl_reviews_awaiting
from icp_portal.pagination import Paginator
from workflow.forms import PositionForm

from .. import services
from ..models import CoordinationRound, PositionStatus
from ..selectors import positions_due_for, positions_visible_to, review_queue_for

QUEUE_PAGE_SIZE = 25


# --- role landing pages ----------------------------------------------------------------------
def require_role(condition: bool, message: str) -> None:
    """Refuse (403) a page that is not for the user's role."""
    if not condition:
        raise PermissionDenied(message)


@login_required
@require_safe
def review_queue(request):
    """Agreements in RAD or RFA review (``review_queue_for``): age, coordination status, nearest
    silence deadline; those stalled or past a deadline first."""
    require_role(
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
    # The page's keys are picked in the queue's order (from its index alone) before their rows
    # are joined to their relations: one query, not a join of every queued agreement.
    paginator = Paginator(agreements, QUEUE_PAGE_SIZE, keys_first=True)
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
    require_role(request.user.is_coordinator, "Positions due are for coordinating offices.")
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


@login_required
def review_queue_remind(request):
    """Send reminders to the offices that have not answered, for the agreements ticked in the queue."""
    from ..reminders import coordination_reminders_send

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_role(
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
