"""Browser pages of the import: upload a file, read its dry-run preview, import it (all rows, or
only the valid ones) and follow the progress; download the template. Administrators and
reviewers only; every decision is made by workflow.imports."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agreements.exports import COLUMNS

from ..imports import (
    IMPORT_INLINE_ROWS,
    ImportFileError,
    import_batch_preview,
    import_batch_start,
    import_denial,
    import_template_xlsx,
)
from ..models import ImportBatch, ImportStatus

PREVIEW_ROWS_SHOWN = 500


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text="One agreement per row, with the columns of the template or of an export from the portal.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx", "class": "usa-file-input"}),
    )


def _require_importer(request) -> None:
    denial = import_denial(request.user)
    if denial:
        raise PermissionDenied(denial)


def _columns():
    return list(COLUMNS)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_upload(request):
    """Upload a file: the dry run is shown next (a large file's is made by the worker while the
    page shows its progress), nothing is written yet."""
    _require_importer(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > settings.MAX_UPLOAD_MB * 1024 * 1024:
                form.add_error("file", f"The file is larger than {settings.MAX_UPLOAD_MB} MB.")
            else:
                try:
                    batch = import_batch_preview(user=request.user, content=upload.read(), filename=upload.name)
                except ImportFileError as exc:
                    form.add_error("file", str(exc))
                else:
                    return redirect("import_batch", pk=batch.pk)
    batches = ImportBatch.objects.filter(user=request.user).order_by("-created_at")[:10]
    return render(
        request,
        "workflow/import_upload.html",
        {"form": form, "batches": batches, "columns": _columns(), "inline_rows": IMPORT_INLINE_ROWS},
        status=status,
    )


def _batch_for(request, pk: int) -> ImportBatch:
    _require_importer(request)
    return get_object_or_404(ImportBatch, pk=pk, user=request.user)


@login_required
@require_http_methods(["GET", "HEAD"])
def import_batch(request, pk: int):
    """The preview (problems first, by row and column), or the import's progress and outcome."""
    batch = _batch_for(request, pk)
    report = batch.report
    rows = sorted(report.get("rows", []), key=lambda r: (r["action"] != "error", r["row"]))
    return render(
        request,
        "workflow/import_batch.html",
        {
            "batch": batch,
            "report": report,
            "rows": rows[:PREVIEW_ROWS_SHOWN],
            "rows_hidden": max(0, len(rows) - PREVIEW_ROWS_SHOWN),
            "running": batch.in_progress,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def import_progress(request, pk: int):
    """The fragment the page polls while a large file is imported."""
    batch = _batch_for(request, pk)
    response = render(request, "workflow/import_progress.html", {"batch": batch})
    if not batch.in_progress:
        response["HX-Refresh"] = "true"  # show the preview or the outcome
    return response


@login_required
@require_POST
def import_run(request, pk: int):
    """Import the previewed file: every row, or only the valid rows when asked."""
    batch = _batch_for(request, pk)
    try:
        batch = import_batch_start(batch=batch, user=request.user, valid_only=request.POST.get("valid_only") == "yes")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("import_batch", pk=pk)
    if batch.status == ImportStatus.DONE:
        created = batch.result["counts"]["create"]
        messages.success(request, f"{created} agreement{'s' if created != 1 else ''} imported from {batch.filename}.")
    elif batch.status == ImportStatus.REFUSED:
        messages.error(request, "Nothing was imported: some rows have problems.")
    return redirect("import_batch", pk=pk)


@login_required
@require_safe
def import_template(request):
    """The XLSX template: the header row, an example, drop-down lists and the column guide."""
    _require_importer(request)
    response = HttpResponse(
        import_template_xlsx(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="icp-agreements-import-template.xlsx"'
    return response
