"""The documents tab: versions, markings and releasability, the DDL, and the file download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST, require_safe

from icp_portal.downloads import document_response, download_refused

from .. import services
from ..choices import DocumentKind
from ..forms import DdlDecisionForm, DocumentUpdateForm, DocumentUploadForm
from ..models import Document, document_release_denial
from ..selectors import documents_visible_to
from .frame import agreement_for, form_failure, tab_page


def _tab(request, agreement, status: int = 200, *, upload_form=None, ddl_form=None):
    """The documents tab, with the forms as posted when one of them failed."""
    user = request.user
    if upload_form is None:
        kind = request.GET.get("kind")
        upload_form = DocumentUploadForm(
            initial={"marking": agreement.marking, "kind": kind if kind in DocumentKind.values else ""}
        )
    documents = (
        documents_visible_to(user)
        .filter(agreement=agreement)
        .select_related("uploaded_by")
        .order_by("kind", "-version")[:200]
    )
    can_upload = user.is_dod and any(
        services.document_edit_denial(agreement, user, kind) is None for kind in DocumentKind.values
    )
    context = {
        "documents": documents,
        "upload_form": upload_form,
        "can_upload": can_upload,
        "can_update": user.is_dod and services.agreement_edit_denial(agreement, user, substance=False) is None,
        "markings": Document._meta.get_field("marking").choices,
    }
    if user.is_dod:
        context.update(
            {
                "ddl": services.ddl_for(agreement),
                "ddl_form": ddl_form or DdlDecisionForm(initial={"decision_date": timezone.localdate()}),
                "can_request_ddl": services.ddl_request_denial(agreement, user) is None,
                "can_decide_ddl": services.ddl_decision_denial(agreement, user) is None,
                "release_denial": document_release_denial(agreement, DocumentKind.OTHER),
            }
        )
    return tab_page(request, agreement, "documents", "agreements/detail_documents.html", context, status)


def _writable(request, reference: str):
    """The agreement a document action changes; partner liaisons only read."""
    agreement = agreement_for(request, reference)
    if request.user.is_liaison:
        raise PermissionDenied("Partner liaisons have read-only access.")
    return agreement


def _refused(request, agreement, exc):
    """A refusal told as a message above the tab (the form that failed is not on the page)."""
    messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return _tab(request, agreement, 403 if isinstance(exc, PermissionDenied) else 400)


def _back(agreement):
    return redirect("agreement_documents", reference=agreement.reference)


@login_required
@require_GET
def agreement_documents(request, reference: str):
    """Documents with their versions, markings and releasability. The tab only shows; each change
    posts to its own route below."""
    return _tab(request, agreement_for(request, reference))


@login_required
@require_POST
def document_upload(request, reference: str):
    """Upload a document (a new version of its kind)."""
    agreement = _writable(request, reference)
    form = DocumentUploadForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            document = services.document_upload(
                agreement=agreement,
                user=request.user,
                kind=data["kind"],
                content=upload.read(),
                filename=upload.name,
                title=data["title"],
                content_type=upload.content_type or "",
                marking=data["marking"],
                releasable_to_partners=data["releasable_to_partners"],
            )
        except (ValidationError, PermissionDenied) as exc:
            status = form_failure(form, exc)
        else:
            messages.success(request, f"{document} is uploaded.")
            return _back(agreement)
    return _tab(request, agreement, status, upload_form=form)


@login_required
@require_POST
def ddl_request(request, reference: str):
    """Ask the disclosure office for the TS&FD review that decides the DDL."""
    agreement = _writable(request, reference)
    try:
        services.ddl_review_request(agreement=agreement, user=request.user, comment=request.POST.get("comment", ""))
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, agreement, exc)
    messages.success(request, "The TS&FD review is asked for; the disclosure office decides the DDL.")
    return _back(agreement)


@login_required
@require_POST
def ddl_decide(request, reference: str):
    """The disclosure office records its DDL decision (with the letter, optionally)."""
    agreement = _writable(request, reference)
    form = DdlDecisionForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            services.ddl_decide(
                agreement=agreement,
                user=request.user,
                status=data["status"],
                decision_date=data["decision_date"],
                comment=data["comment"],
                content=upload.read() if upload else None,
                filename=upload.name if upload else "",
                content_type=(upload.content_type or "") if upload else "",
            )
        except PermissionDenied as exc:
            messages.error(request, str(exc))  # the decision form is not shown to this user
            status = 403
        except ValidationError as exc:
            status = form_failure(form, exc)
        else:
            messages.success(request, f"The DDL decision on {agreement.reference} is recorded.")
            return _back(agreement)
    return _tab(request, agreement, status, ddl_form=form)


@login_required
@require_POST
def document_update(request, reference: str, pk: int):
    """Re-mark a document, or change whether it is releasable to the partners."""
    agreement = _writable(request, reference)
    document = get_object_or_404(Document, pk=pk, agreement=agreement)
    form = DocumentUpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a marking.")
        return _tab(request, agreement, 400)
    try:
        services.document_update(document=document, user=request.user, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, agreement, exc)
    messages.success(request, f"{document} is updated.")
    return _back(agreement)


@login_required
@require_POST
def document_withdraw(request, reference: str, pk: int):
    """Withdraw a document, with a reason; it stays in the history."""
    agreement = _writable(request, reference)
    document = get_object_or_404(Document, pk=pk, agreement=agreement)
    try:
        services.document_withdraw(document=document, user=request.user, reason=request.POST.get("reason", ""))
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, agreement, exc)
    messages.success(request, f"{document} is withdrawn; it stays in the history.")
    return _back(agreement)


@login_required
@require_safe
def document_download(request, reference: str, pk: int):
    """The file itself, only when the user may see the document."""
    document = (
        documents_visible_to(request.user)
        .select_related("agreement")
        .filter(pk=pk, agreement__reference=reference)
        .first()
    )
    if document is None:
        raise download_refused(request, wanted=f"document {pk} of {reference}", detail="no such document for this user")
    return document_response(request, document)
