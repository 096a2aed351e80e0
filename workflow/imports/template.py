"""The XLSX template offered on the import page: the header row, one example, a drop-down list
for every enumeration and a sheet describing each column."""

from __future__ import annotations

import datetime as dt
import io

from django.conf import settings

from agreements.choices import (
    AgreementKind,
    AmendmentType,
    LegalAuthority,
    Marking,
    State,
    SystemPhase,
)
from agreements.exports import COLUMNS

from .reading import ALL_COLUMNS

# --- the template -----------------------------------------------------------------------------
TEMPLATE_EXAMPLE = {
    "external_reference": "LEGACY-0001",
    "title": "Master RDT&E agreement between the United States and the United Kingdom",
    "short_title": "US-UK RDT&E MOU",
    "kind": AgreementKind.MASTER.label,
    "state": State.IN_FORCE.label,
    "lead_organization_code": "ARMY",
    "partner_codes": "GBR",
    "lead_partner": "GBR",
    "authority": LegalAuthority.USC_2350A.label,
    "effective_date": dt.date(2021, 3, 1),
    "expiration_date": dt.date(2036, 3, 1),
    "entry_into_force_date": dt.date(2021, 3, 1),
    "us_signature_date": dt.date(2021, 2, 20),
    "us_signatory_name": "Under Secretary of Defense (A&S)",
    "partner_signatures": "GBR 2021-03-01",
    "releasable_to_partners": "yes",
    "marking": Marking.CUI.value,
    "contribution_totals": "USA 2000000; GBR 1500000",
}
TEMPLATE_CHOICES = {
    "kind": AgreementKind,
    "state": State,
    "authority": LegalAuthority,
    "phase": SystemPhase,
    "amendment_type": AmendmentType,
    "marking": Marking,
}


def import_template_xlsx() -> bytes:
    """An XLSX with the header row, one filled example, drop-down lists for every enumeration, and
    a second sheet describing each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = [c for c in COLUMNS if c.key not in ("reference", "partners", "lead_organization")]
    columns.insert(0, ALL_COLUMNS["reference"])
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Agreements"
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append([TEMPLATE_EXAMPLE.get(c.key, "") for c in columns])
    lists = workbook.create_sheet("Lists")
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 24
        if column.key in TEMPLATE_CHOICES or column.key == "releasable_to_partners":
            labels = (
                ["yes", "no"]
                if column.key == "releasable_to_partners"
                else [str(label) for _, label in TEMPLATE_CHOICES[column.key].choices]
            )
            list_col = lists.cell(row=1, column=index).column_letter
            for offset, label in enumerate(labels, start=1):
                lists.cell(row=offset, column=index, value=label)
            validation = DataValidation(
                type="list",
                formula1=f"=Lists!${list_col}$1:${list_col}${len(labels)}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.header,
                error=f"Choose one of the {column.header.lower()} values in the list.",
            )
            validation.add(f"{letter}2:{letter}{settings.IMPORT_MAX_ROWS + 1}")
            sheet.add_data_validation(validation)
        elif column.key.endswith("_date") or column.key == "state_since":
            validation = DataValidation(
                type="date",
                operator="greaterThan",
                formula1="DATE(1950,1,1)",
                allow_blank=True,
                showErrorMessage=True,
                error="Enter a date (YYYY-MM-DD).",
            )
            validation.add(f"{letter}2:{letter}{settings.IMPORT_MAX_ROWS + 1}")
            sheet.add_data_validation(validation)
            sheet.cell(row=2, column=index).number_format = "yyyy-mm-dd"
    lists.sheet_state = "hidden"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("Columns")
    guide.append(["Column", "What to enter"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in columns:
        guide.append([column.header, column.help or "Optional."])
    guide.column_dimensions["A"].width = 28
    guide.column_dimensions["B"].width = 110
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
