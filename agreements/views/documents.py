"""The documents tab: versions, markings and releasability, the DDL, and the file download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone

from icp_portal.downloads import document_response, download_refused
from icp_portal.forms_ids import posted_id

from .. import services
from ..choices import DocumentKind
from ..forms import (
    DdlDecisionForm,
    DocumentUpdateForm,
    DocumentUploadForm,
)
from ..models import Document, document_release_denial
from ..selectors import (
    documents_visible_to,
)
from .frame import agreement_for, form_failure, int_or_404, tab_page


@login_required
def agreement_documents(request, reference: str):
    """Documents with their versions, markings and releasability; upload and re-mark."""
    agreement = agreement_for(request, reference)
    user = request.user
    kind = request.GET.get("kind")
    upload_form = DocumentUploadForm(
        initial={"marking": agreement.marking, "kind": kind if kind in DocumentKind.values else ""}
    )
    ddl_form = DdlDecisionForm(initial={"decision_date": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if user.is_liaison:
            raise PermissionDenied("Partner liaisons have read-only access.")
        action = request.POST.get("action")
        if action == "upload":
            upload_form = DocumentUploadForm(request.POST, request.FILES)
            status = 400
            if upload_form.is_valid():
                data = upload_form.cleaned_data
                upload = data["file"]
                try:
                    document = services.document_upload(
                        agreement=agreement,
                        user=user,
                        kind=data["kind"],
                        content=upload.read(),
                        filename=upload.name,
                        title=data["title"],
                        content_type=upload.content_type or "",
                        marking=data["marking"],
                        releasable_to_partners=data["releasable_to_partners"],
                    )
                except (ValidationError, PermissionDenied) as exc:
                    status = form_failure(upload_form, exc)
                else:
                    messages.success(request, f"{document} is uploaded.")
                    return redirect("agreement_documents", reference=reference)
        elif action == "ddl_request":
            try:
                services.ddl_review_request(agreement=agreement, user=user, comment=request.POST.get("comment", ""))
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                status = 403 if isinstance(exc, PermissionDenied) else 400
            else:
                messages.success(request, "The TS&FD review is asked for; the disclosure office decides the DDL.")
                return redirect("agreement_documents", reference=reference)
        elif action == "ddl_decide":
            ddl_form = DdlDecisionForm(request.POST, request.FILES)
            status = 400
            if ddl_form.is_valid():
                data = ddl_form.cleaned_data
                upload = data["file"]
                try:
                    services.ddl_decide(
                        agreement=agreement,
                        user=user,
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
                    status = form_failure(ddl_form, exc)
                else:
                    messages.success(request, f"The DDL decision on {agreement.reference} is recorded.")
                    return redirect("agreement_documents", reference=reference)
        elif action == "update":
            document = get_object_or_404(Document, pk=posted_id(request.POST.get("document")), agreement=agreement)
            form = DocumentUpdateForm(request.POST)
            if form.is_valid():
                try:
                    services.document_update(document=document, user=user, **form.cleaned_data)
                except (ValidationError, PermissionDenied) as exc:
                    messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                    status = 403 if isinstance(exc, PermissionDenied) else 400
                else:
                    messages.success(request, f"{document} is updated.")
                    return redirect("agreement_documents", reference=reference)
            else:
                messages.error(request, "Choose a marking.")
                status = 400
        elif action == "withdraw":
            document = get_object_or_404(Document, pk=int_or_404(request.POST.get("document")), agreement=agreement)
            try:
                services.document_withdraw(document=document, user=user, reason=request.POST.get("reason", ""))
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                status = 403 if isinstance(exc, PermissionDenied) else 400
            else:
                messages.success(request, f"{document} is withdrawn; it stays in the history.")
                return redirect("agreement_documents", reference=reference)
        else:
            raise Http404("Unknown action.")
    documents = (
        documents_visible_to(user)
        .filter(agreement=agreement)
        .select_related("uploaded_by")
        .order_by("kind", "-version")[:200]
    )
    can_upload = user.is_dod and any(
        services.document_edit_denial(agreement, user, kind) is None for kind in DocumentKind.values
    )
    return tab_page(
        request,
        agreement,
        "documents",
        "agreements/detail_documents.html",
        {
            "documents": documents,
            "upload_form": upload_form,
            "can_upload": can_upload,
            "can_update": user.is_dod and services.agreement_edit_denial(agreement, user, substance=False) is None,
            "markings": Document._meta.get_field("marking").choices,
            **(
                {
                    "ddl": services.ddl_for(agreement),
                    "ddl_form": ddl_form,
                    "can_request_ddl": services.ddl_request_denial(agreement, user) is None,
                    "can_decide_ddl": services.ddl_decision_denial(agreement, user) is None,
                    "release_denial": document_release_denial(agreement, DocumentKind.OTHER),
                }
                if user.is_dod
                else {}
            ),
        },
        status,
    )


@login_required
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
