"""A form submitted twice in the browser (a double click, a resubmission) saves once and shows
what it saved: the page's script gives every POST form a one-time token."""

from __future__ import annotations

import os
import re

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
