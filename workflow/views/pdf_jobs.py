"""Browser pages for generated PDFs and notifications: ask for a PDF (a RenderJob queued through
the outbox; the page returns at once), poll its status (htmx), download it through the same
visibility rules as every other document, retry a failed one, ask for the register of agreements
in force, and read one's notifications. Every write goes through workflow.pdf / workflow.reminders."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agreements.exports import XLSX_CONTENT_TYPE
from agreements.models import Agreement
from agreements.selectors import agreements_visible_to, documents_visible_to
from icp_portal.downloads import document_response, download_refused, file_response
from icp_portal.forms_ids import posted_id
from icp_portal.pagination import Paginator
from partners.models import Partner

from .. import pdf, reminders
from ..models import RenderJob, RenderKind, RenderStatus

AGREEMENT_KINDS = {
    "ssoi": RenderKind.SSOI,
    "summary": RenderKind.SUMMARY,
    "partner-summary": RenderKind.PARTNER_SUMMARY,
}
# A partner liaison is offered only the partner-safe summary: the internal PDFs are not even named.
LIAISON_KINDS = ("partner-summary",)
RECENT_REGISTER_JOBS = 5


def _message_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "You may not do this."


def _next_url(request: HttpRequest, default: str) -> str:
    """Where to go back to after a POST: a same-site ``next`` or the default."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _page_url(request: HttpRequest) -> str:
    """The page the panel sits on (for an htmx fragment, the page that loaded it)."""
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.current_url_abs_path:
        return htmx.current_url_abs_path
    return request.get_full_path()


def _visible_agreement(request: HttpRequest, reference: str) -> Agreement:
    return get_object_or_404(agreements_visible_to(request.user), reference=reference)


def _visible_job(request: HttpRequest, pk: int) -> RenderJob:
    job = get_object_or_404(RenderJob.objects.select_related("agreement", "document", "requested_by"), pk=pk)
    if not pdf.render_job_visible_to(request.user, job):
        raise Http404("No such PDF.")
    return job


# --- the agreement's PDFs -------------------------------------------------------------------------
def _agreement_panel_context(request: HttpRequest, agreement: Agreement) -> dict:
    rows = []
    for slug, kind in AGREEMENT_KINDS.items():
        if request.user.is_liaison and slug not in LIAISON_KINDS:
            continue
        jobs = RenderJob.objects.filter(agreement=agreement, kind=kind).select_related("document")
        if kind == RenderKind.PARTNER_SUMMARY:
            jobs = jobs.filter(requested_by=request.user)  # each person's own copy
        job = jobs.first()
        rows.append(
            {
                "slug": slug,
                "label": RenderKind(kind).label,
                "job": job if job is not None and pdf.render_job_visible_to(request.user, job) else None,
                "denial": pdf.render_permission_denial(user=request.user, kind=kind, agreement=agreement),
            }
        )
    return {"agreement": agreement, "rows": rows, "next": _page_url(request)}


@login_required
@require_GET
def render_panel(request: HttpRequest, reference: str) -> HttpResponse:
    """The "Generated PDFs" panel of an agreement: a fragment for htmx, a page otherwise."""
    agreement = _visible_agreement(request, reference)
    context = _agreement_panel_context(request, agreement)
    if getattr(request, "htmx", False):
        return render(request, "workflow/render_panel_body.html", context)
    return render(request, "workflow/render_page.html", context)


@login_required
@require_POST
def render_request(request: HttpRequest, reference: str, kind: str) -> HttpResponse:
    """Queue the SSOI or summary PDF of an agreement and go straight back to the page."""
    agreement = _visible_agreement(request, reference)
    if kind not in AGREEMENT_KINDS:
        raise Http404("No such kind of PDF.")
    try:
        job = pdf.render_request(user=request.user, kind=AGREEMENT_KINDS[kind], agreement=agreement)
    except PermissionDenied as exc:
        context = _agreement_panel_context(request, agreement) | {"error": _message_text(exc)}
        return render(request, "workflow/render_page.html", context, status=403)
    messages.success(request, f"{RenderKind(job.kind).label} PDF of {agreement.reference} queued.")
    return redirect(_next_url(request, reverse("render_panel", args=[agreement.reference])))


# --- one job ---------------------------------------------------------------------------------------
@login_required
@require_GET
def render_status(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's status: the fragment htmx polls every 2 s until the job is ready or failed."""
    job = _visible_job(request, pk)
    context = {"job": job, "next": _page_url(request)}
    if getattr(request, "htmx", False):
        return render(request, "workflow/render_status.html", context)
    return render(request, "workflow/render_job.html", context)


@login_required
@require_GET
def render_download(request: HttpRequest, pk: int) -> FileResponse:
    """The job's PDF, for someone allowed to see it: an agreement document through
    ``documents_visible_to``, a register only for the person who asked for it."""
    job = _visible_job(request, pk)
    if job.status != RenderStatus.READY:
        raise Http404("This PDF is not ready.")
    if job.document_id:
        document = documents_visible_to(request.user).select_related("agreement").filter(pk=job.document_id).first()
        if document is None:
            raise download_refused(request, wanted=f"PDF job {job.pk}", detail="no such document for this user")
        filename = f"{document.agreement.reference}-{job.kind}-v{document.version}.pdf"
        return document_response(request, document, filename=filename, detail=filename)
    if job.file and job.requested_by_id == request.user.pk and job.kind == RenderKind.EXPORT:
        filename = job.params.get("filename") or f"icp-agreements.{job.params.get('format', 'csv')}"
        content_type = "text/csv; charset=utf-8" if filename.endswith(".csv") else XLSX_CONTENT_TYPE
        return file_response(
            request, job.file, filename=filename, content_type=content_type, wanted=f"export job {job.pk}"
        )
    if job.file and job.requested_by_id == request.user.pk:
        if job.kind == RenderKind.PARTNER_SUMMARY:
            filename = f"{job.agreement.reference}-partner-summary.pdf"
        else:
            filename = f"register-{job.params.get('as_of', 'today')}.pdf"
        return file_response(
            request, job.file, filename=filename, content_type="application/pdf", wanted=f"PDF job {job.pk}: {job.kind}"
        )
    raise download_refused(request, wanted=f"PDF job {job.pk}", detail="not this user's PDF", message="No such PDF.")


@login_required
@require_POST
def render_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a failed job again."""
    job = _visible_job(request, pk)
    try:
        pdf.render_job_retry(job=job, user=request.user)
    except (PermissionDenied, ValidationError) as exc:
        status = 403 if isinstance(exc, PermissionDenied) else 409
        return render(request, "workflow/render_job.html", {"job": job, "error": _message_text(exc)}, status=status)
    messages.success(request, "The PDF is queued again.")
    return redirect(_next_url(request, reverse("render_status", args=[job.pk])))


# --- the register ----------------------------------------------------------------------------------
class RegisterForm(forms.Form):
    """The register's date and, for DoD users, an optional partner."""

    as_of = forms.DateField(
        label="In force on", widget=forms.DateInput(attrs={"type": "date", "class": "usa-input"}), required=False
    )
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.filter(active=True).order_by("name"),
        required=False,
        empty_label="All partners",
        widget=forms.Select(attrs={"class": "usa-select"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and user.is_liaison:
            del self.fields["partner"]


def _register_context(request: HttpRequest, form: RegisterForm) -> dict:
    jobs = RenderJob.objects.filter(kind=RenderKind.REGISTER, requested_by=request.user).order_by("-created_at")
    return {
        "form": form,
        "jobs": list(jobs[:RECENT_REGISTER_JOBS]),
        "next": _page_url(request),
        "today": timezone.localdate(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def register_pdf(request: HttpRequest) -> HttpResponse:
    """The register of agreements in force on a date: DoD users get the full register (or one
    partner's), a liaison the releasable variant for its own nation."""
    if request.method == "GET":
        form = RegisterForm(user=request.user, initial={"as_of": timezone.localdate()})
        template = (
            "workflow/render_register_body.html"
            if getattr(request, "htmx", False)
            else ("workflow/render_register.html")
        )
        return render(request, template, _register_context(request, form))
    form = RegisterForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "workflow/render_register.html", _register_context(request, form), status=400)
    try:
        pdf.render_request(
            user=request.user,
            kind=RenderKind.REGISTER,
            as_of=form.cleaned_data.get("as_of") or timezone.localdate(),
            partner=form.cleaned_data.get("partner"),
        )
    except ValidationError as exc:
        for field, errors in getattr(exc, "message_dict", {"as_of": exc.messages}).items():
            form.add_error(field if field in form.fields else None, errors)
        return render(request, "workflow/render_register.html", _register_context(request, form), status=400)
    except PermissionDenied as exc:
        form.add_error(None, _message_text(exc))
        return render(request, "workflow/render_register.html", _register_context(request, form), status=403)
    messages.success(request, "The register PDF is queued.")
    return redirect(_next_url(request, reverse("register_pdf")))


# --- notifications ---------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    """A person's notifications, newest first; POST marks one (``notification``) or all as read."""
    if request.method == "POST":
        if request.POST.get("notification"):
            notification_id = posted_id(request.POST["notification"])
            if notification_id is None:
                return render(request, "workflow/notifications.html", _notifications_context(request), status=400)
            ids = [notification_id]
        else:
            ids = None
        count = reminders.notifications_mark_read(user=request.user, ids=ids)
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
        return redirect(_next_url(request, reverse("notifications")))
    return render(request, "workflow/notifications.html", _notifications_context(request))


def _notifications_context(request: HttpRequest) -> dict:
    items = reminders.notifications_for(request.user)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return {"page": page, "unread": items.filter(read_at__isnull=True).count()}
