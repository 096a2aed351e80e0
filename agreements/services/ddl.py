"""The DDL / TS&FD decision: the program office asks, a disclosure office decides."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from partners.models import User

from ..choices import DDL_DECISIONS, TERMINAL_STATES, DdlStatus, DocumentKind, State
from ..models import Agreement, DdlDecision, Document
from ..signals import ddl_decided, ddl_review_requested
from .access import _require_edit, _save, agreement_edit_denial
from .documents import StoredDocumentFile, document_create, document_file_store


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
    ddl_review_requested.send(sender=DdlDecision, agreement=agreement, ddl=ddl, user=user)
    return ddl


def _ddl_decision_input_check(status: str, decision_date: dt.date, comment: str) -> str:
    """The decision's own fields, checked the same before the file is stored and under the lock;
    the cleaned comment."""
    if status not in DDL_DECISIONS:
        raise ValidationError({"status": "Choose approved or not approved."})
    if not isinstance(decision_date, dt.date):
        raise ValidationError({"decision_date": "Enter the date of the decision."})
    if decision_date > timezone.localdate():
        raise ValidationError({"decision_date": "The decision date cannot be in the future."})
    comment = (comment or "").strip()
    if status == DdlStatus.DENIED and not comment:
        raise ValidationError({"comment": "Say why the DDL is not approved."})
    return comment


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
    A later decision replaces the earlier one; field history keeps both. An uploaded letter is
    stored before the agreement row is locked, and deleted again when the decision is refused."""
    stored = None
    if content:
        current = Agreement.objects.get(pk=agreement.pk)
        denial = ddl_decision_denial(current, user)
        if denial:
            raise PermissionDenied(denial)
        _ddl_decision_input_check(status, decision_date, comment)
        stored = document_file_store(
            agreement=current,
            kind=DocumentKind.DDL,
            content=content,
            filename=filename or "ddl.pdf",
            content_type=content_type,
        )
    try:
        return _ddl_decide_locked(
            agreement=agreement,
            user=user,
            status=status,
            decision_date=decision_date,
            comment=comment,
            document=document,
            stored=stored,
        )
    except BaseException:
        if stored is not None:
            stored.discard()
        raise


@transaction.atomic
def _ddl_decide_locked(
    *,
    agreement: Agreement,
    user: User,
    status: str,
    decision_date: dt.date,
    comment: str,
    document: Document | None,
    stored: StoredDocumentFile | None,
) -> DdlDecision:
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    denial = ddl_decision_denial(agreement, user)
    if denial:
        raise PermissionDenied(denial)
    comment = _ddl_decision_input_check(status, decision_date, comment)
    if stored is not None:
        document = document_create(
            agreement=agreement,
            user=user,
            kind=DocumentKind.DDL,
            stored=stored,
            title=f"DDL — {agreement.reference}",
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
    ddl_decided.send(sender=DdlDecision, agreement=agreement, ddl=ddl, user=user)
    return ddl
