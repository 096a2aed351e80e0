"""The frame of the agreement page that every tab shares: the visible agreement, the lifecycle
stepper, the actions the user may take, and the helpers the tabs' action views use to answer a POST."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from workflow import services as workflow_services
from workflow.selectors import open_return, stage_durations, submission_summary
from workflow.transitions import TransitionName

from .. import services
from ..choices import LIFECYCLE_STEPS, TERMINAL_STATES, State
from ..forms import apply_service_error
from ..models import Agreement
from ..partner_status import partner_steps
from ..selectors import agreements_visible_to

DOD_TABS = (
    ("overview", "Overview", "agreement_detail"),
    ("ssoi", "SSOI", "agreement_ssoi"),
    ("participants", "Participants and contributions", "agreement_participants"),
    ("documents", "Documents", "agreement_documents"),
    ("coordination", "Coordination", "agreement_coordination"),
    ("history", "History", "agreement_history"),
)
LIAISON_TABS = (
    ("overview", "Overview", "agreement_detail"),
    ("documents", "Documents", "agreement_documents"),
)


# --- the agreement page -----------------------------------------------------------------------
def agreement_for(request, reference: str) -> Agreement:
    """The agreement of a tab, if the user may see it (a 404 otherwise)."""
    queryset = (
        agreements_visible_to(request.user)
        .select_related("lead_organization", "parent", "action_officer")
        .prefetch_related("participants__partner")
    )
    return get_object_or_404(queryset, reference=reference)


def _stepper(agreement: Agreement) -> list[dict]:
    """The main line of the lifecycle, where the agreement stands, and days in each stage."""
    durations = stage_durations(agreement)
    steps = [
        s
        for s in LIFECYCLE_STEPS
        if (s != State.CONGRESSIONAL_WAIT or agreement.needs_congressional_notice or durations.get(s))
        and (s != State.SIGNED or agreement.fixed_entry_into_force_date or durations.get(s))
    ]
    if agreement.state in LIFECYCLE_STEPS:
        current_index = steps.index(agreement.state) if agreement.state in steps else -1
    else:  # ended: the last stage it spent time in
        visited = [i for i, s in enumerate(steps) if durations.get(s)]
        current_index = (visited[-1] + 1) if visited else 0
    result = []
    for index, state in enumerate(steps):
        span = durations.get(state)
        status = "complete" if index < current_index else "current" if index == current_index else "upcoming"
        if agreement.state == State.IN_FORCE and state == State.IN_FORCE:
            status = "current"
        result.append(
            {
                "state": state,
                "label": State(state).label,
                "status": status,
                "days": span.days if span is not None else None,
            }
        )
    return result


SUBMISSIONS = (TransitionName.SUBMIT_RAD, TransitionName.SUBMIT_RFA)


def _fix_href(agreement: Agreement, fix) -> str | None:
    """The link to the tab and field that fixes one reason (see workflow.rules.REASON_FIXES)."""
    if fix is None:
        return None
    route, query, anchor = fix
    url = reverse(route, kwargs={"reference": agreement.reference})
    return f"{url}{'?' + query if query else ''}{'#' + anchor if anchor else ''}"


def lifecycle_actions(agreement: Agreement, user) -> list:
    """The lifecycle actions shown on the page, each with the links that fix its reasons."""
    if user.is_liaison:
        return []
    options = [
        o
        for o in workflow_services.available_transitions(agreement, user)
        if not (
            o.system_only
            or (o.name == TransitionName.END_CONGRESSIONAL_WAIT and not user.is_reviewer and not o.allowed)
        )
    ]
    for option in options:
        option.links = [{"text": reason, "href": _fix_href(agreement, fix)} for reason, fix in option.fixes]
        option.confirm = option.name in SUBMISSIONS
        option.dialog = (
            option.comment_required
            or option.destructive
            or option.confirm
            or (option.name == TransitionName.RECORD_SIGNATURE)
        )
    return options


def tab_page(request, agreement: Agreement, tab: str, template: str, context: dict, status: int = 200) -> HttpResponse:
    """Render one tab inside the agreement page: header, stepper, actions and tabs."""
    user = request.user
    actions = lifecycle_actions(agreement, user)
    context = {
        "agreement": agreement,
        "tab": tab,
        "tabs": LIAISON_TABS if user.is_liaison else DOD_TABS,
        # A liaison's stepper shows partner-facing statuses only: no internal stage, no duration.
        "steps": partner_steps(agreement.state) if user.is_liaison else _stepper(agreement),
        "actions": actions,
        "open_return": open_return(agreement, user),
        "submission": next(
            (submission_summary(agreement, o.name) for o in actions if o.confirm and o.allowed),
            None,
        ),
        "edit_denial": services.agreement_edit_denial(agreement, user) if user.is_dod else "read only",
        "terminal": agreement.state in TERMINAL_STATES,
        **context,
    }
    return render(request, template, context, status=status)


def dod_only(request) -> None:
    """The DoD-only tabs do not exist for a partner liaison (a 404, not a 403)."""
    if request.user.is_liaison:
        raise Http404("No such page.")


def form_failure(form, exc) -> int:
    """Put a service error on the form and return the HTTP status it deserves."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or "You may not do this.")
        return 403
    apply_service_error(form, exc)
    return 400
