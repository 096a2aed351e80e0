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

from icp_portal.security.uploads import upload_check
from partners.models import Partner, Role, User

from .choices import (
    DDL_DECISIONS,
    PROGRAM_OFFICE_EDITABLE_STATES,
    TERMINAL_STATES,
    AgreementKind,
    DdlStatus,
    DocumentKind,
    LegalAuthority,
    ParticipantRole,
    State,
)
from .models import (
    SSOI,
    Agreement,
    Contribution,
    DdlDecision,
    Document,
    LoanItem,
    Participant,
    SavedView,
    validate_agreement,
)
from .text_extraction import extract_text

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
    user: User,
    description: str,
    amount_usd: Decimal,
    participant: Participant | None = None,
    agreement: Agreement | None = None,
    kind: str = "financial",
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
def contribution_update(*, contribution: Contribution, user: User, **fields) -> Contribution:
    _require_edit(contribution.agreement, user)
    allowed = {"kind", "description", "valuation_basis", "amount_usd", "fiscal_year"}
    if set(fields) - allowed:
        raise ValidationError(f"Only {', '.join(sorted(allowed))} can be edited.")
    for name, value in fields.items():
        setattr(contribution, name, value)
    _save(contribution, user)
    return contribution


@transaction.atomic
def contribution_delete(*, contribution: Contribution, user: User) -> None:
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
    background job storing a file it generated on a user's behalf. The file must be one of the
    accepted types by its content (``icp_portal.security.uploads.upload_check``); the stored content type is
    the detected one, and the client's ``content_type`` is ignored."""
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": "Choose a document kind."})
    # The words of the file, for search and comparison: read before the row lock is taken.
    within_limit = 0 < len(content) <= settings.MAX_UPLOAD_MB * 1024 * 1024
    text = extract_text(content, filename or "", content_type or "") if within_limit else ""
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
    safe_name = os.path.basename((filename or "document").replace("\\", "/")).replace("\x00", "")[:150] or "document"
    # What the file is comes from its content, never from the client's name or content type.
    file_type = upload_check(content=content, filename=safe_name)
    version = (Document.objects.filter(agreement=agreement, kind=kind).aggregate(v=Max("version"))["v"] or 0) + 1
    document = Document(
        agreement=agreement,
        kind=kind,
        title=title.strip() or safe_name,
        version=version,
        original_name=safe_name,
        content_type=file_type.content_type,
        sha256=Document.digest(content),
        size=len(content),
        marking=marking or agreement.marking,
        releasable_to_partners=releasable_to_partners,
        uploaded_by=user,
        text=text,
    )
    document.clean()  # the release rule (DDL approved, never an internal PDF), before the file is stored
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


# --- the DDL / TS&FD decision --------------------------------------------------------------------
def ddl_for(agreement: Agreement) -> DdlDecision:
    """The agreement's DDL record (an unsaved "not started" one when none exists yet: reading
    never writes)."""
    try:
        return DdlDecision.objects.select_related("deciding_office", "decided_by", "document").get(agreement=agreement)
    except DdlDecision.DoesNotExist:
        return DdlDecision(agreement=agreement)


def ddl_request_denial(agreement: Agreement, user: User) -> str | None:
    """Why ``user`` may not ask for the agreement's TS&FD review now (None when it may)."""
    denial = agreement_edit_denial(agreement, user, substance=False)
    if denial:
        return denial
    if agreement.state in TERMINAL_STATES:
        return f"The agreement is {State(agreement.state).label}: no DDL review is needed."
    status = ddl_for(agreement).status
    if status == DdlStatus.IN_REVIEW:
        return "The TS&FD review has already been asked for."
    if status == DdlStatus.APPROVED:
        return "The DDL is approved already."
    return None


def ddl_decision_denial(agreement: Agreement, user: User) -> str | None:
    """Why ``user`` may not record the agreement's DDL decision (None when it may). Only a
    coordinator of a disclosure office decides; never the program office that asks."""
    if user is None or not user.is_disclosure_officer:
        return "Only a disclosure office (a coordinating office flagged as one, such as DTSA) may decide the DDL."
    if agreement.state in TERMINAL_STATES:
        return f"The agreement is {State(agreement.state).label}: its DDL can no longer be decided."
    return None


@transaction.atomic
def ddl_review_request(*, agreement: Agreement, user: User, comment: str = "") -> DdlDecision:
    """The lead program office asks its disclosure office for the DDL / TS&FD review."""
    from workflow.notifications import notify
    from workflow.services import audit_event
    from workflow.transitions import EVENT_DDL_REQUESTED

    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _require_edit(agreement, user, substance=False)
    denial = ddl_request_denial(agreement, user)
    if denial:
        raise ValidationError(denial)
    ddl, _ = DdlDecision.objects.select_for_update().get_or_create(agreement=agreement)
    ddl.status = DdlStatus.IN_REVIEW
    ddl.requested_by = user
    ddl.requested_at = timezone.now()
    ddl.comment = (comment or "").strip()
    _save(ddl, user)
    audit_event(agreement=agreement, event=EVENT_DDL_REQUESTED, user=user, comment=ddl.comment)
    notify(
        users=User.objects.filter(
            role=Role.COORDINATOR, is_active=True, coordinating_office__is_disclosure_office=True
        ),
        kind="ddl_review_requested",
        message=f"{agreement.reference}: the program office asks for the DDL / TS&FD review.",
        dedupe_key=f"ddl_requested:{agreement.pk}:{ddl.requested_at.isoformat()}",
        agreement=agreement,
    )
    return ddl


@transaction.atomic
def ddl_decide(
    *,
    agreement: Agreement,
    user: User,
    status: str,
    decision_date: dt.date,
    comment: str = "",
    document: Document | None = None,
    content: bytes | None = None,
    filename: str = "",
    content_type: str = "",
) -> DdlDecision:
    """A disclosure office approves or refuses the agreement's DDL, on a date, with the letter
    (an approval needs it: an existing DDL document of the agreement, or the file uploaded here).
    A later decision replaces the earlier one; field history keeps both."""
    from workflow.notifications import notify
    from workflow.services import audit_event
    from workflow.transitions import EVENT_DDL_DECIDED

    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    denial = ddl_decision_denial(agreement, user)
    if denial:
        raise PermissionDenied(denial)
    if status not in DDL_DECISIONS:
        raise ValidationError({"status": "Choose approved or not approved."})
    if not isinstance(decision_date, dt.date):
        raise ValidationError({"decision_date": "Enter the date of the decision."})
    if decision_date > timezone.localdate():
        raise ValidationError({"decision_date": "The decision date cannot be in the future."})
    comment = (comment or "").strip()
    if status == DdlStatus.DENIED and not comment:
        raise ValidationError({"comment": "Say why the DDL is not approved."})
    if content:
        document = document_upload(
            agreement=agreement,
            user=user,
            kind=DocumentKind.DDL,
            content=content,
            filename=filename or "ddl.pdf",
            title=f"DDL — {agreement.reference}",
            content_type=content_type,
            check_permission=False,
        )
    elif document is not None and (document.agreement_id != agreement.pk or document.kind != DocumentKind.DDL):
        raise ValidationError({"document": "Choose a DDL document of this agreement."})
    if status == DdlStatus.APPROVED and document is None:
        document = Document.objects.filter(agreement=agreement, kind=DocumentKind.DDL).order_by("-version").first()
        if document is None:
            raise ValidationError({"document": "Attach the Delegation of Disclosure Authority Letter to approve it."})
    ddl, _ = DdlDecision.objects.select_for_update().get_or_create(agreement=agreement)
    ddl.status = status
    ddl.deciding_office = user.coordinating_office
    ddl.decided_by = user
    ddl.decision_date = decision_date
    ddl.document = document
    ddl.comment = comment
    _save(ddl, user)
    audit_event(
        agreement=agreement,
        event=EVENT_DDL_DECIDED,
        user=user,
        comment=f"{ddl.get_status_display()} by {user.coordinating_office.name} on {decision_date:%Y-%m-%d}."
        + (f" {comment}" if comment else ""),
        data={"status": status, "office": user.coordinating_office.code, "document": document.pk if document else None},
    )
    program_office = list(
        User.objects.filter(role=Role.PROGRAM_OFFICE, organization_id=agreement.lead_organization_id, is_active=True)
    )
    notify(
        users=program_office,
        kind="ddl_decided",
        message=f"{agreement.reference}: the DDL is {ddl.get_status_display().lower()} by "
        f"{user.coordinating_office.name} ({decision_date:%Y-%m-%d}).",
        dedupe_key=f"ddl_decided:{agreement.pk}:{ddl.pk}:{status}:{timezone.now().isoformat()}",
        agreement=agreement,
    )
    return ddl


# --- saved views ------------------------------------------------------------------------------
SAVED_VIEW_KEYS = (
    "q",
    "kind",
    "state",
    "status",
    "authority",
    "partner",
    "organization",
    "effective_after",
    "effective_before",
    "expires_after",
    "expires_before",
    "created_after",
    "created_before",
    "ordering",
    "scope",
)


@transaction.atomic
def saved_view_create(*, owner: User, name: str, query, shared_with_team: bool = False) -> SavedView:
    """Save the list's current filters under a name (the same name again replaces the view).
    Only a reviewer shares a view, with the other reviewers."""
    from urllib.parse import urlencode

    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the view."})
    if len(name) > 80:
        raise ValidationError({"name": "A view's name has at most 80 characters."})
    if shared_with_team and not owner.is_reviewer:
        raise PermissionDenied("Only a reviewer shares views with the review team.")
    pairs = [(key, value) for key in SAVED_VIEW_KEYS for value in query.getlist(key) if value]
    encoded = urlencode(pairs)
    if len(encoded) > 1000:
        raise ValidationError({"query": "These filters are too long to save."})
    view, _ = SavedView.objects.update_or_create(
        owner=owner, name=name, defaults={"query": encoded, "shared_with_team": shared_with_team}
    )
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, user: User) -> None:
    if view.owner_id != user.pk:
        raise PermissionDenied("Only the person who saved a view may delete it.")
    view.delete()
