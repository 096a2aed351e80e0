"""First use by each role, in Chromium, at a desktop (1280 px) and a phone (390 px) width, one test
per role and step, each starting from an agreement the services bring to where that person picks it
up: the program office creates a project arrangement and its SSOI and submits it; coordinators
answer; the reviewer reminds a silent office, returns the package and later decides; the program
office sees the return and resubmits; the disclosure office decides the DDL; the program office
takes a negotiated text to the RFA and records the signatures up to entry into force; and the
liaison's view. Every step asserts what the person sees; on every page axe-core finds no WCAG
violation, nothing scrolls sideways outside a table container and the CSP refuses nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agreements.choices import AgreementKind, State
from agreements.models import Agreement
from agreements.partner_status import PartnerStatus
from workflow import demo
from workflow.models import CoordinationRound, Notification, TransitionLog
from workflow.services import agreement_transition, coordination_reminder_send

pytestmark = pytest.mark.browser

RETURN_COMMENT = "Quantify the in-kind test range contribution."
INTERNAL_NOTE = "First-use internal note 5521"
WIDTHS = [1280, 390]

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
        self.check_page()
        return self.page

    def go(self, path: str):
        self.ui.goto(path)
        self.page.wait_for_load_state("load")
        self.check_page()
        return self.page

    def check_page(self) -> None:
        """No sideways scroll and no axe-core violation on the page as it is now."""
        result = self.page.evaluate(NO_SIDEWAYS_SCROLL)
        assert result["scroll"] <= result["width"] and not result["offenders"], (self.page.url, result)
        violations = self.ui.axe_violations()
        assert not violations, (self.page.url, violations)

    def main_text(self) -> str:
        return self.page.locator("main").inner_text()

    def messages(self) -> str:
        return self.page.locator("#messages").inner_text()

    def state(self) -> str:
        return self.page.locator(".portal-page-header .portal-badge").inner_text().strip()

    def tab(self, name: str) -> None:
        self.page.locator(".portal-tabs").get_by_role("link", name=name, exact=True).click()
        self.page.wait_for_load_state("load")
        self.check_page()

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
        self.check_page()
        dialog.get_by_role("button", name=label).click()
        self.page.wait_for_load_state("load")
        self.check_page()

    def finish(self) -> None:
        assert not self.ui.csp_violations, self.ui.csp_violations


def _concur(walk: Walk, coordinators, reference: str, stage: str) -> None:
    for coordinator in coordinators:
        page = walk.sign_in(coordinator)
        assert page.url.endswith("/positions/")
        row = page.locator("tr", has_text=reference)
        assert stage in row.inner_text()
        row.get_by_role("link", name=re.compile("Record position")).click()
        page.wait_for_load_state("load")
        walk.check_page()
        page.locator("label:text-is('Concur')").first.click()
        walk.press("Record the position")
        assert "position on" in walk.messages()
        walk.check_page()


def _save_section(walk: Walk, key: str, text: str) -> None:
    section = walk.page.locator(f"#section-{key}")
    section.locator("textarea").first.fill(text)
    section.get_by_role("button", name=re.compile("^Save")).click()
    # The button's save, not a racing save on leaving the field that leaves "Saved (no change)".
    walk.page.locator(f"#save-status-{key}").filter(has_text="Saved at").wait_for()
    walk.page.wait_for_load_state("networkidle")
    assert walk.page.locator(f"#save-status-{key}").inner_text().startswith("Saved at")


def _under_review(make_agreement, **fields) -> Agreement:
    """The project arrangement of the walk, submitted for the RAD by the services."""
    master = make_agreement(State.IN_FORCE, partners=("GBR", "FRA"), releasable_to_partners=True)
    return make_agreement(
        State.RAD_REVIEW,
        kind=AgreementKind.PROJECT_ARRANGEMENT,
        parent=master,
        title="Hypersonic Materials Project Arrangement",
        short_title="HyMat PA",
        **fields,
    )


# --- program office: a new proposal, its SSOI, and the RAD submission --------------------------------
@pytest.mark.parametrize("width", WIDTHS)
def test_program_office_proposes_drafts_and_submits_for_the_rad(
    width, portal, make_agreement, program_office, transactional_db
):
    master = make_agreement(State.IN_FORCE, partners=("GBR", "FRA"), releasable_to_partners=True)
    today = dt.date.today()
    walk = Walk(portal(), width)

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
    walk.check_page()
    page.fill("#id_expiration_date", (today + dt.timedelta(days=365 * 3)).isoformat())
    walk.press("Create the proposal")
    reference = re.search(r"ICP-\d{4}-\d{4}", page.url).group(0)
    assert walk.state() == "Proposal" and "Next: start the SSOI" in walk.messages()
    walk.check_page()
    walk.press("Start the SSOI")
    assert walk.state() == "SSOI drafting"
    walk.stepper_says("SSOI drafting")
    walk.check_page()

    # The reasons link to where each is fixed.
    reasons = page.locator("#reasons-submit_rad")
    assert (
        reasons.get_by_role("link", name="No draft text is attached.")
        .get_attribute("href")
        .endswith("/documents/?kind=draft_text#upload-document")
    )

    # SSOI, section by section.
    walk.tab("SSOI")
    bar = page.get_by_test_id("ssoi-completeness")
    assert bar.inner_text().startswith("0 of")
    _save_section(walk, "objectives", "Mature hypersonic materials to TRL 6.")
    assert bar.inner_text().startswith("1 of")
    assert "✓ Complete" in page.locator("#section-badge-objectives").inner_text()
    walk.check_page()
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
    # The bar follows the last save's answer: contributions and the TS&FD review are to come.
    expect(bar).to_have_text(re.compile(r"^13 of 15"))
    walk.check_page()

    walk.tab("Participants and contributions")
    for party, amount in (("United States", "6000000"), ("United Kingdom", "4000000")):
        page.locator("#id_participant").select_option(label=party)
        page.select_option("#id_kind", value="financial")
        page.fill("#id_description", "Share of project costs")
        page.fill("#id_amount_usd", amount)
        walk.press("Add contribution")
    assert "$4,000,000" in walk.main_text() and "$6,000,000" in walk.main_text()
    walk.check_page()
    walk.tab("Documents")
    walk.press("Ask for the TS&FD review")
    walk.check_page()
    page.select_option("#id_kind", value="draft_text")
    page.set_input_files("#id_file", files=[{"name": "draft.txt", "mimeType": "text/plain", "buffer": b"Draft"}])
    walk.press("Upload")
    assert "is uploaded" in walk.messages()
    walk.check_page()

    walk.tab("Overview")
    walk.confirm_submission("Submit for authority to negotiate (RAD)", ["15 of 15", "Draft text v1 (draft.txt)"])
    assert walk.state() == "RAD review"
    walk.stepper_says("RAD review")
    agreement = Agreement.objects.get(reference=reference)
    assert agreement.state == State.RAD_REVIEW and agreement.internal_notes == INTERNAL_NOTE
    walk.finish()


# --- coordinators: all but the last concur; the silent one sees its notice ----------------------------
@pytest.mark.parametrize("width", WIDTHS)
def test_coordinators_answer_and_the_silent_office_sees_its_notice(
    width, portal, make_agreement, coordinators, transactional_db
):
    reference = _under_review(make_agreement).reference
    walk = Walk(portal(), width)
    *answering, silent = coordinators
    _concur(walk, answering, reference, "RAD")

    page = walk.sign_in(silent)
    note = Notification.objects.get(user=silent, kind="position_requested", agreement__reference=reference)
    assert "RAD (authority to negotiate)" in note.message and "HyMat PA" in note.message
    unread = Notification.objects.filter(user=silent, read_at__isnull=True).count()
    walk.go("/notifications/")
    # The unread count is in the navigation on a wide screen, and on the menu button that opens it
    # on a narrow one.
    count = page.get_by_test_id("unread-count" if width >= 1024 else "unread-count-menu")
    assert count.is_visible() and count.inner_text().split()[0] == str(unread) and unread >= 1
    link = page.get_by_role("link", name=note.message)
    assert link.get_attribute("href").endswith(f"/agreements/{reference}/coordination/")
    page.get_by_role("button", name=re.compile("^Mark all")).click()
    page.wait_for_load_state("load")
    walk.check_page()
    assert page.get_by_test_id("unread-count").count() == 0 and page.get_by_test_id("unread-count-menu").count() == 0
    walk.finish()


# --- reviewer: reminds a silent office, returns the package; decides the RAD and the RFA --------------
@pytest.mark.parametrize("width", WIDTHS)
def test_reviewer_reminds_returns_and_decides(
    width, portal, make_agreement, reviewer, coordinators, cast, transactional_db
):
    *answering, silent = coordinators
    agreement = _under_review(make_agreement)
    reference = agreement.reference
    demo.concur_all(agreement, answering)
    walk = Walk(portal(), width)

    page = walk.sign_in(reviewer)
    assert reference in walk.main_text()  # the review queue
    walk.go(f"/agreements/{reference}/coordination/")
    awaiting = page.get_by_test_id("awaiting").inner_text()
    assert silent.coordinating_office.name in awaiting
    page.get_by_role("button", name=f"Send a reminder to {silent.coordinating_office.name}").click()
    page.wait_for_load_state("load")
    assert f"Reminder sent to {silent.coordinating_office.name}" in walk.messages()
    walk.check_page()
    assert Notification.objects.filter(user=silent, kind="position_reminder").exists()
    assert TransitionLog.objects.filter(agreement=agreement, transition="position_reminder_sent").count() == 1
    walk.tab("Overview")
    page.get_by_role("link", name="Return for revision").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Comment (required)").fill(RETURN_COMMENT)
    walk.check_page()
    dialog.get_by_role("button", name="Return for revision").click()
    page.wait_for_load_state("load")
    assert walk.state() == "SSOI drafting"
    walk.check_page()

    # Every office concurred: the reviewer authorizes the negotiation, then approves the conclusion.
    rad = _under_review(make_agreement)
    demo.concur_all(rad, coordinators)
    walk.go(f"/agreements/{rad.reference}/")
    walk.press("Authorize negotiation")
    assert walk.state() == "Negotiation"
    walk.check_page()
    rfa = make_agreement(State.RFA_REVIEW, partners=("GBR",))
    demo.concur_all(rfa, coordinators)
    walk.go(f"/agreements/{rfa.reference}/")
    walk.press("Approve conclusion")
    assert walk.state() == "Approved to conclude"
    walk.check_page()
    walk.finish()


# --- program office: sees the return, resubmits ------------------------------------------------------
@pytest.mark.parametrize("width", WIDTHS)
def test_program_office_sees_the_return_and_resubmits(
    width, portal, make_agreement, program_office, reviewer, coordinators, transactional_db
):
    silent = coordinators[-1]
    agreement = _under_review(make_agreement)
    reference = agreement.reference
    position = CoordinationRound.objects.current_for(agreement).positions.get(office=silent.coordinating_office)
    coordination_reminder_send(position=position, user=reviewer)
    agreement_transition(agreement=agreement, name="return_for_revision", user=reviewer, comment=RETURN_COMMENT)
    today = timezone.localdate()
    walk = Walk(portal(), width)

    page = walk.sign_in(program_office)
    row = page.locator("tr", has_text=reference)
    assert "Returned by" in row.inner_text() and RETURN_COMMENT in row.inner_text()
    row.get_by_role("link", name=reference).click()
    page.wait_for_load_state("load")
    banner = page.get_by_test_id("returned-banner").inner_text()
    assert "Returned by" in banner and f"on {today:%Y-%m-%d}" in banner and RETURN_COMMENT in banner
    walk.check_page()
    walk.confirm_submission("Submit for authority to negotiate (RAD)", ["15 of 15"])
    assert walk.state() == "RAD review"
    assert page.get_by_test_id("returned-banner").count() == 0
    assert Notification.objects.get(user=silent, kind="position_reminder").read_at is not None  # round closed
    walk.finish()


# --- the disclosure office approves the DDL ------------------------------------------------------------
@pytest.mark.parametrize("width", WIDTHS)
def test_disclosure_office_approves_the_ddl(width, portal, make_agreement, transactional_db):
    reference = make_agreement(State.NEGOTIATION, partners=("GBR",)).reference
    walk = Walk(portal(), width)
    page = walk.sign_in(demo.disclosure_officer())
    assert reference in walk.main_text()  # among its positions due: the DDL to decide
    walk.go(f"/agreements/{reference}/documents/")
    page.select_option("#id_status", value="approved")
    letter = {"name": "ddl.txt", "mimeType": "text/plain", "buffer": b"Delegation of Disclosure Authority Letter"}
    page.set_input_files("#id_file", files=[letter])
    walk.press("Record the DDL decision")
    assert "The DDL decision" in walk.messages()
    walk.check_page()
    walk.finish()


# --- program office: from negotiation to the RFA, then the signatures to entry into force ------------
@pytest.mark.parametrize("width", WIDTHS)
def test_program_office_takes_the_text_to_the_rfa_and_the_signatures_to_force(
    width, portal, make_agreement, program_office, transactional_db
):
    negotiation = make_agreement(State.NEGOTIATION, partners=("GBR",))
    demo.approve_ddl(negotiation)
    reference = negotiation.reference
    walk = Walk(portal(), width)

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
    walk.check_page()
    walk.press("I reviewed the SSOI: it still holds")
    assert "Confirmed as reviewed on" in page.get_by_test_id("ssoi-review-status").inner_text()
    assert "it counts for the RFA" in page.get_by_test_id("ssoi-review-status").inner_text()
    walk.tab("Overview")
    walk.confirm_submission("Submit for final approval (RFA)", ["Negotiated text v1 (text.txt)"])
    assert walk.state() == "RFA review"

    # Signatures: the partner's signatory is named first, then each signature is recorded.
    signing = make_agreement(State.APPROVED, partners=("GBR",))
    reference = signing.reference
    walk.go(f"/agreements/{reference}/participants/")
    page.locator("summary", has_text="Role and signatory of United Kingdom").click()
    page.get_by_label("Signatory", exact=True).fill("Minister for Defence Procurement")
    page.get_by_role("button", name=re.compile("^Save the role and signatory of United Kingdom")).click()
    page.wait_for_load_state("load")
    walk.check_page()
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
    walk.check_page()
    page.get_by_role("link", name="Record a signature").click()
    dialog = page.locator("dialog[open]")
    assert dialog.get_by_label("Signatory name").input_value() == "Minister for Defence Procurement"  # pre-filled
    dialog.get_by_role("button", name="Record a signature").click()
    page.wait_for_load_state("load")
    assert walk.state() == "In force"
    walk.stepper_says("In force")
    walk.check_page()
    signing.refresh_from_db()
    assert signing.state == State.IN_FORCE and signing.entry_into_force_date == timezone.localdate()
    walk.finish()


# --- the liaison's view -------------------------------------------------------------------------------
@pytest.mark.parametrize("width", WIDTHS)
def test_liaison_sees_its_contributions_signatures_milestones_and_partner_statuses(
    width, portal, make_agreement, liaison, reviewer, cast, transactional_db
):
    today = timezone.localdate()
    released = _under_review(
        make_agreement, partners=("GBR", "FRA"), releasable_to_partners=True, internal_notes=INTERNAL_NOTE
    )
    agreement_transition(agreement=released, name="return_for_revision", user=reviewer, comment=RETURN_COMMENT)
    released = demo.drive_to(released, State.IN_FORCE, cast)
    reference = released.reference
    negotiating = make_agreement(
        State.NEGOTIATION, partners=("GBR",), releasable_to_partners=True, effective_date=today - dt.timedelta(days=30)
    )
    Agreement.objects.filter(pk=negotiating.pk).update(expiration_date=today + dt.timedelta(days=400))
    walk = Walk(portal(), width)

    page = walk.sign_in(liaison)
    assert page.url.endswith("/partner/")
    assert reference in walk.main_text() and negotiating.reference in walk.main_text()
    milestones = page.locator("h2:text-is('Next milestones') + p + ul time")
    dates = [dt.date.fromisoformat(d) for d in milestones.evaluate_all("els => els.map(e => e.dateTime)")]
    assert dates and all(d >= today for d in dates), dates  # nothing already past
    assert today + dt.timedelta(days=400) in dates and today - dt.timedelta(days=30) not in dates

    walk.go(f"/agreements/{reference}/")
    html = page.content()
    assert "HyMat PA" in html and INTERNAL_NOTE not in html and RETURN_COMMENT not in html
    assert "Returned by" not in html and "What can be done now" not in html
    # The signatures: who signed for each party, and when.
    signatures = {
        row.locator("th").inner_text().strip(): [cell.inner_text().strip() for cell in row.locator("td").all()]
        for row in page.get_by_test_id("signatures").locator("tbody tr").all()
    }
    assert signatures["United States"] == ["Under Secretary of Defense (A&S), USD(A&S)", today.isoformat()]
    assert signatures["United Kingdom"] == ["Minister of Defence, United Kingdom, Minister", today.isoformat()]
    assert signatures["France"] == ["Minister of Defence, France, Minister", today.isoformat()]
    # Its own nation's contributions, and no other's.
    own = page.get_by_test_id("own-contributions").inner_text()
    uk = released.participants.get(partner__code="GBR")
    france = released.participants.get(partner__code="FRA")
    assert "Share of project costs" in own
    assert f"${sum(c.amount_usd for c in uk.contributions.all()):,.0f}" in own
    assert f"${sum(c.amount_usd for c in france.contributions.all()):,.0f}" not in walk.main_text()
    assert "U.S. share of project costs" not in walk.main_text()
    walk.go(f"/agreements/{reference}/documents/")
    assert "negotiated_text.txt" in walk.main_text() and "draft_text.txt" not in walk.main_text()

    # The list filters by partner-facing status only.
    walk.go("/agreements/")
    panel = page.locator("details.portal-filter-panel")
    if not panel.evaluate("el => el.open"):
        panel.locator("summary").click()
    status = page.locator("select[name=status]")
    options = [text.strip() for text in status.locator("option").all_inner_texts()]
    assert options[1:] == [choice.label for choice in PartnerStatus], options  # after "Any …"
    assert page.locator("[name=state]").count() == 0
    status.select_option(label="In force")
    walk.press("Apply filters")
    walk.check_page()
    assert reference in walk.main_text() and negotiating.reference not in walk.main_text()
    walk.finish()
