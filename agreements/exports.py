"""CSV and XLSX exports of a filtered agreement list. Columns depend on who asks: a partner
liaison never receives US-only fields, and reads the partner-facing status instead of the state.

``COLUMNS`` is the one list of columns (the import reads the same headers back); ``STREAMED``
says, for each of them, the value read in SQL and how it is shown. Rows are read with
``values_list(...).iterator()`` with the participants aggregated in the database, never as model
objects, so memory stays flat however many agreements there are: CSV is streamed as it is read,
XLSX is written by openpyxl's write-only mode to a temporary file. Past EXPORT_SYNC_MAX_ROWS (XLSX)
or EXPORT_CSV_STREAM_MAX_ROWS (CSV) the export is a background job (``RenderJob`` of kind
"export") that the person downloads when it is ready.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Aggregate, Case, CharField, Exists, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .choices import AgreementKind, AmendmentType, LegalAuthority, ParticipantRole, State, SystemPhase
from .models import Agreement, Contribution, Participant
from .partner_status import partner_status_label

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ITERATOR_CHUNK = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _safe_cell(value) -> str:
    """Text a spreadsheet will not run as a formula (CSV/formula injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


@dataclass(frozen=True)
class Column:
    """One column of the agreement exports, which is also a column of the import file
    (workflow/imports reads the same headers back). ``key`` names it in code."""

    key: str
    header: str
    getter: Callable[[Agreement], object]
    dod_only: bool = False
    help: str = ""


def _partner_signatures(agreement: Agreement) -> str:
    return "; ".join(
        f"{p.partner.code} {p.signature_date.isoformat()}" for p in agreement.participants.all() if p.signature_date
    )


UNITED_STATES_CODE = "USA"  # how the contribution totals name the United States (never a partner)


def _contribution_totals(agreement: Agreement) -> str:
    """The United States' total contribution, then each contributing partner's (lead first)."""
    parts = []
    us = [c.amount_usd for c in agreement.contributions.all() if c.participant_id is None]
    if us:
        parts.append(f"{UNITED_STATES_CODE} {sum(us, Decimal(0))}")
    for participant in agreement.participants.all():
        amounts = [c.amount_usd for c in participant.contributions.all()]
        if amounts:
            parts.append(f"{participant.partner.code} {sum(amounts, Decimal(0))}")
    return "; ".join(parts)


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
    Column(
        "contribution_totals",
        "Contribution totals",
        _contribution_totals,
        True,
        "Total contribution in U.S. dollars of the United States (USA) and of each partner, by code: "
        "USA 2000000; GBR 1500000; FRA 250000. The import records each total as one contribution.",
    ),
)


def _label(choices) -> Callable:
    labels = dict(choices)
    return lambda value: labels.get(value, value or "")


def _text(value) -> str:
    return value or ""


# How each column is read in SQL (a field, a lookup or an annotation of ``export_queryset``) and
# shown; one entry per key of COLUMNS (a test checks none is missing).
STREAMED: dict[str, tuple[str, Callable | None]] = {
    "reference": ("reference", None),
    "title": ("title", None),
    "short_title": ("short_title", None),
    "kind": ("kind", _label(AgreementKind.choices)),
    "state": ("state", _label(State.choices)),
    "lead_organization": ("lead_organization__name", None),
    "partners": ("export_partner_names", _text),
    "authority": ("authority", _label(LegalAuthority.choices)),
    "effective_date": ("effective_date", None),
    "expiration_date": ("expiration_date", None),
    "entry_into_force_date": ("entry_into_force_date", None),
    "releasable_to_partners": ("releasable_to_partners", lambda v: "yes" if v else "no"),
    "marking": ("marking", None),
    "state_since": ("state_changed_at", lambda v: timezone.localtime(v).date() if v else None),
    "internal_notes": ("internal_notes", None),
    "external_reference": ("external_reference", None),
    "partner_codes": ("export_partner_codes", _text),
    "lead_partner": ("export_lead_partner", _text),
    "parent_reference": ("parent__reference", _text),
    "lead_organization_code": ("lead_organization__code", None),
    "phase": ("phase", _label(SystemPhase.choices)),
    "authority_text": ("authority_text", None),
    "amendment_type": ("amendment_type", _label(AmendmentType.choices)),
    "new_expiration_date": ("new_expiration_date", None),
    "fixed_entry_into_force_date": ("fixed_entry_into_force_date", None),
    "congressional_notice_date": ("congressional_notice_date", None),
    "us_signature_date": ("us_signature_date", None),
    "us_signatory_name": ("us_signatory_name", None),
    "partner_signatures": ("export_partner_signatures", _text),
    "contribution_totals": ("export_contribution_totals", lambda v: "; ".join(p for p in (v or "").split("; ") if p)),
}


class GroupConcat(Aggregate):
    """group_concat(expression, '; ') (SQLite, used by `make run`)."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, '; ')"
    output_field = CharField()


def _joined(expression, participants: QuerySet) -> Subquery:
    """``expression`` over an agreement's participants joined with "; ", the lead first, in SQL."""
    participants = participants.filter(agreement=OuterRef("pk")).order_by().values("agreement")
    if connection.vendor == "postgresql":
        from django.contrib.postgres.aggregates import StringAgg

        joined = StringAgg(expression, delimiter="; ", order_by=("-role", "partner__name"))
    else:  # SQLite's group_concat takes no ORDER BY here: the order rows were added in
        joined = GroupConcat(expression)
    return Subquery(participants.annotate(joined=joined).values("joined"), output_field=CharField())


def partner_names_subquery() -> Subquery:
    """The names of an agreement's partners joined in SQL, for export rows."""
    return _joined("partner__name", Participant.objects.all())


def export_queryset(agreements: QuerySet) -> QuerySet:
    """The agreements with what the participant columns show, aggregated in SQL."""
    signed = Participant.objects.filter(signature_date__isnull=False)
    lead = Participant.objects.filter(agreement=OuterRef("pk"), role=ParticipantRole.LEAD).order_by("partner__name")
    return (
        agreements.select_related(None)
        .prefetch_related(None)
        .annotate(
            export_partner_names=partner_names_subquery(),
            export_partner_codes=_joined("partner__code", Participant.objects.all()),
            export_partner_signatures=_joined(
                Concat("partner__code", Value(" "), Cast("signature_date", CharField()), output_field=CharField()),
                signed,
            ),
            export_lead_partner=Subquery(lead.values("partner__code")[:1], output_field=CharField()),
            export_us_total=_total_usd(Contribution.objects.filter(agreement=OuterRef("pk"), participant=None)),
        )
        .annotate(
            export_contribution_totals=Concat(
                Case(
                    When(
                        export_us_total__isnull=False,
                        then=Concat(Value(f"{UNITED_STATES_CODE} "), Cast("export_us_total", CharField())),
                    ),
                    default=Value(""),
                ),
                Value("; "),
                Coalesce(_partner_totals(), Value("")),
                output_field=CharField(),
            )
        )
    )


def _total_usd(contributions: QuerySet) -> Subquery:
    """The sum of ``contributions`` (correlated by the caller), in SQL."""
    total = contributions.order_by().values(group=Value(1)).annotate(total=Sum("amount_usd")).values("total")
    return Subquery(total)


def _partner_totals() -> Subquery:
    """Each contributing partner's code and total contribution, joined with "; ", in SQL."""
    own = Contribution.objects.filter(participant=OuterRef("pk"))
    contributing = Participant.objects.filter(Exists(own))
    return _joined(Concat("partner__code", Value(" "), Cast(_total_usd(own), CharField())), contributing)


@dataclass(frozen=True)
class ExportColumn:
    """A column as one user's export holds it: header, value read in SQL, how it is shown."""

    header: str
    field: str
    show: Callable | None = None


def export_columns(user) -> list[ExportColumn]:
    """The columns ``user`` receives: US-only ones only for DoD users; a liaison reads the
    partner-facing status instead of the state."""
    columns = []
    for column in COLUMNS:
        if column.dod_only and not user.is_dod:
            continue
        field, show = STREAMED[column.key]
        if column.key == "state" and not user.is_dod:
            columns.append(ExportColumn("Status", "state", partner_status_label))
        else:
            columns.append(ExportColumn(column.header, field, show))
    return columns


def export_rows(agreements: QuerySet, user) -> tuple[list[str], Iterator[list]]:
    """The headers, and the rows read in chunks from the database (one query with the
    participants aggregated in it), each value as it should appear."""
    columns = export_columns(user)
    queryset = export_queryset(agreements).values_list(*(c.field for c in columns))
    showers = [c.show for c in columns]

    def rows() -> Iterator[list]:
        for values in queryset.iterator(chunk_size=ITERATOR_CHUNK):
            yield [show(value) if show else value for show, value in zip(showers, values, strict=True)]

    return [c.header for c in columns], rows()


def export_filename(extension: str) -> str:
    """The download name of an export made today, e.g. ``icp-agreements-2026-11-28.csv``."""
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
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # FileResponse closes it
    xlsx_write(agreements, user, marking, handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=export_filename("xlsx"), content_type=XLSX_CONTENT_TYPE)
