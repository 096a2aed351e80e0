"""A project arrangement's whole lifecycle through the browser, then the liaison's view of it."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from agreements.choices import State
from agreements.models import Agreement
from workflow import demo

pytestmark = pytest.mark.browser

INTERNAL_NOTE = "Browser-planted internal note 3317"


def _tick(page, label: str) -> None:
    """Tick a USWDS radio or checkbox the way a user does: by its visible label."""
    page.locator(f"label:text-is('{label}')").first.click()


def _tab(page, name: str) -> None:
    page.locator(".portal-tabs").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state("load")


def _press(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).first.click()
    page.wait_for_load_state("load")


def _submit(page, label: str) -> None:
    """A submission opens its summary dialog; confirm it there."""
    page.get_by_role("link", name=label).click()
    page.locator("dialog[open]").get_by_role("button", name=label).click()
    page.wait_for_load_state("load")


def _expect_state(page, label: str) -> None:
    badge = page.locator(".portal-page-header .portal-badge")
    assert badge.inner_text().strip() == label, f"expected {label}, page shows {badge.inner_text()}"


def _concur_everywhere(portal_, coordinators, reference: str) -> None:
    for coordinator in coordinators:
        page = portal_.sign_in(coordinator.username)
        assert page.url.endswith("/positions/")
        row = page.locator("tr", has_text=reference)
        row.get_by_role("link", name=re.compile("Record position")).click()
        _tick(page, "Concur")
        _press(page, "Record the position")
        assert "position on" in page.locator("#messages").inner_text()


def test_project_arrangement_lifecycle(
    portal, make_agreement, program_office, coordinators, reviewer, liaison, transactional_db
):
    master = make_agreement(State.IN_FORCE, releasable_to_partners=True)
    ui = portal()
    today = dt.date.today()

    # Program office proposes the PA.
    page = ui.sign_in(program_office.username)
    assert page.url.endswith("/agreements/")
    page.get_by_role("link", name="New proposal").first.click()
    _tick(page, "Project arrangement")
    page.select_option("#id_parent", value=str(master.pk))
    _tick(page, "United Kingdom (GBR)")
    page.select_option("#id_authority", value="usc_2350a")
    page.fill("#id_title", "Hypersonic Materials Project Arrangement")
    page.fill("#id_short_title", "HyMat PA")
    page.fill("#id_effective_date", today.isoformat())
    page.fill("#id_expiration_date", (today + dt.timedelta(days=365 * 3)).isoformat())
    _tick(page, "Releasable to partners")
    page.fill("#id_internal_notes", INTERNAL_NOTE)
    _press(page, "Create the proposal")
    reference = re.search(r"ICP-\d{4}-\d{4}", page.url).group(0)
    _expect_state(page, "Proposal")

    _press(page, "Start the SSOI")
    _expect_state(page, "SSOI drafting")

    # SSOI (each section saves on its own), contribution and draft text.
    _tab(page, "SSOI")
    for form in page.locator("form.portal-ssoi-form").all():
        for textarea in form.locator("textarea").all():
            textarea.fill("Agreed in the steering committee.")
        form.get_by_role("button", name=re.compile("^Save")).click()
        form.locator("[data-save-status]").filter(has_text="Saved").wait_for()
    assert "sections complete" in page.locator("main").inner_text()
    _tab(page, "Participants and contributions")
    for party, amount in (("United States", "6000000"), ("United Kingdom", "4000000")):
        page.locator("#id_participant").select_option(label=party)
        page.select_option("#id_kind", value="financial")
        page.fill("#id_description", "Share of project costs")
        page.fill("#id_amount_usd", amount)
        _press(page, "Add contribution")
    main = page.locator("main").inner_text()
    assert "$4,000,000" in main and "$6,000,000" in main and "60.0 %" in main and "40.0 %" in main
    _tab(page, "Documents")
    _press(page, "Ask for the TS&FD review")
    page.select_option("#id_kind", value="draft_text")
    page.set_input_files("#id_file", files=[{"name": "draft.txt", "mimeType": "text/plain", "buffer": b"Draft"}])
    _press(page, "Upload")
    assert "is uploaded" in page.locator("#messages").inner_text()

    _tab(page, "Overview")
    _submit(page, "Submit for authority to negotiate (RAD)")
    _expect_state(page, "RAD review")

    # Coordinators concur; the reviewer authorizes negotiation.
    _concur_everywhere(ui, coordinators, reference)
    page = ui.sign_in(reviewer.username)
    assert reference in page.locator("main").inner_text()  # review queue
    page.get_by_role("link", name=reference).click()
    _press(page, "Authorize negotiation")
    _expect_state(page, "Negotiation")

    # The disclosure office (DTSA) approves the DDL, with the letter.
    page = ui.sign_in(demo.disclosure_officer().username)
    ui.goto(f"/agreements/{reference}/documents/")
    page.select_option("#id_status", value="approved")
    page.set_input_files(
        "#id_file",
        files=[{"name": "ddl.txt", "mimeType": "text/plain", "buffer": b"Delegation of Disclosure Authority Letter"}],
    )
    _press(page, "Record the DDL decision")
    assert "The DDL decision" in page.locator("#messages").inner_text()

    # Program office attaches the negotiated text, releasable now, updates the SSOI and submits the RFA.
    page = ui.sign_in(program_office.username)
    ui.goto(f"/agreements/{reference}/documents/")
    page.select_option("#id_kind", value="negotiated_text")
    page.set_input_files("#id_file", files=[{"name": "text.txt", "mimeType": "text/plain", "buffer": b"Text"}])
    page.locator("label[for=id_releasable_to_partners]").click()
    _press(page, "Upload")
    ui.goto(f"/agreements/{reference}/ssoi/")
    page.locator("#id_ddl_notes").fill("DDL approved by DTSA.")
    page.locator("#section-ddl_status").get_by_role("button", name=re.compile("^Save")).click()
    page.locator("#save-status-ddl_status").filter(has_text="Saved").wait_for()
    _tab(page, "Overview")
    _submit(page, "Submit for final approval (RFA)")
    _expect_state(page, "RFA review")

    _concur_everywhere(ui, coordinators, reference)
    page = ui.sign_in(reviewer.username)
    ui.goto(f"/agreements/{reference}/")
    _press(page, "Approve conclusion")
    _expect_state(page, "Approved to conclude")

    # Signatures through the dialog: the United States, then the United Kingdom.
    page = ui.sign_in(program_office.username)
    ui.goto(f"/agreements/{reference}/")
    for party, signatory, expected in (
        ("United States", "Under Secretary of Defense", "Signing"),
        ("United Kingdom", "Minister for Defence Procurement", "In force"),
    ):
        page.get_by_role("link", name="Record a signature").click()
        dialog = page.locator("dialog[open]")
        dialog.get_by_label("Party").select_option(label=party)
        dialog.get_by_label("Signatory name").fill(signatory)
        dialog.get_by_label("Signatory title").fill("Signatory")
        dialog.get_by_role("button", name="Record a signature").click()
        page.wait_for_load_state("load")
        _expect_state(page, expected)
    agreement = Agreement.objects.get(reference=reference)
    assert agreement.state == State.IN_FORCE and agreement.entry_into_force_date == today
    steps = page.locator(".usa-step-indicator__segment--complete").count()
    assert steps == 7

    # The liaison sees it, released, without anything internal.
    page = ui.sign_in(liaison.username)
    assert page.url.endswith("/partner/")
    dashboard = page.locator("main").inner_text()
    assert reference in dashboard and "text.txt" in dashboard
    page.get_by_role("link", name=reference).first.click()
    html = page.content()
    assert "HyMat PA" in html and INTERNAL_NOTE not in html
    assert "What can be done now" not in html and "Concur" not in html
    assert page.locator("form[method=post]").count() == 1  # sign out only
    assert not ui.csp_violations, ui.csp_violations
    assert agreement.ddl.status == "approved" and agreement.ddl.deciding_office.code == "DTSA"
