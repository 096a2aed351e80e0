"""CSV and XLSX exports of a filtered agreement list. Columns depend on who asks: a partner
liaison never receives US-only fields."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from .models import Agreement
from .partner_status import partner_status_label

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value) -> str:
    """Text a spreadsheet will not run as a formula (CSV/formula injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def export_columns(user) -> list[tuple[str, callable]]:
    """(header, getter) pairs; US-only columns only for DoD users."""
    columns = [
        ("Reference", lambda a: a.reference),
        ("Title", lambda a: a.title),
        ("Short title", lambda a: a.short_title),
        ("Kind", lambda a: a.get_kind_display()),
        # A liaison's export says the partner-facing status, never the internal stage.
        ("State", lambda a: a.get_state_display())
        if user.is_dod
        else ("Status", lambda a: partner_status_label(a.state)),
        ("Lead organization", lambda a: a.lead_organization.name),
        ("Partners", lambda a: "; ".join(p.partner.name for p in a.participants.all())),
        ("Legal authority", lambda a: a.get_authority_display()),
        ("Effective date", lambda a: a.effective_date),
        ("Expiration date", lambda a: a.expiration_date),
        ("Entry into force", lambda a: a.entry_into_force_date),
    ]
    if user.is_dod:
        columns += [
            ("Releasable to partners", lambda a: "yes" if a.releasable_to_partners else "no"),
            ("Marking", lambda a: a.marking),
            ("In state since", lambda a: timezone.localtime(a.state_changed_at).date()),
            ("US-only internal notes", lambda a: a.internal_notes),
        ]
    return columns


def export_rows(agreements: Iterable[Agreement], user) -> tuple[list[str], list[list]]:
    columns = export_columns(user)
    headers = [header for header, _ in columns]
    rows = [[getter(agreement) for _, getter in columns] for agreement in agreements]
    return headers, rows


def _filename(extension: str) -> str:
    return f"icp-agreements-{timezone.localdate():%Y-%m-%d}.{extension}"


def csv_response(agreements: Iterable[Agreement], user) -> HttpResponse:
    """The list as UTF-8 CSV (with a BOM so spreadsheet programs read accents right)."""
    headers, rows = export_rows(agreements, user)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_safe_cell(v.isoformat() if hasattr(v, "isoformat") else v) for v in row])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


def xlsx_response(agreements: Iterable[Agreement], user, marking: str) -> HttpResponse:
    """The list as an Excel workbook, the marking in the first row."""
    headers, rows = export_rows(agreements, user)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Agreements"
    sheet.append([marking])
    sheet["A1"].font = Font(bold=True)
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([v if hasattr(v, "isoformat") else _safe_cell(v) for v in row])
    for column_cells in sheet.iter_cols(min_row=2, max_row=2):
        sheet.column_dimensions[column_cells[0].column_letter].width = 22
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename("xlsx")}"'
    return response
