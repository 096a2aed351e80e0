"""Every write a user can make to an agreement's record (the lifecycle itself is in
workflow.services). The browser, the API, the admin and background jobs all call these."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from partners.models import Partner, User

from .choices import (
    PROGRAM_OFFICE_EDITABLE_STATES,
    AgreementKind,
    DocumentKind,
    LegalAuthority,
    ParticipantRole,
    State,
)
from .models import SSOI, Agreement, Contribution, Document, LoanItem, Participant, validate_agreement

# Fields a program office may edit while it holds the pen.
AGREEMENT_EDITABLE_FIELDS = (
    "title",
    "short_title",
    "phase",
    "authority",
    "authority_text",
    "effective_date",
    "fixed_entry_into_force_date",
    "expiration_date",
    "marking",
    "releasable_to_partners",
    "internal_notes",
    "action_officer",
    "amendment_type",
    "new_expiration_date",
)
# Still editable after the pen has passed (record-keeping, not substance).
AGREEMENT_ALWAYS_EDITABLE_FIELDS = ("releasable_to_partners", "internal_notes", "marking", "action_officer")
SSOI_FIELDS = tuple(
    f.name
    for f in SSOI._meta.get_fields()
    if f.concrete and f.name not in ("id", "agreement", "updated_at", "reviewed_at", "reviewed_by")
)


def agreement_edit_denial(agreement: Agreement, user: User, *, substance: bool = True) -> str | None:
    """Why ``user`` may not edit the agreement's record now (None when it may)."""
    if not user.is_program_office or user.organization_id != agreement.lead_organization_id:
        return f"Only the program office of {agreement.lead_organization} may edit this agreement."
    if substance and agreement.state not in PROGRAM_OFFICE_EDITABLE_STATES:
        return f"The agreement is {State(agreement.state).label}: the program office does not hold the pen."
    return None


def _require_edit(agreement: Agreement, user: User, *, substance: bool = True) -> Agreement:
    """Lock the agreement's row, then check that ``user`` holds the pen on the locked row (so a
    transition committed meanwhile is seen). Returns the locked row."""
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    denial = agreement_edit_denial(locked, user, substance=substance)
    if denial:
        raise PermissionDenied(denial)
    return locked


def _save(instance, user) -> None:
    instance._history_user = user
    instance.full_clean()
    instance.save()


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
def agreement_update(*, agreement: Agreement, user: User, **fields) -> Agreement:
    """Edit the record's fields; substance only while the program office holds the pen."""
    unknown = set(fields) - set(AGREEMENT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    substance = bool(set(fields) - set(AGREEMENT_ALWAYS_EDITABLE_FIELDS))
    agreement = _require_edit(agreement, user, substance=substance)
    for name, value in fields.items():
        setattr(agreement, name, value)
    agreement._history_user = user
    if substance:
        validate_agreement(agreement)
    else:
        agreement.full_clean(exclude=["reference", "state"])
    agreement.save()
    return agreement


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


def _participant_create(*, agreement: Agreement, user: User, partner: Partner, **fields) -> Participant:
    participant = Participant(agreement=agreement, partner=partner, **fields)
    _save(participant, user)
    return participant


@transaction.atomic
def participant_update(*, participant: Participant, user: User, **fields) -> Participant:
    """Signatory details and role; signatures themselves are recorded through the lifecycle."""
    allowed = {"role", "signatory_name", "signatory_title"}
    if set(fields) - allowed:
        raise ValidationError(f"Only {', '.join(sorted(allowed))} can be edited here.")
    _require_edit(participant.agreement, user, substance=False)
    participant = Participant.objects.select_related("agreement", "partner").get(pk=participant.pk)
    for name, value in fields.items():
        setattr(participant, name, value)
    _save(participant, user)
    return participant


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
    participant: Participant,
    user: User,
    description: str,
    amount_usd: Decimal,
    kind: str = "financial",
    valuation_basis: str = "",
    fiscal_year: int | None = None,
) -> Contribution:
    _require_edit(participant.agreement, user)
    contribution = Contribution(
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
def contribution_update(*, contribution: Contribution, user: User, **fields) -> Contribution:
    _require_edit(contribution.participant.agreement, user)
    allowed = {"kind", "description", "valuation_basis", "amount_usd", "fiscal_year"}
    if set(fields) - allowed:
        raise ValidationError(f"Only {', '.join(sorted(allowed))} can be edited.")
    for name, value in fields.items():
        setattr(contribution, name, value)
    _save(contribution, user)
    return contribution


@transaction.atomic
def contribution_delete(*, contribution: Contribution, user: User) -> None:
    _require_edit(contribution.participant.agreement, user)
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
    _require_edit(loan_item.agreement, user)
    loan_item._history_user = user
    loan_item.delete()


@transaction.atomic
def ssoi_update(*, agreement: Agreement, user: User, **sections) -> SSOI:
    """Save SSOI sections (a draft may be saved incomplete; completeness is checked at submit)."""
    unknown = set(sections) - set(SSOI_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown SSOI sections: {', '.join(sorted(unknown))}.")
    agreement = _require_edit(agreement, user)
    ssoi, _ = SSOI.objects.select_for_update().get_or_create(agreement=agreement)
    for name, value in sections.items():
        setattr(ssoi, name, value.strip() if isinstance(value, str) else value)
    _save(ssoi, user)
    return ssoi


@transaction.atomic
def ssoi_confirm_reviewed(*, agreement: Agreement, user: User) -> SSOI:
    """The program office confirms, deliberately, that it reviewed the SSOI after negotiation
    began and that it still holds. Counts for the RFA like an edit does (``submit_rfa``)."""
    _require_edit(agreement, user)
    if agreement.state != State.NEGOTIATION:
        raise ValidationError(
            f"The SSOI is confirmed as reviewed during negotiation; {agreement.reference} is "
            f"{State(agreement.state).label}."
        )
    ssoi, _ = SSOI.objects.select_for_update().get_or_create(agreement=agreement)
    ssoi.reviewed_at = timezone.now()
    ssoi.reviewed_by = user
    ssoi._history_user = user
    ssoi._change_reason = "SSOI confirmed as reviewed after negotiation"
    ssoi.save(update_fields=["reviewed_at", "reviewed_by"])
    return ssoi


def document_edit_denial(agreement: Agreement, user: User, kind: str) -> str | None:
    """Texts and notices can be attached by the lead program office in any open state; a reviewer
    attaches termination notices."""
    if kind == DocumentKind.NOTICE and user.is_reviewer:
        return None
    denial = agreement_edit_denial(agreement, user, substance=False)
    if denial:
        return denial
    if (
        agreement.state in (State.EXPIRED, State.TERMINATED, State.WITHDRAWN, State.DISAPPROVED)
        and kind != DocumentKind.OTHER
    ):
        return f"The agreement is {State(agreement.state).label}: only other documents may still be attached."
    return None


@transaction.atomic
def document_upload(
    *,
    agreement: Agreement,
    user: User | None,
    kind: str,
    content: bytes,
    filename: str,
    title: str = "",
    content_type: str = "",
    marking: str | None = None,
    releasable_to_partners: bool = False,
    check_permission: bool = True,
) -> Document:
    """Attach a new version of a document. ``user`` None (with check_permission False) is a
    background job storing a file it generated on a user's behalf."""
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": "Choose a document kind."})
    # Lock the agreement (serializes version numbers), then decide on the locked row.
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if check_permission:
        denial = document_edit_denial(agreement, user, kind)
        if denial:
            raise PermissionDenied(denial)
    max_bytes = settings.MAX_UPLOAD_MB * 1024 * 1024
    if len(content) > max_bytes:
        raise ValidationError({"file": f"The file is larger than {settings.MAX_UPLOAD_MB} MB."})
    if not content:
        raise ValidationError({"file": "The file is empty."})
    version = (Document.objects.filter(agreement=agreement, kind=kind).aggregate(v=Max("version"))["v"] or 0) + 1
    safe_name = os.path.basename(filename or "document").replace("\x00", "")[:150] or "document"
    document = Document(
        agreement=agreement,
        kind=kind,
        title=title.strip() or safe_name,
        version=version,
        original_name=safe_name,
        content_type=content_type[:100],
        sha256=Document.digest(content),
        size=len(content),
        marking=marking or agreement.marking,
        releasable_to_partners=releasable_to_partners,
        uploaded_by=user,
    )
    document.file.save(safe_name, ContentFile(content), save=False)
    document._history_user = user
    document.save()
    return document


@transaction.atomic
def document_withdraw(*, document: Document, user: User, reason: str) -> Document:
    """Withdraw a wrong or superseded version: it stays in the history (and downloadable for DoD
    users) but no longer counts as attached, and partners no longer see it."""
    denial = document_edit_denial(document.agreement, user, document.kind)
    if denial:
        raise PermissionDenied(denial)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the document is withdrawn."})
    if len(reason) > 300:
        raise ValidationError({"reason": "Keep the reason under 300 characters."})
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.withdrawn_at is not None:
        raise ValidationError(f"{document} was withdrawn on {document.withdrawn_at:%Y-%m-%d} already.")
    document.withdrawn_at = timezone.now()
    document.withdrawn_by = user
    document.withdrawal_reason = reason
    document.releasable_to_partners = False
    _save(document, user)
    return document


@transaction.atomic
def document_update(*, document: Document, user: User, **fields) -> Document:
    """Change a document's marking, title or releasability (the file itself is immutable)."""
    allowed = {"title", "marking", "releasable_to_partners"}
    if set(fields) - allowed:
        raise ValidationError(f"Only {', '.join(sorted(allowed))} can be changed; upload a new version instead.")
    agreement = Agreement.objects.select_for_update().get(pk=document.agreement_id)
    denial = document_edit_denial(agreement, user, document.kind)
    if denial:
        raise PermissionDenied(denial)
    if document.withdrawn_at is not None and fields.get("releasable_to_partners"):
        raise ValidationError({"releasable_to_partners": f"{document} is withdrawn: it cannot be released."})
    for name, value in fields.items():
        setattr(document, name, value)
    _save(document, user)
    return document
