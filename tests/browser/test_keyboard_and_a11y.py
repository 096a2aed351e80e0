"""Keyboard-only use of the main flow, and axe-core (WCAG 2.1 A/AA, and the "region" best
practice) on every page type at a desktop and a phone width."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from agreements.choices import AgreementKind, DocumentKind, State
from agreements.models import Agreement
from agreements.services import document_upload, document_withdraw
from workflow.models import CoordinationRound
from workflow.services import agreement_transition

pytestmark = pytest.mark.browser


def _tab_to(page, text: str, limit: int = 80) -> None:
    """Press Tab until the focused element's text is ``text``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.innerText")
        if focused and focused.strip() == text:
            return
    raise AssertionError(f"Tab never reached “{text}”")


def test_transitions_by_keyboard_alone(portal, program_office, make_agreement, transactional_db):
    agreement = make_agreement(State.PROPOSAL)
    ui = portal()
    page = ui.sign_in(program_office.username)
    ui.goto(f"/agreements/{agreement.reference}/")
    _tab_to(page, "Start the SSOI")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    agreement.refresh_from_db()
    assert agreement.state == State.SSOI_DRAFTING
    assert "is now SSOI drafting" in page.locator("#messages").inner_text()

    # A destructive action opens its dialog, takes the comment and submits, all by keyboard.
    _tab_to(page, "Withdraw")
    page.keyboard.press("Enter")
    assert page.locator("dialog[open]").count() == 1
    assert page.evaluate("document.activeElement.tagName") == "TEXTAREA"
    page.keyboard.type("The partner withdrew its interest.")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    agreement.refresh_from_db()
    assert agreement.state == State.WITHDRAWN
    assert not ui.csp_violations


def test_escape_closes_a_dialog_without_acting(portal, reviewer, make_agreement, transactional_db):
    agreement = make_agreement(State.RAD_REVIEW)
    ui = portal()
    page = ui.sign_in(reviewer.username)
    ui.goto(f"/agreements/{agreement.reference}/")
    _tab_to(page, "Disapprove")
    page.keyboard.press("Enter")
    assert page.locator("dialog[open]").count() == 1
    page.keyboard.press("Escape")
    assert page.locator("dialog[open]").count() == 0
    agreement.refresh_from_db()
    assert agreement.state == State.RAD_REVIEW


def _check(ui, path: str, failures: dict, *, action=None) -> None:
    page = ui.goto(path)
    page.wait_for_load_state("load")
    if action:
        action(page)
    violations = ui.axe_violations()
    if violations:
        failures[path + (" (after action)" if action else "")] = violations


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_no_wcag_violation_on_any_page_type(
    width, portal, make_agreement, program_office, reviewer, coordinator, liaison, admin_user, transactional_db
):
    master = make_agreement(State.IN_FORCE, releasable_to_partners=True)
    review = make_agreement(
        State.RAD_REVIEW, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master, releasable_to_partners=True
    )
    drafting = make_agreement(State.SSOI_DRAFTING)
    approved = make_agreement(State.APPROVED)
    negotiation = make_agreement(State.NEGOTIATION)
    signing = make_agreement(State.APPROVED)
    agreement_transition(
        agreement=signing,
        name="record_signature",
        user=program_office,
        participant=None,
        signature_date=timezone.localdate(),
        signatory_name="Under Secretary",
    )
    returned = make_agreement(State.RAD_REVIEW)
    agreement_transition(agreement=returned, name="return_for_revision", user=reviewer, comment="Rework it.")
    withdrawn_doc = document_upload(
        agreement=drafting, user=program_office, kind=DocumentKind.DRAFT_TEXT, content=b"x", filename="wrong.txt"
    )
    document_withdraw(document=withdrawn_doc, user=program_office, reason="Wrong file.")
    position = CoordinationRound.objects.current_for(review).positions.get(office=coordinator.coordinating_office)
    failures: dict[str, list] = {}

    ui = portal(width=width)
    ui.goto("/accounts/login/")
    _check(ui, "/accounts/login/", failures)
    ui.page.click("label[for=id_consent]")
    ui.page.fill("#id_username", "nobody")
    ui.page.fill("#id_password", "wrong")
    ui.page.click("[data-testid=sign-in]")
    ui.page.wait_for_load_state("load")
    if violations := ui.axe_violations():
        failures["login with error"] = violations

    ui.sign_in(program_office.username)
    for path in [
        "/agreements/",
        "/agreements/?state=nothing-matches&q=zzz",
        "/agreements/new/",
        "/dashboard/",
        f"/agreements/{drafting.reference}/",
        f"/agreements/{drafting.reference}/ssoi/",
        f"/agreements/{drafting.reference}/participants/",
        f"/agreements/{drafting.reference}/documents/",
        f"/agreements/{master.reference}/coordination/",
        f"/agreements/{master.reference}/history/",
        f"/agreements/{master.reference}/participants/",
        f"/agreements/{drafting.reference}/actions/withdraw/",
        f"/agreements/{approved.reference}/actions/record_signature/",
        "/agreements/ICP-1999-0000/",
        "/review/",
        "/notifications/",
        "/profile/",
        f"/agreements/{negotiation.reference}/",
        f"/agreements/{negotiation.reference}/ssoi/",
        f"/agreements/{signing.reference}/",
        f"/agreements/{returned.reference}/",
        f"/agreements/{returned.reference}/actions/submit_rad/",
    ]:
        _check(ui, path, failures)
    _check(
        ui,
        f"/agreements/{drafting.reference}/ssoi/",
        failures,
        action=lambda p: (
            p.locator("#section-objectives textarea").fill("Typed, then saved by htmx."),
            p.locator("#section-objectives").get_by_role("button", name=re.compile("^Save")).click(),
            p.locator("#save-status-objectives").filter(has_text="Saved").wait_for(),
        ),
    )
    _check(
        ui,
        "/agreements/new/",
        failures,
        action=lambda p: (p.get_by_role("button", name="Create the proposal").click(), p.wait_for_load_state("load")),
    )
    _check(
        ui,
        f"/agreements/{approved.reference}/",
        failures,
        action=lambda p: p.get_by_role("link", name="Record a signature").click(),
    )

    ui.sign_in(reviewer.username)
    for path in [
        "/review/",
        f"/agreements/{review.reference}/",
        f"/agreements/{review.reference}/coordination/",
        "/notifications/",
    ]:
        _check(ui, path, failures)

    ui.sign_in(coordinator.username)
    for path in ["/positions/", f"/agreements/{review.reference}/positions/{position.pk}/", "/notifications/"]:
        _check(ui, path, failures)

    # A disclosure office's coordinator: its pending DDL reviews and the decision form.
    from workflow import demo

    ui.sign_in(demo.disclosure_officer().username)
    for path in ["/positions/", f"/agreements/{drafting.reference}/documents/"]:
        _check(ui, path, failures)

    ui.sign_in(liaison.username)
    for path in [
        "/partner/",
        "/agreements/?status=in_force",
        f"/agreements/{master.reference}/",
        f"/agreements/{master.reference}/documents/",
    ]:
        _check(ui, path, failures)

    ui.sign_in(admin_user.username)
    _check(ui, "/dashboard/", failures)

    assert not failures, failures
    assert not ui.csp_violations, ui.csp_violations
    assert Agreement.objects.count() >= 4

    # axe-core really runs: a planted image without text is reported.
    ui.page.evaluate("document.querySelector('main').appendChild(document.createElement('img')).src = '/x.png'")
    assert "image-alt" in {v["id"] for v in ui.axe_violations()}
