"""axe-core (WCAG 2.1 A/AA and the "region" best practice, the project's configuration in
conftest) on the page types of the work tools, at a desktop and a phone width: search with
results, the calendar's month and list views, the import page and its preview, the document and
SSOI comparisons, and the administration pages (index, an agreement's change page, the security
log)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agreements.choices import DocumentKind, State
from agreements.services import document_upload, ssoi_update

pytestmark = pytest.mark.browser

SAMPLE_CSV = (
    "External reference,Title,Kind,State,Lead organization code,Partner codes,Parent reference,"
    "Legal authority,Effective date,Expiration date\n"
    "LEG-001,Telemetry exchange master agreement,Master RDT&E agreement,Proposal,ARMY,GBR,,usc_2350a,{start},{end}\n"
    "LEG-002,Loan of test sets,Section 65 loan,Proposal,ARMY,XYZ,,,,\n"
    "LEG-003,,Master RDT&E agreement,Proposal,ARMY,GBR,,usc_2350a,{start},2001-01-01\n"
)


def _violations(ui, label: str, failures: dict) -> None:
    if violations := ui.axe_violations():
        failures[label] = violations


def _visit(ui, path: str, failures: dict) -> None:
    ui.goto(path)
    ui.page.wait_for_load_state("load")
    _violations(ui, path, failures)


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_no_violation_on_the_work_tools(
    width, portal, make_agreement, program_office, reviewer, admin_user, transactional_db
):
    agreement = make_agreement(State.RAD_REVIEW, title="Undersea telemetry exchange agreement")
    make_agreement(State.IN_FORCE, title="Telemetry range instrumentation agreement")
    for text in (b"Article 1.\nTelemetry costs are shared equally.", b"Article 1.\nTelemetry costs in proportion."):
        document_upload(
            agreement=agreement,
            user=program_office,
            kind=DocumentKind.NEGOTIATED_TEXT,
            content=text,
            filename="text.txt",
            content_type="text/plain",
        )
    drafting = make_agreement(State.SSOI_DRAFTING)
    ssoi_update(agreement=drafting, user=program_office, objectives="Reach TRL 5 by 2028.")
    ssoi_update(agreement=drafting, user=program_office, objectives="Reach TRL 6 by 2029.")
    failures: dict[str, list] = {}

    ui = portal(width=width)
    ui.sign_in(program_office.username)
    for path in [
        "/search/?q=telemetry",
        "/calendar/",
        "/calendar/?view=list",
        f"/agreements/{agreement.reference}/documents/compare/?kind={DocumentKind.NEGOTIATED_TEXT}",
        f"/agreements/{drafting.reference}/ssoi/compare/",
    ]:
        _visit(ui, path, failures)
    assert ui.page.locator("main").get_by_text("Reach TRL").count() >= 1  # the comparison has content
    ui.goto("/search/?q=telemetry")
    assert ui.page.locator("main mark").count() >= 2  # results, not an empty page

    ui.sign_in(reviewer.username)
    _visit(ui, "/import/", failures)
    today = timezone.localdate()
    content = SAMPLE_CSV.format(start=today.isoformat(), end=(today + dt.timedelta(days=900)).isoformat())
    ui.page.set_input_files(
        "#id_file", files=[{"name": "legacy.csv", "mimeType": "text/csv", "buffer": content.encode()}]
    )
    ui.page.click("form[data-testid=import-form] button[type=submit]")
    ui.page.wait_for_load_state("load")
    assert "This is a preview" in ui.page.locator("main").inner_text()
    _violations(ui, "import preview", failures)

    assert not ui.csp_violations, ui.csp_violations  # axe is injected without bypassing the CSP

    # The administration, whose every page carries the marking banner; the sign-ins above fill the
    # security log. (Django's own admin scripts set an inline style on a change page, which the
    # CSP refuses: the CSP check stops before the admin.)
    ui.sign_in(admin_user.username)
    for path in ["/admin/", f"/admin/agreements/agreement/{agreement.pk}/change/", "/admin/security/securityevent/"]:
        _visit(ui, path, failures)
    assert ui.page.locator("#result_list tbody tr").count() >= 3  # the security log has rows

    assert not failures, "\n".join(f"{page}: {violations}" for page, violations in failures.items())
