"""The coordination tab: rounds and positions, the coordinating offices, the congressional
notice, reminders and reporting obligations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from agreements.views.frame import agreement_for, dod_only, form_failure, tab_page
from partners.models import CoordinatingOffice
from workflow import services as workflow_services
from workflow.forms import CongressionalNoticeForm, CoordinationOfficesForm, ObligationCompleteForm
from workflow.models import CoordinationRound, ReportingObligation
from workflow.selectors import obligations_visible_to, positions_visible_to, transition_logs_visible_to
from workflow.transitions import EVENT_POSITION_REMINDED


def obligation_for(request, reference: str, pk: int) -> ReportingObligation:
    """A reporting obligation of the agreement the user may see (a 404 otherwise)."""
    obligation = obligations_visible_to(request.user).filter(pk=pk, agreement__reference=reference).first()
    if obligation is None:
        raise Http404("No such reporting obligation.")
    return obligation


def coordination_url(reference: str) -> str:
    """The coordination tab of an agreement."""
    return reverse("agreement_coordination", kwargs={"reference": reference})


def _tab(request, agreement, status: int = 200, **posted):
    """The coordination tab, with the forms as posted when one of them failed."""
    user = request.user
    forms = {
        "offices_form": None,
        "notice_form": CongressionalNoticeForm(initial={"notice_date": timezone.localdate()}),
        "obligation_forms": {},
    }
    open_round = CoordinationRound.objects.current_for(agreement)
    if open_round is not None:
        forms["offices_form"] = CoordinationOfficesForm(
            initial={"offices": list(open_round.positions.values_list("office_id", flat=True))}
        )
    forms.update(posted)
    rounds = list(
        CoordinationRound.objects.filter(agreement=agreement)
        .prefetch_related(Prefetch("positions", queryset=positions_visible_to(user).order_by("office__name")))
        .order_by("-opened_at")[:20]
    )
    now = timezone.now()
    reminded = {}
    if open_round is not None and user.is_reviewer:
        for log in transition_logs_visible_to(user).filter(
            agreement=agreement, transition=EVENT_POSITION_REMINDED, timestamp__gte=open_round.opened_at
        ):
            reminded[log.data.get("office")] = log.timestamp
    for round_ in rounds:
        round_.awaiting = [
            p
            for p in round_.positions.all()
            if round_.is_open and not p.is_answered and not p.is_silent_concurrence(now)
        ]
        for position in round_.awaiting:
            position.last_reminded = reminded.get(position.office.code)
    obligations = list(obligations_visible_to(user).filter(agreement=agreement))
    for obligation in obligations:
        obligation.form = forms["obligation_forms"].get(obligation.pk) or ObligationCompleteForm(
            prefix=f"ob{obligation.pk}", initial={"completed_date": timezone.localdate()}
        )
    return tab_page(
        request,
        agreement,
        "coordination",
        "workflow/detail_coordination.html",
        {
            **forms,
            "rounds": rounds,
            "open_round": open_round,
            "obligations": obligations,
            "now": timezone.now(),
            "offices": CoordinatingOffice.objects.filter(active=True),
            "can_complete": workflow_services.obligation_complete_denial(agreement, user) is None,
        },
        status,
    )


@login_required
@require_GET
def agreement_coordination(request, reference: str):
    """Coordination rounds and positions; the reviewer edits offices, records the congressional
    notice, reminds offices and completes reporting obligations. The tab only shows; each change
    posts to its own route below."""
    dod_only(request)
    return _tab(request, agreement_for(request, reference))


@login_required
@require_POST
def coordination_offices(request, reference: str):
    """Set the coordinating offices of the open round."""
    dod_only(request)
    agreement = agreement_for(request, reference)
    form = CoordinationOfficesForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            workflow_services.coordination_offices_set(
                agreement=agreement,
                user=request.user,
                offices=form.cleaned_data["offices"],
                context=workflow_services.AuditContext.from_request(request),
            )
        except (ValidationError, PermissionDenied) as exc:
            status = form_failure(form, exc)
        else:
            messages.success(request, "The coordinating offices are updated.")
            return redirect(coordination_url(reference))
    return _tab(request, agreement, status, offices_form=form)


@login_required
@require_POST
def congressional_notice(request, reference: str):
    """Record the date Congress was notified."""
    dod_only(request)
    agreement = agreement_for(request, reference)
    form = CongressionalNoticeForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            workflow_services.congressional_notice_record(
                agreement=agreement,
                user=request.user,
                notice_date=form.cleaned_data["notice_date"],
                context=workflow_services.AuditContext.from_request(request),
            )
        except (ValidationError, PermissionDenied) as exc:
            status = form_failure(form, exc)
        else:
            messages.success(request, "The congressional notice date is recorded.")
            return redirect(coordination_url(reference))
    return _tab(request, agreement, status, notice_form=form)


@login_required
@require_POST
def position_remind(request, reference: str, pk: int):
    """Remind an office that has not answered (once a day per position, never past its deadline)."""
    dod_only(request)
    agreement = agreement_for(request, reference)
    position = get_object_or_404(positions_visible_to(request.user), pk=pk, round__agreement=agreement)
    try:
        made = workflow_services.coordination_reminder_send(
            position=position, user=request.user, context=workflow_services.AuditContext.from_request(request)
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return _tab(request, agreement, 403 if isinstance(exc, PermissionDenied) else 400)
    messages.success(
        request,
        f"Reminder sent to {position.office.name} ({made} coordinator{'s' if made != 1 else ''}).",
    )
    return redirect(coordination_url(reference))


@login_required
@require_POST
def obligation_complete(request, reference: str, pk: int):
    """Mark a reporting obligation complete."""
    dod_only(request)
    agreement = agreement_for(request, reference)
    obligation = obligation_for(request, reference, pk)
    form = ObligationCompleteForm(request.POST, prefix=f"ob{obligation.pk}")
    status = 400
    if form.is_valid():
        try:
            workflow_services.obligation_complete(
                obligation=obligation,
                user=request.user,
                context=workflow_services.AuditContext.from_request(request),
                **form.cleaned_data,
            )
        except (ValidationError, PermissionDenied) as exc:
            status = form_failure(form, exc)
        else:
            messages.success(request, f"{obligation.get_kind_display()} is marked complete.")
            return redirect(coordination_url(reference))
    return _tab(request, agreement, status, obligation_forms={obligation.pk: form})
