"""First use by each role, in Chromium, at a desktop (1280 px) and a phone (390 px) width: the
program office creates a project arrangement and its SSOI and submits it; coordinators answer; the
reviewer reminds a silent office and returns the package; the program office sees the return and
resubmits; negotiation, the RFA, the signatures up to entry into force; and the liaison's view.
Every step asserts what the person sees, and no page scrolls sideways outside a table container."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from agreements.choices import State
from agreements.models import Agreement
from workflow import demo
from workflow.models import Notification, TransitionLog

pytestmark = pytest.mark.browser

RETURN_COMMENT = "Quantify the in-kind test range contribution."
INTERNAL_NOTE = "First-use internal note 5521"

NO_SIDEWAYS_SCROLL = """() => {
  const width = document.documentElement.clientWidth;
  const offenders = [];
  for (const el of document.querySelectorAll('main *, header *, footer *')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1 && !el.closest('.portal-table-wrap') && !el.closest('dialog')) {
      offenders.push(el.tagName + '.' + String(el.className).slice(0, 40));
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, offenders: offenders.slice(0, 5)};
}"""


class Walk:
    """One person's browser at one width, with the checks every page must pass."""

    def __init__(self, ui, width: int):
        self.ui = ui
        self.width = width
        self.page = ui.page
        self.page.set_viewport_size({"width": width, "height": 900})

    def sign_in(self, user):
        self.ui.sign_in(user.username)
        self.check_layout()
        return self.page

    def go(self, path: str):
        self.ui.goto(path)
        self.page.wait_for_load_state("load")
        self.check_layout()
        return self.page

    def check_layout(self) -> None:
        result = self.page.evaluate(NO_SIDEWAYS_SCROLL)
        assert result["scroll"] <= result["width"] and not result["offenders"], (self.page.url, result)

    def main_text(self) -> str:
        return self.page.locator("main").inner_text()

    def messages(self) -> str:
        return self.page.locator("#messages").inner_text()

    def state(self) -> str:
        return self.page.locator(".portal-page-header .portal-badge").inner_text().strip()

    def tab(self, name: str) -> None:
        self.page.locator(".portal-tabs").get_by_role("link", name=name, exact=True).click()
        self.page.wait_for_load_state("load")
        self.check_layout()

    def press(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).first.click()
        self.page.wait_for_load_state("load")

    def stepper_says(self, label: str) -> None:
        if self.width < 640:  # the labels under the segments are hidden: the compact line says it
            compact = self.page.get_by_test_id("stepper-compact")
            assert compact.is_visible() and re.search(rf"Step \d of \d+: {re.escape(label)}", compact.inner_text())
        else:
            current = self.page.locator(".usa-step-indicator__segment--current .usa-step-indicator__segment-label")
            assert current.first.is_visible() and label in current.first.inner_text()

    def confirm_submission(self, label: str, expect_texts: list[str]) -> None:
        """Open the submission dialog, check what it says will be sent, and confirm."""
        self.page.get_by_role("link", name=label).click()
        dialog = self.page.locator("dialog[open]")
        summary = dialog.get_by_test_id("submission-summary").inner_text()
        assert "sections complete" in summary
        for text in expect_texts:
            assert text in summary, (text, summary)
        dialog.get_by_role("button", name=label).click()
        self.page.wait_for_load_state("load")


def _concur(walk: Walk, coordinators, reference: str, stage: str) -> None:
    for coordinator in coordinators:
        page = walk.sign_in(coordinator)
        assert page.url.endswith("/positions/")
        row = page.locator("tr", has_text=reference)
        assert stage in row.inner_text()
        row.get_by_role("link", name=re.compile("Record position")).click()
        page.wait_for_load_state("load")
        page.locator("label:text-is('Concur')").first.click()
        walk.press("Record the position")
        assert "position on" in walk.messages()
        walk.check_layout()


def _save_section(walk: Walk, key: str, text: str) -> None:
    section = walk.page.locator(f"#section-{key}")
    section.locator("textarea").first.fill(text)
    section.get_by_role("button", name=re.compile("^Save")).click()
    walk.page.locator(f"#save-status-{key}").filter(has_text="Saved").wait_for()


@pytest.mark.parametrize("width", [1280, 390])
def test_first_use_by_each_role(
    width, portal, make_agreement, program_office, coordinators, reviewer, liaison, transactional_db
):
    master = make_agreement(State.IN_FORCE, partners=("GBR", "FRA"), releasable_to_partners=True)
    today = dt.date.today()
    walk = Walk(portal(), width)

    # --- program office: a new proposal --------------------------------------------------------
    page = walk.sign_in(program_office)
    walk.go("/agreements/new/")
    assert page.locator("#id_parent").is_hidden()  # a master has no parent
    page.locator("label:text-is('Project arrangement')").click()
    assert page.locator("#id_parent").is_visible() and page.locator("#id_phase").is_hidden()
    page.select_option("#id_parent", value=str(master.pk))
    page.fill("#partner-search", "kingdom")
    visible = page.locator("[data-partner-option]:visible")
    assert visible.count() == 1 and "United Kingdom" in visible.inner_text()
    page.locator("label:text-is('United Kingdom (GBR)')").click()
    assert "Chosen: United Kingdom (GBR)" in page.locator("[data-partner-count]").inner_text()
    page.select_option("#id_lead_partner", label="United Kingdom (GBR)")
    page.select_option("#id_authority", value="usc_2350a")
    page.fill("#id_title", "Hypersonic Materials Project Arrangement")
    page.fill("#id_short_title", "HyMat PA")
    page.fill("#id_effective_date", today.isoformat())
    page.fill("#id_expiration_date", (today - dt.timedelta(days=1)).isoformat())
    page.locator("label[for=id_releasable_to_partners]").click()
    page.fill("#id_internal_notes", INTERNAL_NOTE)
    walk.press("Create the proposal")
    errors = page.locator("#form-errors").inner_text()
    assert "The expiration date must come after the effective date." in errors  # with the others, at once
    page.fill("#id_expiration_date", (today + dt.timedelta(days=365 * 3)).isoformat())
    walk.press("Create the proposal")
    reference = re.search(r"ICP-\d{4}-\d{4}", page.url).group(0)
    assert walk.state() == "Proposal" and "Next: start the SSOI" in walk.messages()
    walk.check_layout()
    walk.press("Start the SSOI")
    assert walk.state() == "SSOI drafting"
    walk.stepper_says("SSOI drafting")

    # The reasons link to where each is fixed.
    reasons = page.locator("#reasons-submit_rad")
    assert (
        reasons.get_by_role("link", name="No draft text is attached.")
        .get_attribute("href")
        .endswith("/documents/?kind=draft_text#upload-document")
    )

    # --- SSOI, section by section ----------------------------------------------------------------
    walk.tab("SSOI")
    bar = page.get_by_test_id("ssoi-completeness")
    assert bar.inner_text().startswith("0 of")
    _save_section(walk, "objectives", "Mature hypersonic materials to TRL 6.")
    assert bar.inner_text().startswith("1 of")
    assert "✓ Complete" in page.locator("#section-badge-objectives").inner_text()
    # Unsaved text: leaving asks first.
    page.locator("#section-scope_of_work textarea").first.press_sequentially("Joint coupon testing")
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.locator(".portal-tabs").get_by_role("link", name="Overview", exact=True).click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"] and page.url.endswith("/ssoi/")
    page.remove_listener("dialog", on_dialog)
    # … and a pause in typing saves it without a click.
    page.locator("#save-status-scope_of_work").filter(has_text="Saved").wait_for(timeout=10_000)
    for section in page.locator("[data-ssoi-section]").all():
        key = section.get_attribute("id").removeprefix("section-")
        empty = [t for t in section.locator("textarea").all() if not t.input_value()]
        for textarea in empty:
            textarea.fill("Agreed in the steering committee.")
        if empty:
            section.get_by_role("button", name=re.compile("^Save")).click()
            page.locator(f"#save-status-{key}").filter(has_text="Saved").wait_for()
    assert bar.inner_text().startswith("13 of 15")  # contributions and the TS&FD review are to come

    walk.tab("Participants and contributions")
    for party, amount in (("United States", "6000000"), ("United Kingdom", "4000000")):
        page.locator("#id_participant").select_option(label=party)
        page.select_option("#id_kind", value="financial")
        page.fill("#id_description", "Share of project costs")
        page.fill("#id_amount_usd", amount)
        walk.press("Add contribution")
    assert "$4,000,000" in walk.main_text() and "$6,000,000" in walk.main_text()
    walk.tab("Documents")
    walk.press("Ask for the TS&FD review")
    page.select_option("#id_kind", value="draft_text")
    page.set_input_files("#id_file", files=[{"name": "draft.txt", "mimeType": "text/plain", "buffer": b"Draft"}])
    walk.press("Upload")
    assert "is uploaded" in walk.messages()
    walk.check_layout()

    walk.tab("Overview")
    walk.confirm_submission("Submit for authority to negotiate (RAD)", ["15 of 15", "Draft text v1 (draft.txt)"])
    assert walk.state() == "RAD review"
    walk.stepper_says("RAD review")

    # --- coordinators: all but the last concur ---------------------------------------------------
    *answering, silent = coordinators
    _concur(walk, answering, reference, "RAD")
    page = walk.sign_in(silent)
    note = Notification.objects.get(user=silent, kind="position_requested", agreement__reference=reference)
    assert "RAD (authority to negotiate)" in note.message and "HyMat PA" in note.message
    walk.go("/notifications/")
    assert page.get_by_test_id("unread-count").is_visible() or width < 1024
    link = page.get_by_role("link", name=note.message)
    assert link.get_attribute("href").endswith(f"/agreements/{reference}/coordination/")

    # --- reviewer: sees who has not answered, reminds it, returns the package -------------------
    page = walk.sign_in(reviewer)
    assert reference in walk.main_text()  # the review queue
    walk.go(f"/agreements/{reference}/coordination/")
    awaiting = page.get_by_test_id("awaiting").inner_text()
    assert silent.coordinating_office.name in awaiting
    page.get_by_role("button", name=f"Send a reminder to {silent.coordinating_office.name}").click()
    page.wait_for_load_state("load")
    assert f"Reminder sent to {silent.coordinating_office.name}" in walk.messages()
    assert Notification.objects.filter(user=silent, kind="position_reminder").exists()
    walk.tab("Overview")
    page.get_by_role("link", name="Return for revision").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Comment (required)").fill(RETURN_COMMENT)
    dialog.get_by_role("button", name="Return for revision").click()
    page.wait_for_load_state("load")
    assert walk.state() == "SSOI drafting"

    # --- program office: sees the return, resubmits ---------------------------------------------
    page = walk.sign_in(program_office)
    row = page.locator("tr", has_text=reference)
    assert "Returned by" in row.inner_text() and RETURN_COMMENT in row.inner_text()
    row.get_by_role("link", name=reference).click()
    page.wait_for_load_state("load")
    banner = page.get_by_test_id("returned-banner").inner_text()
    assert "Returned by" in banner and f"on {today:%Y-%m-%d}" in banner and RETURN_COMMENT in banner
    walk.check_layout()
    walk.confirm_submission("Submit for authority to negotiate (RAD)", ["15 of 15"])
    assert walk.state() == "RAD review"
    assert page.get_by_test_id("returned-banner").count() == 0
    assert Notification.objects.get(user=silent, kind="position_reminder").read_at is not None  # round closed

    _concur(walk, coordinators, reference, "RAD")
    page = walk.sign_in(reviewer)
    walk.go(f"/agreements/{reference}/")
    walk.press("Authorize negotiation")
    assert walk.state() == "Negotiation"

    # --- the disclosure office approves the DDL ---------------------------------------------------
    page = walk.sign_in(demo.disclosure_officer())
    walk.go(f"/agreements/{reference}/documents/")
    page.select_option("#id_status", value="approved")
    letter = {"name": "ddl.txt", "mimeType": "text/plain", "buffer": b"Delegation of Disclosure Authority Letter"}
    page.set_input_files("#id_file", files=[letter])
    walk.press("Record the DDL decision")
    assert "The DDL decision" in walk.messages()

    # --- negotiation to the RFA: the SSOI review is confirmed on purpose -------------------------
    page = walk.sign_in(program_office)
    walk.go(f"/agreements/{reference}/documents/")
    page.select_option("#id_kind", value="negotiated_text")
    page.set_input_files("#id_file", files=[{"name": "text.txt", "mimeType": "text/plain", "buffer": b"Text"}])
    page.locator("label[for=id_releasable_to_partners]").click()
    walk.press("Upload")
    walk.go(f"/agreements/{reference}/")
    blocked = page.locator("#reasons-submit_rfa")
    blocked.get_by_role("link", name=re.compile("The SSOI has not been reviewed")).click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/ssoi/#ssoi-review")
    assert "Before the RFA:" in page.get_by_test_id("ssoi-review-status").inner_text()
    walk.press("I reviewed the SSOI: it still holds")
    assert "Confirmed as reviewed on" in page.get_by_test_id("ssoi-review-status").inner_text()
    assert "it counts for the RFA" in page.get_by_test_id("ssoi-review-status").inner_text()
    walk.tab("Overview")
    walk.confirm_submission("Submit for final approval (RFA)", ["Negotiated text v1 (text.txt)"])
    assert walk.state() == "RFA review"

    _concur(walk, coordinators, reference, "RFA")
    page = walk.sign_in(reviewer)
    walk.go(f"/agreements/{reference}/")
    walk.press("Approve conclusion")
    assert walk.state() == "Approved to conclude"

    # --- signatures to entry into force -----------------------------------------------------------
    page = walk.sign_in(program_office)
    walk.go(f"/agreements/{reference}/participants/")
    page.locator("summary", has_text="Role and signatory of United Kingdom").click()
    page.get_by_label("Signatory", exact=True).fill("Minister for Defence Procurement")
    page.get_by_role("button", name=re.compile("^Save the role and signatory of United Kingdom")).click()
    page.wait_for_load_state("load")
    walk.tab("Overview")
    assert page.get_by_test_id("signature-panel").count() == 0
    page.get_by_role("link", name="Record a signature").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Party").select_option(label="United States")
    dialog.get_by_label("Signatory name").fill("Under Secretary of Defense")
    dialog.get_by_role("button", name="Record a signature").click()
    page.wait_for_load_state("load")
    assert walk.state() == "Signing"
    panel = page.get_by_test_id("signature-panel").inner_text()
    assert "Signatures: 1 of 2" in panel and "Under Secretary of Defense" in panel
    assert "Outstanding" in panel and "Minister for Defence Procurement" in panel
    walk.check_layout()
    page.get_by_role("link", name="Record a signature").click()
    dialog = page.locator("dialog[open]")
    assert dialog.get_by_label("Signatory name").input_value() == "Minister for Defence Procurement"  # pre-filled
    dialog.get_by_role("button", name="Record a signature").click()
    page.wait_for_load_state("load")
    assert walk.state() == "In force"
    walk.stepper_says("In force")
    agreement = Agreement.objects.get(reference=reference)
    assert agreement.state == State.IN_FORCE and agreement.entry_into_force_date == today
    assert TransitionLog.objects.filter(agreement=agreement, transition="position_reminder_sent").count() == 1

    # --- the liaison's view -------------------------------------------------------------------------
    page = walk.sign_in(liaison)
    assert page.url.endswith("/partner/")
    assert reference in walk.main_text()
    walk.go(f"/agreements/{reference}/")
    html = page.content()
    assert "HyMat PA" in html and INTERNAL_NOTE not in html and RETURN_COMMENT not in html
    assert "Returned by" not in html and "What can be done now" not in html
    walk.go(f"/agreements/{reference}/documents/")
    assert "text.txt" in walk.main_text() and "draft.txt" not in walk.main_text()
    assert not walk.ui.csp_violations, walk.ui.csp_violations
