"""CSV and XLSX exports of a filtered agreement list. Columns depend on who asks: a partner
liaison never receives US-only fields.

``EXPORT_COLUMNS`` is the one definition of the columns (header, the value read in SQL, how it is
shown). Rows are read with ``values_list(...).iterator()`` with the partners aggregated in the
database, never as model objects, so memory stays flat however many agreements there are: CSV is
streamed as it is read, XLSX is written by openpyxl's write-only mode to a temporary file. Past
EXPORT_SYNC_MAX_ROWS (XLSX) or EXPORT_CSV_STREAM_MAX_ROWS (CSV) the export is a background job
(``RenderJob`` of kind "export") that the person downloads when it is ready.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import Aggregate, CharField, OuterRef, QuerySet, Subquery
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .choices import AgreementKind, LegalAuthority, Marking, State
from .models import Participant
from .partner_status import partner_status_label

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ITERATOR_CHUNK = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _safe_cell(value) -> str:
    """Text a spreadsheet will not run as a formula (CSV/formula injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


class GroupConcat(Aggregate):
    """group_concat(expression, '; ') (SQLite, used by `make run`)."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, '; ')"
    output_field = CharField()


def partner_names_subquery() -> Subquery:
    """The partner names of each agreement joined with "; ", the lead first, aggregated in SQL."""
    participants = Participant.objects.filter(agreement=OuterRef("pk")).order_by().values("agreement")
    if connection.vendor == "postgresql":
        from django.contrib.postgres.aggregates import StringAgg

        names = StringAgg("partner__name", delimiter="; ", order_by=("-role", "partner__name"))
    else:  # SQLite's group_concat takes no ORDER BY here: the order rows were added in
        names = GroupConcat("partner__name")
    return Subquery(participants.annotate(names=names).values("names"), output_field=CharField())


def _label(choices) -> Callable:
    labels = dict(choices)
    return lambda value: labels.get(value, value or "")


def _yes_no(value) -> str:
    return "yes" if value else "no"


def _local_date(value):
    return timezone.localtime(value).date() if value else None


@dataclass(frozen=True)
class ExportColumn:
    """One column: its header, the field (or annotation) read in SQL, how its value is shown,
    and whether only DoD users receive it."""

    header: str
    field: str
    show: Callable | None = None
    dod_only: bool = False
    liaison_only: bool = False


EXPORT_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("Reference", "reference"),
    ExportColumn("Title", "title"),
    ExportColumn("Short title", "short_title"),
    ExportColumn("Kind", "kind", _label(AgreementKind.choices)),
    ExportColumn("State", "state", _label(State.choices), dod_only=True),
    # A liaison's export says the partner-facing status, never the internal stage.
    ExportColumn("Status", "state", partner_status_label, liaison_only=True),
    ExportColumn("Lead organization", "lead_organization__name"),
    ExportColumn("Partners", "partner_names", lambda v: v or ""),
    ExportColumn("Legal authority", "authority", _label(LegalAuthority.choices)),
    ExportColumn("Effective date", "effective_date"),
    ExportColumn("Expiration date", "expiration_date"),
    ExportColumn("Entry into force", "entry_into_force_date"),
    ExportColumn("Releasable to partners", "releasable_to_partners", _yes_no, dod_only=True),
    ExportColumn("Marking", "marking", lambda v: v if v in Marking.values else v, dod_only=True),
    ExportColumn("In state since", "state_changed_at", _local_date, dod_only=True),
    ExportColumn("US-only internal notes", "internal_notes", dod_only=True),
)


def export_columns(user) -> list[ExportColumn]:
    """The columns ``user`` receives: US-only ones only for DoD users, the partner-facing status
    instead of the state for a liaison."""
    if user.is_dod:
        return [c for c in EXPORT_COLUMNS if not c.liaison_only]
    return [c for c in EXPORT_COLUMNS if not c.dod_only]


def export_rows(agreements: QuerySet, user) -> tuple[list[str], Iterator[list]]:
    """The headers, and the rows read in chunks from the database (one query with the partners
    aggregated in it), each value as it should appear."""
    columns = export_columns(user)
    # The list relations (select_related/prefetch) are not needed: everything comes in one query.
    queryset = (
        agreements.select_related(None)
        .prefetch_related(None)
        .annotate(partner_names=partner_names_subquery())
        .values_list(*(c.field for c in columns))
    )
    showers = [c.show for c in columns]

    def rows() -> Iterator[list]:
        for values in queryset.iterator(chunk_size=ITERATOR_CHUNK):
            yield [show(value) if show else value for show, value in zip(showers, values, strict=True)]

    return [c.header for c in columns], rows()


def export_filename(extension: str) -> str:
    return f"icp-agreements-{timezone.localdate():%Y-%m-%d}.{extension}"


class _Echo:
    """A file-like object whose write returns what it is given (for csv.writer in a stream)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(headers: list[str], rows: Iterable[list]) -> Iterator[str]:
    """UTF-8 CSV lines, a BOM first so spreadsheet programs read accents right."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(headers)
    for row in rows:
        yield writer.writerow([_safe_cell(v.isoformat() if hasattr(v, "isoformat") else v) for v in row])


def csv_response(agreements: QuerySet, user) -> StreamingHttpResponse:
    """The list as CSV, streamed row by row as the database returns them."""
    headers, rows = export_rows(agreements, user)
    response = StreamingHttpResponse(csv_lines(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename("csv")}"'
    return response


def xlsx_write(agreements: QuerySet, user, marking: str, handle) -> int:
    """Write the list as an Excel workbook (the marking in the first row) into ``handle`` with
    openpyxl's write-only mode; returns the number of agreement rows."""
    headers, rows = export_rows(agreements, user)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Agreements")
    for index in range(len(headers)):
        sheet.column_dimensions[_column_letter(index + 1)].width = 22
    sheet.freeze_panes = "A3"

    def bold(value):
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = Font(bold=True)
        return cell

    sheet.append([bold(marking)])
    sheet.append([bold(h) for h in headers])
    count = 0
    for row in rows:
        sheet.append([v if isinstance(v, dt.date) else _safe_cell(v) for v in row])
        count += 1
    workbook.save(handle)
    return count


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def xlsx_response(agreements: QuerySet, user, marking: str) -> FileResponse:
    """The list as an Excel workbook, built in a temporary file (not in memory) and sent from it."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    xlsx_write(agreements, user, marking, handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=export_filename("xlsx"), content_type=XLSX_CONTENT_TYPE)
