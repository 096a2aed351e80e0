"""Participants, contributions and loan items: what an agreement is made of."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from icp_portal.model_update import fields_allowed_check, model_update
from partners.models import Partner, User

from ..choices import AgreementKind, ContributionKind, ParticipantRole
from ..models import Agreement, Contribution, LoanItem, Participant, validate_agreement
from .access import _require_edit, _save


@transaction.atomic
def participant_add(
    *,
    agreement: Agreement,
    user: User,
    partner: Partner,
    role: str = ParticipantRole.PARTICIPANT,
    signatory_name: str = "",
    signatory_title: str = "",
) -> Participant:
    """Add a partner; the whole agreement, with it, must keep every rule of its kind."""
    agreement = _require_edit(agreement, user)
    current = [p.partner for p in agreement.participants.select_related("partner")]
    if partner.pk in {p.pk for p in current}:
        raise ValidationError({"partner": f"{partner.name} already takes part in this agreement."})
    validate_agreement(agreement, partners=[*current, partner])
    return _participant_create(
        agreement=agreement,
        user=user,
        partner=partner,
        role=role,
        signatory_name=signatory_name,
        signatory_title=signatory_title,
    )


def _participant_create(*, agreement: Agreement, user: User, partner: Partner, **fields: Any) -> Participant:
    participant = Participant(agreement=agreement, partner=partner, **fields)
    _save(participant, user)
    return participant


@transaction.atomic
def participant_update(*, participant: Participant, user: User, **fields: Any) -> Participant:
    """Signatory details and role; signatures themselves are recorded through the lifecycle."""
    allowed = {"role", "signatory_name", "signatory_title"}
    refusal = "Only {allowed} can be edited here."
    fields_allowed_check(fields, allowed, refusal)
    _require_edit(participant.agreement, user, substance=False)
    participant = Participant.objects.select_related("agreement", "partner").get(pk=participant.pk)
    return model_update(participant, user=user, fields=fields, allowed=allowed, refusal=refusal)


def participant_last_denial(participant: Participant) -> str:
    """The one sentence every door gives when an agreement's only partner would be removed."""
    return (
        f"{participant.partner.name} is the only partner of {participant.agreement.reference}: "
        "an agreement needs at least one partner, so add another before removing this one."
    )


@transaction.atomic
def participant_remove(*, participant: Participant, user: User) -> None:
    """Remove a partner while the pen is the program office's; an agreement keeps at least one."""
    agreement = _require_edit(participant.agreement, user)
    if not agreement.participants.exclude(pk=participant.pk).exists():
        raise ValidationError(participant_last_denial(participant))
    remaining = [p.partner for p in agreement.participants.select_related("partner").exclude(pk=participant.pk)]
    validate_agreement(agreement, partners=remaining)
    children = Participant.objects.filter(
        agreement__parent=agreement, partner=participant.partner, agreement__kind=AgreementKind.PROJECT_ARRANGEMENT
    )
    if children.exists():
        refs = ", ".join(children.values_list("agreement__reference", flat=True))
        raise ValidationError(
            f"{participant.partner.name} takes part in project arrangements {refs} under this master."
        )
    participant._history_user = user
    participant.delete()


@transaction.atomic
def contribution_add(
    *,
    user: User,
    description: str,
    amount_usd: Decimal,
    participant: Participant | None = None,
    agreement: Agreement | None = None,
    kind: str = ContributionKind.FINANCIAL,
    valuation_basis: str = "",
    fiscal_year: int | None = None,
) -> Contribution:
    """A participant's contribution; with ``participant`` None, the United States' own (then
    ``agreement`` says to which agreement)."""
    if participant is not None:
        if agreement is not None and participant.agreement_id != agreement.pk:
            raise ValidationError({"participant": "This participant does not take part in the agreement."})
        agreement = participant.agreement
    if agreement is None:
        raise ValidationError({"agreement": "Say which agreement the United States contributes to."})
    _require_edit(agreement, user)
    contribution = Contribution(
        agreement=agreement,
        participant=participant,
        kind=kind,
        description=description,
        valuation_basis=valuation_basis,
        amount_usd=amount_usd,
        fiscal_year=fiscal_year,
    )
    _save(contribution, user)
    return contribution


@transaction.atomic
def contribution_update(*, contribution: Contribution, user: User, **fields: Any) -> Contribution:
    """Change a contribution's fields (pen holder only)."""
    _require_edit(contribution.agreement, user)
    return model_update(
        contribution,
        user=user,
        fields=fields,
        allowed={"kind", "description", "valuation_basis", "amount_usd", "fiscal_year"},
        refusal="Only {allowed} can be edited.",
    )


@transaction.atomic
def contribution_delete(*, contribution: Contribution, user: User) -> None:
    """Delete a contribution (pen holder only), credited to ``user`` in its history."""
    _require_edit(contribution.agreement, user)
    contribution._history_user = user
    contribution.delete()


@transaction.atomic
def loan_item_add(
    *,
    agreement: Agreement,
    user: User,
    item: str,
    quantity: int,
    unit_value_usd: Decimal,
    consumable: bool = False,
    return_by: dt.date | None = None,
) -> LoanItem:
    """Add an item to a Section 65 loan's list (pen holder only)."""
    _require_edit(agreement, user)
    loan_item = LoanItem(
        agreement=agreement,
        item=item,
        quantity=quantity,
        unit_value_usd=unit_value_usd,
        consumable=consumable,
        return_by=return_by,
    )
    _save(loan_item, user)
    return loan_item


@transaction.atomic
def loan_item_delete(*, loan_item: LoanItem, user: User) -> None:
    """Delete an item of a Section 65 loan's list (pen holder only), credited to ``user``."""
    _require_edit(loan_item.agreement, user)
    loan_item._history_user = user
    loan_item.delete()
