"""Creating an agreement and editing its record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from icp_portal.model_update import fields_allowed_check, model_update
from partners.models import Partner, User

from ..choices import AgreementKind, LegalAuthority, ParticipantRole
from ..models import SSOI, Agreement, validate_agreement
from .access import AGREEMENT_ALWAYS_EDITABLE_FIELDS, AGREEMENT_EDITABLE_FIELDS, _require_edit
from .records import _participant_create

AGREEMENT_FIELDS_REFUSAL = "These fields cannot be edited: {unknown}."


@transaction.atomic
def agreement_create(
    *,
    user: User,
    kind: str,
    title: str,
    partners: Iterable[Partner],
    lead_partner: Partner | None = None,
    short_title: str = "",
    parent: Agreement | None = None,
    phase: str = "",
    authority: str = "",
    authority_text: str = "",
    effective_date: dt.date | None = None,
    expiration_date: dt.date | None = None,
    fixed_entry_into_force_date: dt.date | None = None,
    marking: str | None = None,
    releasable_to_partners: bool = False,
    internal_notes: str = "",
    amendment_type: str = "",
    new_expiration_date: dt.date | None = None,
) -> Agreement:
    """A program office logs a proposal for its own organization, with its partners and an empty
    SSOI. An amendment takes its parent's authority and, unless given, its partners."""
    if not user.is_program_office or user.organization_id is None:
        raise PermissionDenied("Only a program office may propose an agreement.")
    partners = list(partners)
    if kind == AgreementKind.AMENDMENT and parent is not None:
        authority = authority or parent.authority
        authority_text = authority_text or parent.authority_text
        if not partners:
            partners = [p.partner for p in parent.participants.select_related("partner")]
    if kind == AgreementKind.SECTION_65_LOAN and not authority:
        authority = LegalAuthority.AECA_65
    agreement = Agreement(
        kind=kind,
        title=title.strip(),
        short_title=short_title.strip(),
        parent=parent,
        phase=phase or "",
        lead_organization=user.organization,
        action_officer=user,
        authority=authority,
        authority_text=authority_text,
        effective_date=effective_date,
        expiration_date=expiration_date,
        fixed_entry_into_force_date=fixed_entry_into_force_date,
        releasable_to_partners=releasable_to_partners,
        internal_notes=internal_notes,
        amendment_type=amendment_type or "",
        new_expiration_date=new_expiration_date,
    )
    if marking:
        agreement.marking = marking
    validate_agreement(agreement, partners=partners, lead_partner=lead_partner, check_parent_state=True)
    agreement._history_user = user
    agreement.save()
    lead_partner = lead_partner or partners[0]
    for partner in partners:
        _participant_create(
            agreement=agreement,
            user=user,
            partner=partner,
            role=ParticipantRole.LEAD if partner.pk == lead_partner.pk else ParticipantRole.PARTICIPANT,
        )
    SSOI.objects.create(agreement=agreement)
    return agreement


@transaction.atomic
def agreement_update(*, agreement: Agreement, user: User, **fields: Any) -> Agreement:
    """Edit the record's fields; substance only while the program office holds the pen."""
    fields_allowed_check(fields, AGREEMENT_EDITABLE_FIELDS, AGREEMENT_FIELDS_REFUSAL)
    substance = bool(set(fields) - set(AGREEMENT_ALWAYS_EDITABLE_FIELDS))
    agreement = _require_edit(agreement, user, substance=substance)
    return model_update(
        agreement,
        user=user,
        fields=fields,
        allowed=AGREEMENT_EDITABLE_FIELDS,
        refusal=AGREEMENT_FIELDS_REFUSAL,
        clean=validate_agreement if substance else _record_keeping_clean,
    )


def _record_keeping_clean(agreement: Agreement) -> None:
    """Record-keeping fields change after the pen has passed: the record's own checks only."""
    agreement.full_clean(exclude=["reference", "state"])
