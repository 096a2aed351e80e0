"""The participants tab: participants, contributions with the equitability table, loan items."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from .. import services
from ..forms import ContributionForm, LoanItemForm, ParticipantAddForm, ParticipantUpdateForm
from ..models import Contribution, LoanItem, Participant
from ..selectors import equitability_table
from .confirm import Removal, confirm_delete_view
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


def _tab(request, agreement, status: int = 200, **forms):
    context = _participants_context(agreement, request.user, **forms)
    return tab_page(request, agreement, "participants", "agreements/detail_participants.html", context, status)


def _back(agreement):
    return redirect("agreement_participants", reference=agreement.reference)


@login_required
@require_GET
def agreement_participants(request, reference: str):
    """Participants, contributions with the equitability table and chart, and the loan list.
    The tab only shows; each change posts to its own route below."""
    dod_only(request)
    return _tab(request, agreement_for(request, reference))


@login_required
@require_POST
def participant_add(request, reference: str):
    """Add a partner to the participants."""
    dod_only(request)
    agreement = agreement_for(request, reference)
    form = ParticipantAddForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.participant_add(agreement=agreement, user=request.user, partner=form.cleaned_data["partner"])
        except (ValidationError, PermissionDenied) as exc:
            status = form_failure(form, exc)
        else:
            messages.success(request, f"{form.cleaned_data['partner'].name} now takes part.")
            return _back(agreement)
    return _tab(request, agreement, status, participant_form=form)


@login_required
@require_POST
def participant_update(request, reference: str, pk: int):
    """Save one participant's role and expected signatory; errors stay on that participant's form."""
    dod_only(request)
    agreement = agreement_for(request, reference)
    participant = next((p for p in agreement.participants.select_related("partner") if p.pk == pk), None)
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
            return _back(agreement)
    context = _participants_context(agreement, request.user)
    context["participant_update_forms"][participant.pk] = form
    return tab_page(request, agreement, "participants", "agreements/detail_participants.html", context, status)


@login_required
@require_POST
def contribution_add(request, reference: str):
    """Add a contribution of a participant or of the United States."""
    dod_only(request)
    agreement = agreement_for(request, reference)
    participants = list(agreement.participants.select_related("partner"))
    form = ContributionForm(request.POST, participants=participants)
    status = 400
    if form.is_valid():
        choice = form.cleaned_data["participant"]
        participant = next((p for p in participants if str(p.pk) == choice), None)
        data = {
            k: form.cleaned_data[k] for k in ("kind", "description", "valuation_basis", "amount_usd", "fiscal_year")
        }
        try:
            services.contribution_add(participant=participant, agreement=agreement, user=request.user, **data)
        except (ValidationError, PermissionDenied) as exc:
            status = form_failure(form, exc)
        else:
            party = participant.partner.name if participant else "the United States"
            messages.success(request, f"The contribution of {party} is added.")
            return _back(agreement)
    return _tab(request, agreement, status, contribution_form=form)


@login_required
@require_POST
def loan_item_add(request, reference: str):
    """Add an item to a Section 65 agreement's loan list."""
    dod_only(request)
    agreement = agreement_for(request, reference)
    form = LoanItemForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.loan_item_add(agreement=agreement, user=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            status = form_failure(form, exc)
        else:
            messages.success(request, "The loan item is added.")
            return _back(agreement)
    return _tab(request, agreement, status, loan_form=form)


# Destructive actions: each asks first (``confirm_delete_view``).
participant_remove = confirm_delete_view(
    Removal(
        route="participant_remove",
        model=Participant,
        describe=lambda t: f"{t.partner.name} from the participants",
        remove=lambda t, user: services.participant_remove(participant=t, user=user),
        back="agreement_participants",
    )
)
contribution_delete = confirm_delete_view(
    Removal(
        route="contribution_delete",
        model=Contribution,
        describe=lambda t: f"the contribution “{t.description}” ({t.amount_usd:,.0f} USD) of {t.party_name}",
        remove=lambda t, user: services.contribution_delete(contribution=t, user=user),
        back="agreement_participants",
    )
)
loan_item_delete = confirm_delete_view(
    Removal(
        route="loan_item_delete",
        model=LoanItem,
        describe=lambda t: f"the loan item “{t.item}”",
        remove=lambda t, user: services.loan_item_delete(loan_item=t, user=user),
        back="agreement_participants",
    )
)
