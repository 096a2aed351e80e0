"""Take the user guide's screenshots of import, search, the calendar, saved views, reminders from
the review queue and version comparison into docs/screenshots/.

Run against a server with fresh demo data (``make run``, or ``manage.py runserver`` after
``seed_demo``); it imports a small sample file, so run it once per fresh database:
    .venv/bin/python tests/browser/screenshots_tools.py [http://127.0.0.1:8000]
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.browser.screenshots import OUT, sign_in
from tests.chromium import CHROMIUM, CHROMIUM_ARGS


def sample_file(folder: Path) -> Path:
    """Twelve legacy agreements, three of them with problems the preview will name."""
    today = dt.date.today()
    ago = lambda days: (today - dt.timedelta(days=days)).isoformat()  # noqa: E731
    ahead = lambda days: (today + dt.timedelta(days=days)).isoformat()  # noqa: E731
    rows = [
        [
            "LEG-001",
            "Telemetry exchange master agreement",
            "Master RDT&E agreement",
            "In force",
            "NAVY",
            "GBR",
            "",
            "usc_2350a",
            ago(800),
            ahead(2900),
            ago(800),
            ago(805),
            f"GBR {ago(800)}",
        ],
        [
            "LEG-002",
            "Undersea acoustic telemetry project",
            "Project arrangement",
            "Negotiation",
            "NAVY",
            "GBR",
            "LEG-001",
            "usc_2350a",
            ago(90),
            ahead(1500),
            "",
            "",
            "",
        ],
        [
            "LEG-003",
            "Loan of range instrumentation",
            "Section 65 loan",
            "RAD review",
            "ARMY",
            "AUS",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        ["LEG-004", "Loan of test sets", "Section 65 loan", "Proposal", "ARMY", "IND", "", "", "", "", "", "", ""],
        [
            "LEG-005",
            "Rotorcraft development MOU",
            "System-level agreement",
            "Expired",
            "ARMY",
            "FRA; DEU",
            "",
            "aeca_27",
            ago(4000),
            ago(20),
            ago(3990),
            "",
            "",
        ],
        [
            "LEG-006",
            "Counter-UAS project arrangement",
            "Project arrangement",
            "Proposal",
            "USAF",
            "FRA",
            "LEG-999",
            "usc_2350a",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "LEG-007",
            "Space situational awareness data sharing",
            "Master RDT&E agreement",
            "In force",
            "USSF",
            "XYZ",
            "",
            "usc_2350a",
            ago(300),
            ahead(3000),
            ago(300),
            "",
            "",
        ],
    ]
    for index in range(8, 13):
        rows.append(
            [
                f"LEG-{index:03d}",
                f"Cooperative research proposal {index}",
                "master",
                "Proposal",
                "DARPA",
                "CAN",
                "",
                "usc_2350a",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    path = folder / "legacy-agreements.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "External reference",
            "Title",
            "Kind",
            "State",
            "Lead organization code",
            "Partner codes",
            "Parent reference",
            "Legal authority",
            "Effective date",
            "Expiration date",
            "Entry into force",
            "U.S. signature date",
            "Partner signature dates",
        ]
    )
    writer.writerows(rows)
    path.write_text(buffer.getvalue())
    return path


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def shot(page, name: str) -> None:
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            print("wrote", OUT / f"{name}.png")

        # Import: the preview, then the valid rows imported.
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        sign_in(page, base, "reviewer")
        page.goto(f"{base}/import/")
        page.set_input_files("#id_file", str(sample_file(folder)))
        page.click("form[data-testid=import-form] button[type=submit]")
        shot(page, "import-preview")
        page.click("[data-testid=import-valid-only]")
        shot(page, "import-done")

        # Saved views and reminders from the review queue.
        page.goto(f"{base}/agreements/?scope=all&state=rad_review&state=rfa_review")
        page.fill("#saved-view-name", "Under review")
        page.click("label[for=saved-view-share]")
        page.click("text=Save view")
        shot(page, "saved-views")
        page.goto(f"{base}/review/")
        boxes = page.locator("input[name=agreement]:not([disabled])")
        for index in range(min(2, boxes.count())):
            boxes.nth(index).check()
        page.click("[data-testid=bulk-remind-submit]")
        shot(page, "review-queue-reminders")
        page.goto(f"{base}/calendar/")
        page.click("nav.portal-calendar-nav a >> nth=1")  # next month: the silence deadlines ahead
        shot(page, "calendar-month")
        page.goto(f"{base}/calendar/?view=list")
        shot(page, "calendar-list")
        context.close()

        # Program office: a second version of a text, search, the calendar, the feed, comparisons.
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        sign_in(page, base, "program_office")
        page.goto(f"{base}/agreements/?scope=mine&state=negotiation")
        link = page.locator("table a[href^='/agreements/ICP-']").first
        reference = re.search(r"ICP-\d+-\d+", link.get_attribute("href")).group(0)
        text = folder / "draft-text-v2.txt"
        text.write_text(
            f"{reference} — Draft text\n\nArticle 1. Objectives of the cooperative project.\n\n"
            "Article 2. The Participants share telemetry from the joint trials in proportion to their "
            "contributions.\n\nArticle 3. Disputes are settled by consultation.\n"
        )
        page.goto(f"{base}/agreements/{reference}/documents/")
        page.select_option("#id_kind", "draft_text")
        page.set_input_files("#id_file", str(text))
        page.click("form.usa-form--large button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{base}/agreements/{reference}/documents/compare/?kind=draft_text")
        shot(page, "compare-documents")
        page.goto(f"{base}/agreements/{reference}/ssoi/")
        page.fill("#id_objectives", "Mature and jointly evaluate the technology to TRL 7 by the end of 2029.")
        page.locator("form:has(#id_objectives) button[type=submit]").first.click()
        page.wait_for_load_state("networkidle")
        page.goto(f"{base}/agreements/{reference}/ssoi/compare/")
        shot(page, "compare-ssoi")
        page.fill("#header-search-q", "telemetry")
        page.press("#header-search-q", "Enter")
        shot(page, "search")
        page.goto(f"{base}/profile/")
        page.click("[data-testid=calendar-feed-create]")
        shot(page, "calendar-feed")
        page.goto(f"{base}/profile/#calendar-feed")
        shot(page, "profile-calendar-feed")
        context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
