"""Compare two versions of a document, or two versions of the SSOI, side by side."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from ..compare import diff_counts, side_by_side
from ..models import SSOI, SSOI_SECTIONS, Document
from ..selectors import agreements_visible_to, documents_visible_to
from ..text_extraction import extract_text

MAX_SSOI_VERSIONS = 100


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _text(document: Document) -> str:
    """The extracted text; for a file uploaded before extraction existed, read it now."""
    if document.text:
        return document.text
    try:
        with document.file.open("rb") as handle:
            return extract_text(handle.read(), document.original_name, document.content_type)
    except (OSError, ValueError):
        return ""


@login_required
@require_GET
def document_compare(request, reference: str):
    """Two versions of one kind of document: the older on the left, deletions and insertions marked."""
    agreement = get_object_or_404(agreements_visible_to(request.user), reference=reference)
    documents = documents_visible_to(request.user).filter(agreement=agreement)
    kind = request.GET.get("kind", "")
    if kind:
        documents = documents.filter(kind=kind)
    versions = list(documents.order_by("kind", "-version")[:200])
    a, b = _int(request.GET.get("a")), _int(request.GET.get("b"))
    if (a is None or b is None) and kind:
        same_kind = [d for d in versions if d.kind == kind]
        if len(same_kind) >= 2:
            b, a = same_kind[0].pk, same_kind[1].pk  # the latest against the one before
    context = {"agreement": agreement, "versions": versions, "a": a, "b": b, "kind": kind}
    if a and b:
        by_pk = {d.pk: d for d in documents.filter(pk__in=[a, b])}
        if len(by_pk) != 2 and a != b:
            raise Http404("No such document version.")
        old, new = by_pk.get(a), by_pk.get(b)
        if old is None or new is None:
            raise Http404("Choose two different versions.")
        rows = side_by_side(_text(old), _text(new))
        context.update(
            {
                "old": old,
                "new": new,
                "rows": rows,
                "counts": diff_counts(rows),
                "old_label": f"{old.get_kind_display()} v{old.version} ({old.uploaded_at:%Y-%m-%d})",
                "new_label": f"{new.get_kind_display()} v{new.version} ({new.uploaded_at:%Y-%m-%d})",
            }
        )
    return render(request, "agreements/compare_documents.html", context)


def _ssoi_text(record, field: str) -> str:
    """A text field of one SSOI version ("" when empty)."""
    return str(getattr(record, field, "") or "")


@login_required
@require_GET
def ssoi_compare(request, reference: str):
    """Two versions of the SSOI from its field history, section by section (DoD users only)."""
    if request.user.is_liaison:
        raise Http404("No such page.")
    agreement = get_object_or_404(agreements_visible_to(request.user), reference=reference)
    ssoi = SSOI.objects.filter(agreement=agreement).first()
    records = (
        list(ssoi.history.select_related("history_user").order_by("-history_date", "-history_id")[:MAX_SSOI_VERSIONS])
        if ssoi
        else []
    )
    a, b = _int(request.GET.get("a")), _int(request.GET.get("b"))
    if (a is None or b is None) and len(records) >= 2:
        b, a = records[0].history_id, records[1].history_id
    context = {"agreement": agreement, "records": records, "a": a, "b": b}
    by_id = {r.history_id: r for r in records}
    if a and b:
        old, new = by_id.get(a), by_id.get(b)
        if old is None or new is None:
            raise Http404("No such SSOI version.")
        if old.history_date > new.history_date:
            old, new = new, old
        sections = []
        for section in SSOI_SECTIONS:
            for field in section.fields:
                before, after = _ssoi_text(old, field), _ssoi_text(new, field)
                if before != after:
                    label = SSOI._meta.get_field(field).verbose_name
                    sections.append(
                        {"label": str(label)[:1].upper() + str(label)[1:], "rows": side_by_side(before, after)}
                    )
        if "ddl_notes" not in {f for s in SSOI_SECTIONS for f in s.fields}:
            before, after = _ssoi_text(old, "ddl_notes"), _ssoi_text(new, "ddl_notes")
            if before != after:
                sections.append({"label": "DDL / TS&FD notes", "rows": side_by_side(before, after)})
        context.update({"old": old, "new": new, "sections": sections})
    return render(request, "agreements/compare_ssoi.html", context)
