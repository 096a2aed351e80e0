"""Playwright fixtures: one Debian chromium per test session, a fresh context per test, and
helpers to sign in and to run axe-core. Every test here is marked ``browser``."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django must still allow ORM calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AXE_FILES = [ROOT / "static" / "vendor" / "axe.min.js", ROOT / "node_modules" / "axe-core" / "axe.min.js"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BEST_PRACTICE_RULES = ["region"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Portal:
    """The portal as one person sees it in the browser, with CSP violations collected."""

    def __init__(self, browser: Browser, base_url: str, *, bypass_csp: bool = False, width: int = 1280):
        self.base_url = base_url
        self.context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=bypass_csp)
        self.context.set_default_timeout(15_000)
        self.page: Page = self.context.new_page()
        self.csp_violations: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.csp_violations.append(f"{self.page.url}: {message.text}")

    def goto(self, path: str) -> Page:
        self.page.goto(self.base_url + path)
        return self.page

    def sign_in(self, username: str) -> Page:
        # Leave the previous page first: a poll it had in flight would otherwise come back after
        # the cookies are cleared with a fresh CSRF cookie that no longer matches the sign-in form.
        self.page.goto("about:blank")
        self.context.clear_cookies()
        self.goto("/accounts/login/")
        self.page.wait_for_load_state("networkidle")
        self.page.click("label[for=id_consent]")  # acknowledge the DoD Notice and Consent Banner
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("[data-testid=sign-in]")
        self.page.wait_for_load_state("load")
        assert "/accounts/login/" not in self.page.url, f"{username} could not sign in"
        return self.page

    def axe_violations(self) -> list[dict]:
        """WCAG 2.1 A/AA violations axe-core finds on the current page, and the best-practice
        rules the portal also keeps (BEST_PRACTICE_RULES: all content sits in landmarks)."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            # Evaluated through the DevTools protocol, which the page's CSP does not govern: a
            # walk that runs axe still sees every CSP violation of the portal's own pages.
            axe_file = next(p for p in AXE_FILES if p.exists())
            self.page.evaluate(axe_file.read_text(encoding="utf-8") + "\n;void 0")
        violations = []
        for run_only in ({"type": "tag", "values": WCAG_TAGS}, {"type": "rule", "values": BEST_PRACTICE_RULES}):
            result = self.page.evaluate(
                "runOnly => axe.run(document, {runOnly, resultTypes: ['violations']})",
                run_only,
            )
            violations += [
                {
                    "id": v["id"],
                    "impact": v["impact"],
                    "help": v["help"],
                    "nodes": [n["target"] for n in v["nodes"]][:5],
                }
                for v in result["violations"]
            ]
        return violations

    def close(self) -> None:
        """Let the last requests finish and stop every page's polling before closing, so the live
        server is idle when the test database is flushed (a request still writing then, such as a
        liaison's access-log row, would deadlock with the flush's TRUNCATE)."""
        for page in self.context.pages:
            with contextlib.suppress(PlaywrightError):
                page.wait_for_load_state("networkidle", timeout=5_000)
                page.goto("about:blank")
        self.context.close()


@pytest.fixture
def portal(browser, live_server):
    """``portal()`` opens a fresh browser context against the live server."""
    opened: list[Portal] = []

    def open_(*, bypass_csp: bool = False, width: int = 1280) -> Portal:
        instance = Portal(browser, live_server.url, bypass_csp=bypass_csp, width=width)
        opened.append(instance)
        return instance

    yield open_
    for instance in opened:
        instance.close()
