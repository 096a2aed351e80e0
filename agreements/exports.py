"""CSV and XLSX exports of a filtered agreement list. Columns depend on who asks: a partner
liaison never receives US-only fields."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from .choices import ParticipantRole
from .models import Agreement
from .partner_status import partner_status_label

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value) -> str:
    """Text a spreadsheet will not run as a formula (CSV/formula injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


@dataclass(frozen=True)
class Column:
    """One column of the agreement exports, which is also a column of the import file
    (workflow/imports.py reads the same headers back). ``key`` names it in code."""

    key: str
    header: str
    getter: Callable[[Agreement], object]
    dod_only: bool = False
    help: str = ""


def _partner_signatures(agreement: Agreement) -> str:
    return "; ".join(
        f"{p.partner.code} {p.signature_date.isoformat()}" for p in agreement.participants.all() if p.signature_date
    )


def _lead_partner(agreement: Agreement) -> str:
    return next((p.partner.code for p in agreement.participants.all() if p.role == ParticipantRole.LEAD), "")


# The one list of export columns. Every column a DoD user's export holds can be read back by the
# import, so an export of one portal is a valid import file for another.
COLUMNS: tuple[Column, ...] = (
    Column("reference", "Reference", lambda a: a.reference, help="The portal reference (ICP-2026-0042). Kept."),
    Column("title", "Title", lambda a: a.title, help="Required."),
    Column("short_title", "Short title", lambda a: a.short_title),
    Column("kind", "Kind", lambda a: a.get_kind_display(), help="Required: one of the kinds, by name or code."),
    Column("state", "State", lambda a: a.get_state_display(), help="Where the agreement stands (default Proposal)."),
    Column("lead_organization", "Lead organization", lambda a: a.lead_organization.name, help="DoD Component."),
    Column("partners", "Partners", lambda a: "; ".join(p.partner.name for p in a.participants.all())),
    Column("authority", "Legal authority", lambda a: a.get_authority_display()),
    Column("effective_date", "Effective date", lambda a: a.effective_date),
    Column("expiration_date", "Expiration date", lambda a: a.expiration_date),
    Column("entry_into_force_date", "Entry into force", lambda a: a.entry_into_force_date),
    Column(
        "releasable_to_partners", "Releasable to partners", lambda a: "yes" if a.releasable_to_partners else "no", True
    ),
    Column("marking", "Marking", lambda a: a.marking, True),
    Column("state_since", "In state since", lambda a: timezone.localtime(a.state_changed_at).date(), True),
    Column("internal_notes", "US-only internal notes", lambda a: a.internal_notes, True),
    Column(
        "external_reference",
        "External reference",
        lambda a: a.external_reference,
        True,
        "Your own identifier (spreadsheet id, file number): the key that makes a re-import create nothing twice.",
    ),
    Column(
        "partner_codes",
        "Partner codes",
        lambda a: "; ".join(p.partner.code for p in a.participants.all()),
        True,
        "Partner codes separated by semicolons (GBR; FRA; NATO). Required unless Partners names them.",
    ),
    Column("lead_partner", "Lead partner", _lead_partner, True, "One of the partner codes (default: the first)."),
    Column(
        "parent_reference",
        "Parent reference",
        lambda a: a.parent.reference if a.parent_id else "",
        True,
        "A project arrangement's master, an amendment's agreement: its reference or external reference, "
        "in the file or already in the portal.",
    ),
    Column("lead_organization_code", "Lead organization code", lambda a: a.lead_organization.code, True),
    Column("phase", "Phase", lambda a: a.get_phase_display(), True, "System-level agreements only."),
    Column("authority_text", "Authority text", lambda a: a.authority_text, True, "The statute when 'Other'."),
    Column("amendment_type", "Amendment type", lambda a: a.get_amendment_type_display(), True),
    Column("new_expiration_date", "New expiration date", lambda a: a.new_expiration_date, True),
    Column("fixed_entry_into_force_date", "Fixed entry into force", lambda a: a.fixed_entry_into_force_date, True),
    Column("congressional_notice_date", "Congressional notice date", lambda a: a.congressional_notice_date, True),
    Column("us_signature_date", "U.S. signature date", lambda a: a.us_signature_date, True),
    Column("us_signatory_name", "U.S. signatory", lambda a: a.us_signatory_name, True),
    Column(
        "partner_signatures",
        "Partner signature dates",
        _partner_signatures,
        True,
        "Code and date per signing partner: GBR 2024-03-01; FRA 2024-03-05.",
    ),
)
# Import-only columns (no export holds them).
IMPORT_ONLY_COLUMNS: tuple[Column, ...] = (
    Column(
        "contribution_totals",
        "Contribution totals",
        lambda a: "",
        True,
        "Total contribution in U.S. dollars per partner code: GBR 1500000; FRA 250000.",
    ),
)


def export_columns(user) -> list[tuple[str, Callable]]:
    """(header, getter) pairs; US-only columns only for DoD users."""
    columns = []
    for column in COLUMNS:
        if column.dod_only and not user.is_dod:
            continue
        if column.key == "state" and not user.is_dod:
            # A liaison's export says the partner-facing status, never the internal stage.
            columns.append(("Status", lambda a: partner_status_label(a.state)))
        else:
            columns.append((column.header, column.getter))
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
