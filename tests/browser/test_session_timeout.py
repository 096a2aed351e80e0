"""The idle time-out warning in the page: it appears before the server would end the session,
"Stay signed in" keeps the session, and doing nothing lands on the sign-in page."""

from __future__ import annotations

from pathlib import Path

SHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_the_page_warns_before_the_idle_time_out(portal, program_office, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 0.25  # 15 s
    settings.SESSION_WARNING_SECONDS = 10
    ui = portal()
    page = ui.sign_in(program_office.username)
    page.goto(ui.base_url + "/agreements/")
    dialog = page.get_by_test_id("session-timeout")
    dialog.wait_for(state="visible", timeout=12_000)
    assert "you will be signed out in" in dialog.inner_text()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "session-timeout-warning.png"))
    page.get_by_test_id("stay-signed-in").click()
    dialog.wait_for(state="hidden", timeout=5_000)
    # The server's clock restarted: the warning comes back only after another idle period.
    page.wait_for_timeout(3_000)
    assert not dialog.is_visible()
    dialog.wait_for(state="visible", timeout=12_000)
    page.wait_for_url("**/accounts/login/**", timeout=20_000)
    assert "You were signed out: idle for more than" in page.content()
    assert ui.csp_violations == []


def test_the_sign_in_page_requires_the_consent_box_and_the_admin_is_marked(portal, admin_user):
    ui = portal()
    page = ui.goto("/accounts/login/")
    banner = page.get_by_test_id("consent-banner")
    assert "You are accessing a U.S. Government (USG) Information System" in banner.inner_text()
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "correct-horse-battery-staple")
    page.click("[data-testid=sign-in]")  # the browser itself holds the form back: the box is required
    assert "/accounts/login/" in page.url
    assert page.evaluate("document.getElementById('id_consent').validity.valueMissing")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "sign-in-banner.png"), full_page=True)
    page.click("label[for=id_consent]")
    page.click("[data-testid=sign-in]")
    page.wait_for_load_state("load")
    page.goto(ui.base_url + "/admin/")
    assert page.get_by_test_id("admin-marking-top").inner_text() == "CUI"
    assert page.get_by_test_id("admin-marking-bottom").is_visible()
    page.screenshot(path=str(SHOTS / "admin-marking.png"))
    assert ui.csp_violations == []
