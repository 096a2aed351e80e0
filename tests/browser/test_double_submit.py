"""A form submitted twice in the browser (a double click, a resubmission) saves once and shows
what it saved: the page's script gives every POST form a one-time token."""

from __future__ import annotations

import os
import re

from playwright.sync_api import expect

from agreements.models import Agreement


def test_a_double_submitted_proposal_is_saved_once(portal, program_office, transactional_db):
    ui = portal()
    page = ui.sign_in(program_office.username)
    page.goto(ui.base_url + "/agreements/new/")
    form = page.locator("form", has=page.locator("#id_title"))
    token = form.locator("input[name=form_token]").input_value()
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    page.locator("label:text-is('United Kingdom (GBR)')").click()
    page.select_option("#id_lead_partner", label="United Kingdom (GBR)")
    page.select_option("#id_authority", value="usc_2350a")
    page.fill("#id_title", "Submitted twice in the browser")
    # Two submissions of the same form, at the same moment, with the page's own token.
    statuses = page.evaluate(
        """async () => {
            const form = document.querySelector("#id_title").form;
            const send = () => fetch(form.action || location.href, {method: "POST", body: new FormData(form),
                                                                   redirect: "manual"});
            const answers = await Promise.all([send(), send()]);
            return answers.map(a => a.type);
        }"""
    )
    assert statuses == ["opaqueredirect", "opaqueredirect"]
    assert Agreement.objects.filter(title="Submitted twice in the browser").count() == 1

    # A third press of the button (the user did not see the first answer) shows the saved record.
    page.get_by_role("button", name="Create the proposal", exact=True).first.click()
    page.wait_for_load_state("load")
    agreement = Agreement.objects.get(title="Submitted twice in the browser")
    assert page.url.endswith(f"/agreements/{agreement.reference}/")
    assert "already submitted" in page.locator("#messages").inner_text()
    assert Agreement.objects.filter(title="Submitted twice in the browser").count() == 1
    if path := os.environ.get("ICP_SCREENSHOT_DIR"):
        page.screenshot(path=f"{path}/double-submit.png")


def test_ssoi_saves_go_one_at_a_time_in_the_order_made(portal, make_agreement, program_office, transactional_db):
    """A save held up on the network keeps the next one waiting: saves reach the server in the
    order the user made them, and the bar ends on the answer that counted both sections."""
    agreement = make_agreement("ssoi_drafting")
    ui = portal()
    page = ui.sign_in(program_office.username)
    held = []
    page.route(re.compile(r"/ssoi/sections/"), lambda route: held.append(route))
    page.goto(f"{ui.base_url}/agreements/{agreement.reference}/ssoi/")
    bar = page.get_by_test_id("ssoi-completeness")
    assert bar.inner_text().startswith("0 of")
    sections = page.locator("[data-ssoi-section]:has(form.portal-ssoi-form)")
    first, second = sections.nth(0), sections.nth(1)
    for section in (first, second):
        for textarea in section.locator("textarea").all():
            textarea.fill("Agreed in the steering committee.")
        section.get_by_role("button", name=re.compile("^Save")).click()
    page.wait_for_timeout(1000)
    # The first save is still on its way; the second has not been sent.
    assert [route.request.url.rstrip("/").rsplit("/", 1)[1] for route in held] == [
        first.get_attribute("id").removeprefix("section-")
    ]
    # Both say so: neither shows the "Saved" of an earlier answer while its save waits.
    for section in (first, second):
        expect(section.locator("[data-save-status]")).to_have_text("Saving…")
    held.pop().continue_()
    expect(first.locator("[data-save-status]")).to_contain_text("Saved")
    expect(second.locator("[data-save-status]")).to_have_text("Saving…")
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1
    held.pop().continue_()
    expect(second.locator("[data-save-status]")).to_contain_text("Saved")
    expect(bar).to_have_text(re.compile(r"^2 of "))
    page.wait_for_timeout(500)
    assert not held


def test_an_ssoi_section_says_saved_only_when_its_last_save_is_answered(
    portal, make_agreement, program_office, transactional_db
):
    """Two saves of one section (a save on leaving the field, then the button): the first answer
    does not say "Saved" while the second waits, and leaving the page then asks first."""
    agreement = make_agreement("ssoi_drafting")
    ui = portal()
    page = ui.sign_in(program_office.username)
    held = []
    page.route(re.compile(r"/ssoi/sections/"), lambda route: held.append(route))
    page.goto(f"{ui.base_url}/agreements/{agreement.reference}/ssoi/")
    section = page.locator("#section-objectives")
    status = section.locator("[data-save-status]")
    textarea = section.locator("textarea").first
    textarea.fill("First words")
    section.get_by_role("button", name=re.compile("^Save")).click()
    textarea.fill("First words, and the rest of the objective.")
    section.get_by_role("button", name=re.compile("^Save")).click()
    page.wait_for_timeout(500)
    assert len(held) == 1
    held.pop().continue_()
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1
    expect(status).to_have_text("Saving…")
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.locator(".portal-tabs").get_by_role("link", name="Overview", exact=True).click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"] and page.url.endswith("/ssoi/")
    page.remove_listener("dialog", on_dialog)
    held.pop().continue_()
    expect(status).to_contain_text("Saved")
    agreement.ssoi.refresh_from_db()
    assert agreement.ssoi.objectives == "First words, and the rest of the objective."
