"""Take screenshots of the portal's main pages into docs/screenshots/.

Run against a server with the demo data (``make run`` or ``manage.py runserver`` after
``seed_demo``):  .venv/bin/python tests/browser/screenshots.py [http://127.0.0.1:8000] [NAME ...]
With names (``mobile-agreement-overview`` …), only those screenshots are taken again.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from the repository root
from tests.chromium import CHROMIUM, CHROMIUM_ARGS

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = os.environ.get("DEMO_PASSWORD", "icp-demo-password-2026")


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.click("label[for=id_consent]")  # the DoD Notice and Consent Banner
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=sign-in]")
    page.wait_for_load_state("networkidle")


def first_reference(page, base: str, query: str) -> str:
    page.goto(f"{base}/agreements/?scope=all&{query}")
    link = page.locator("table a[href^='/agreements/ICP-']").first
    return re.search(r"ICP-\d+-\d+", link.get_attribute("href")).group(0)


def ssoi_saved_and_typing(page) -> None:
    """One section saved with its button, the next typed into and not saved yet (autosave
    saves it after a pause in typing): the status line of each says which."""
    first = page.locator("[data-ssoi-section]").first
    text = "Mature the sensor fusion software to TRL 6 by the end of 2028."
    box = first.locator("textarea").first
    box.fill(text if box.input_value() != text else text.replace("2028", "2029"))  # a change, run after run
    first.get_by_role("button", name=re.compile("^Save")).click()
    first.locator("[data-save-status]").filter(has_text="Saved at").wait_for()
    second = page.locator("[data-ssoi-section]").nth(1)
    second.locator("textarea").first.fill("")
    second.locator("textarea").first.press_sequentially("Joint trials at the range.", delay=10)
    page.get_by_test_id("ssoi-completeness").evaluate("el => el.scrollIntoView({block: 'start'})")


def main(base: str, only: set[str] | None = None) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def shoot(username: str, shots: list[tuple], width: int = 1280) -> None:
            context = browser.new_context(viewport={"width": width, "height": 900 if width > 600 else 844})
            page = context.new_page()
            sign_in(page, base, username)
            for name, path, *action in shots:
                if only and name not in only:
                    continue
                page.goto(f"{base}{path}")
                page.wait_for_load_state("networkidle")
                if action:
                    action[0](page)
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=not action)
                print("wrote", OUT / f"{name}.png")
            context.close()

        def open_dialog(label: str):
            def act(page):
                page.get_by_role("link", name=label).click()
                page.locator("dialog[open]").wait_for()

            return act

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        if not only or "login" in only:
            page.screenshot(path=str(OUT / "login.png"), full_page=True)
        sign_in(page, base, "program_office")
        rad = first_reference(page, base, "state=rad_review")
        signing = first_reference(page, base, "state=approved")
        in_force = first_reference(page, base, "state=in_force&kind=master")
        negotiation = first_reference(page, base, "state=negotiation")
        signatures = first_reference(page, base, "state=signing")
        signed = first_reference(page, base, "state=signed")
        returned = first_reference(page, base, "q=C-Drone")
        drafting = first_reference(page, base, "state=ssoi_drafting&kind=project_arrangement")
        context.close()
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        sign_in(page, base, "liaison")
        released = first_reference(page, base, "status=in_force")  # one the liaison may see
        context.close()

        shoot(
            "program_office",
            [
                ("my-agreements", "/agreements/"),
                ("new-proposal", "/agreements/new/"),
                ("agreement-overview", f"/agreements/{signing}/"),
                ("agreement-ssoi", f"/agreements/{rad}/ssoi/"),
                ("agreement-participants", f"/agreements/{signing}/participants/"),
                ("agreement-documents", f"/agreements/{in_force}/documents/"),
                ("agreement-history", f"/agreements/{in_force}/history/"),
                ("dashboard", "/dashboard/"),
            ],
        )
        shoot(
            "program_office",
            [
                ("returned-in-list", "/agreements/"),
                ("returned-overview", f"/agreements/{returned}/"),
                ("ssoi-review-after-negotiation", f"/agreements/{negotiation}/ssoi/"),
                ("reasons-as-links", f"/agreements/{drafting}/"),
                ("signature-panel", f"/agreements/{signatures}/"),
                ("agreement-signed", f"/agreements/{signed}/"),
                ("notifications", "/notifications/"),
            ],
        )
        shoot(
            "program_office",
            [
                (
                    "submit-rad-summary",
                    f"/agreements/{returned}/",
                    open_dialog("Submit for authority to negotiate (RAD)"),
                )
            ],
        )
        shoot("program_office", [("ssoi-section-save", f"/agreements/{drafting}/ssoi/", ssoi_saved_and_typing)])
        shoot(
            "program_office",
            [
                ("mobile-my-agreements", "/agreements/"),
                ("mobile-agreement-overview", f"/agreements/{negotiation}/"),
                ("mobile-agreement-ssoi", f"/agreements/{drafting}/ssoi/"),
                ("mobile-agreement-documents", f"/agreements/{in_force}/documents/"),
            ],
            width=390,
        )
        shoot(
            "reviewer", [("review-queue", "/review/"), ("agreement-coordination", f"/agreements/{rad}/coordination/")]
        )
        shoot("coordinator", [("positions-due", "/positions/")])
        shoot("coord_dtsa", [("ddl-decision", f"/agreements/{negotiation}/documents/")])
        shoot(
            "liaison",
            [
                ("liaison-dashboard", "/partner/"),
                ("liaison-agreement", f"/agreements/{released}/"),
                ("liaison-documents", f"/agreements/{released}/documents/"),
            ],
        )
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000", set(sys.argv[2:]))
