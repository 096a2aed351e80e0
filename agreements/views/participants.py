"""The participants tab: participants, contributions with the equitability table, loan items."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from icp_portal.forms_ids import posted_id

from .. import services
from ..forms import (
    ContributionForm,
    LoanItemForm,
    ParticipantAddForm,
    ParticipantUpdateForm,
)
from ..models import Contribution, LoanItem, Participant
from ..selectors import (
    equitability_table,
)
from .frame import agreement_for, dod_only, form_failure, tab_page


def _participants_context(agreement, user, **forms):
    participants = list(agreement.participants.select_related("partner").prefetch_related("contributions"))
    table = equitability_table(agreement)
    context = {
        "participants": participants,
        "us_contributions": list(agreement.contributions.filter(participant__isnull=True)),
        "table": table,
        "grand_total": sum(r["total"] for r in table),
        "chart": {
            "title": "Share of contributions",
            "labels": [r["name"] for r in table],
            "values": [float(r["total"]) for r in table],
            "axis": "US dollars",
            "horizontal": True,
            "format": "usd",
        },
        "loan_items": list(agreement.loan_items.all()) if agreement.is_section_65 else [],
        "can_edit": services.agreement_edit_denial(agreement, user) is None,
        "can_edit_signatories": services.agreement_edit_denial(agreement, user, substance=False) is None,
        "participant_update_forms": {
            p.pk: ParticipantUpdateForm(
                prefix=f"p{p.pk}",
                initial={"role": p.role, "signatory_name": p.signatory_name, "signatory_title": p.signatory_title},
            )
            for p in participants
        },
        "contribution_form": ContributionForm(participants=participants),
        "participant_form": ParticipantAddForm(),
        "loan_form": LoanItemForm(),
    }
    context.update(forms)
    return context


@login_required
def agreement_participants(request, reference: str):
    """Participants, contributions with the equitability table and chart, and the loan list."""
    dod_only(request)
    agreement = agreement_for(request, reference)
    if request.method != "POST":
        return tab_page(
            request,
            agreement,
            "participants",
            "agreements/detail_participants.html",
            _participants_context(agreement, request.user),
        )
    action = request.POST.get("action")
    user = request.user
    participants = list(agreement.participants.select_related("partner"))
    back = redirect("agreement_participants", reference=reference)
    try:
        if action == "add_contribution":
            form = ContributionForm(request.POST, participants=participants)
            form_name = "contribution_form"
            if form.is_valid():
                choice = form.cleaned_data["participant"]
                participant = next((p for p in participants if str(p.pk) == choice), None)
                data = {
                    k: form.cleaned_data[k]
                    for k in ("kind", "description", "valuation_basis", "amount_usd", "fiscal_year")
                }
                services.contribution_add(participant=participant, agreement=agreement, user=user, **data)
                party = participant.partner.name if participant else "the United States"
                messages.success(request, f"The contribution of {party} is added.")
                return back
        elif action == "add_participant":
            form = ParticipantAddForm(request.POST)
            form_name = "participant_form"
            if form.is_valid():
                services.participant_add(agreement=agreement, user=user, partner=form.cleaned_data["partner"])
                messages.success(request, f"{form.cleaned_data['partner'].name} now takes part.")
                return back
        elif action == "update_participant":
            return _participant_update(request, agreement, participants)
        elif action == "add_loan_item":
            form = LoanItemForm(request.POST)
            form_name = "loan_form"
            if form.is_valid():
                services.loan_item_add(agreement=agreement, user=user, **form.cleaned_data)
                messages.success(request, "The loan item is added.")
                return back
        elif action in ("delete_contribution", "remove_participant", "delete_loan_item"):
            return _confirm_delete(request, agreement, action)
        else:
            raise Http404("Unknown action.")
    except (ValidationError, PermissionDenied) as exc:
        status = form_failure(form, exc)
    else:
        status = 400
    return tab_page(
        request,
        agreement,
        "participants",
        "agreements/detail_participants.html",
        _participants_context(agreement, user, **{form_name: form}),
        status,
    )


def _participant_update(request, agreement, participants):
    """Save one participant's role and expected signatory; errors stay on that participant's form."""
    participant = next((p for p in participants if str(p.pk) == request.POST.get("target")), None)
    if participant is None:
        raise Http404("That participant no longer takes part.")
    form = ParticipantUpdateForm(request.POST, prefix=f"p{participant.pk}")
    status = 400
    if form.is_valid():
        try:
            services.participant_update(participant=participant, user=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            status = form_failure(form, exc)
        else:
            messages.success(request, f"The role and signatory of {participant.partner.name} are saved.")
            return redirect("agreement_participants", reference=agreement.reference)
    context = _participants_context(agreement, request.user)
    context["participant_update_forms"][participant.pk] = form
    return tab_page(request, agreement, "participants", "agreements/detail_participants.html", context, status)


def _confirm_delete(request, agreement, action):
    """Destructive actions ask first: the first POST shows a confirmation, the second deletes."""
    target_id = request.POST.get("target")
    lookup = {
        "delete_contribution": (Contribution, {"agreement": agreement}),
        "remove_participant": (Participant, {"agreement": agreement}),
        "delete_loan_item": (LoanItem, {"agreement": agreement}),
    }
    model, scope = lookup[action]
    try:
        target = model.objects.get(pk=posted_id(target_id), **scope)
    except model.DoesNotExist:
        raise Http404("It no longer exists.") from None
    description = {
        "delete_contribution": lambda t: (
            f"the contribution “{t.description}” ({t.amount_usd:,.0f} USD) of {t.party_name}"
        ),
        "remove_participant": lambda t: f"{t.partner.name} from the participants",
        "delete_loan_item": lambda t: f"the loan item “{t.item}”",
    }[action](target)
    if request.POST.get("confirmed") == "yes":
        try:
            if action == "delete_contribution":
                services.contribution_delete(contribution=target, user=request.user)
            elif action == "remove_participant":
                services.participant_remove(participant=target, user=request.user)
            else:
                services.loan_item_delete(loan_item=target, user=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            return render(
                request,
                "agreements/confirm.html",
                {
                    "agreement": agreement,
                    "action": action,
                    "target": target,
                    "description": description,
                    "cancel_url": reverse("agreement_participants", kwargs={"reference": agreement.reference}),
                },
                status=403 if isinstance(exc, PermissionDenied) else 400,
            )
        messages.success(request, f"Removed {description}.")
        return redirect("agreement_participants", reference=agreement.reference)
    return render(
        request,
        "agreements/confirm.html",
        {
            "agreement": agreement,
            "action": action,
            "target": target,
            "description": description,
            "cancel_url": reverse("agreement_participants", kwargs={"reference": agreement.reference}),
        },
    )
