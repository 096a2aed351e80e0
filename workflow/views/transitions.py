"""The dialog and the POST of a lifecycle action, through ``agreement_transition``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from agreements.views.frame import SUBMISSIONS, agreement_for, dod_only
from workflow import services as workflow_services
from workflow.exceptions import LifecycleError
from workflow.forms import SignatureForm, TransitionForm
from workflow.selectors import submission_summary
from workflow.transitions import TRANSITION_INFO, TRANSITION_NAMES, TransitionName


# --- lifecycle actions ------------------------------------------------------------------------
@login_required
def agreement_transition(request, reference: str, name: str):
    """GET: the dialog for an action (comment, signature, confirmation). POST: do it through
    ``agreement_transition``; a refusal, a forbidden action or a conflict is explained."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    dod_only(request)
    if name not in TRANSITION_NAMES:
        raise Http404("No such action.")
    agreement = agreement_for(request, reference)
    info = TRANSITION_INFO[name]
    option = next(
        (o for o in workflow_services.available_transitions(agreement, request.user) if o.name == name),
        None,
    )
    form_class = SignatureForm
    is_signature = name == TransitionName.RECORD_SIGNATURE

    def make_form(data=None):
        if is_signature:
            return form_class(data, agreement=agreement, initial={"state": agreement.state})
        return TransitionForm(data, initial={"state": agreement.state})

    def page(form, status=200, error=None):
        if option is not None:
            option.confirm = name in SUBMISSIONS
        return render(
            request,
            "workflow/transition.html",
            {
                "agreement": agreement,
                "info": info,
                "option": option,
                "form": form,
                "error": error,
                "is_signature": is_signature,
                "submission": submission_summary(agreement, name) if name in SUBMISSIONS else None,
            },
            status=status,
        )

    if request.method == "GET":
        return page(make_form())
    form = make_form(request.POST)
    if not form.is_valid():
        return page(form, 400)
    data = dict(form.cleaned_data)
    expected_state = data.pop("state", "") or None
    comment = data.pop("comment", "")
    if is_signature:
        party = data.pop("participant")
        data["participant"] = None if party == "us" else party
    try:
        workflow_services.agreement_transition(
            agreement=agreement,
            name=name,
            user=request.user,
            comment=comment,
            context=workflow_services.AuditContext.from_request(request),
            expected_state=expected_state,
            **data,
        )
    except LifecycleError as exc:
        agreement = agreement_for(request, reference)
        option = next(
            (o for o in workflow_services.available_transitions(agreement, request.user) if o.name == name),
            None,
        )
        return page(make_form(request.POST) if exc.status_code == 400 else make_form(), exc.status_code, exc)
    agreement.refresh_from_db()
    messages.success(request, f"{info.label}: {agreement.reference} is now {agreement.get_state_display()}.")
    return redirect("agreement_detail", reference=reference)
