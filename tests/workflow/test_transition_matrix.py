"""Every transition × role × state: the allowed ones succeed with exactly one audit row; the
refused ones say why and change nothing."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from agreements.choices import AgreementKind, DocumentKind, LegalAuthority, State
from agreements.models import Agreement
from tests import factories
from workflow.exceptions import TransitionConflict, TransitionForbidden
from workflow.models import TransitionLog
from workflow.services import agreement_transition, available_transitions
from workflow.transitions import TRANSITION_NAMES

ROLES = ("lead_program_office", "other_program_office", "reviewer", "coordinator", "liaison", "admin", "system")

# (source state, transition, roles allowed, expected target)
CASES = [
    (State.PROPOSAL, "start_ssoi", {"lead_program_office"}, State.SSOI_DRAFTING),
    (State.PROPOSAL, "withdraw", {"lead_program_office"}, State.WITHDRAWN),
    (State.SSOI_DRAFTING, "submit_rad", {"lead_program_office"}, State.RAD_REVIEW),
    (State.SSOI_DRAFTING, "withdraw", {"lead_program_office"}, State.WITHDRAWN),
    (State.RAD_REVIEW, "authorize_negotiation", {"reviewer"}, State.NEGOTIATION),
    (State.RAD_REVIEW, "return_for_revision", {"reviewer"}, State.SSOI_DRAFTING),
    (State.RAD_REVIEW, "disapprove", {"reviewer"}, State.DISAPPROVED),
    (State.NEGOTIATION, "submit_rfa", {"lead_program_office"}, State.RFA_REVIEW),
    (State.NEGOTIATION, "withdraw", {"lead_program_office"}, State.WITHDRAWN),
    (State.RFA_REVIEW, "approve_conclusion", {"reviewer"}, State.CONGRESSIONAL_WAIT),
    (State.RFA_REVIEW, "return_for_revision", {"reviewer"}, State.NEGOTIATION),
    (State.RFA_REVIEW, "disapprove", {"reviewer"}, State.DISAPPROVED),
    (State.CONGRESSIONAL_WAIT, "end_congressional_wait", {"reviewer", "system"}, State.APPROVED),
    (State.APPROVED, "record_signature", {"lead_program_office"}, State.SIGNING),
    (State.SIGNING, "record_signature", {"lead_program_office"}, State.IN_FORCE),
    (State.SIGNED, "enter_into_force", {"system"}, State.IN_FORCE),
    (State.SIGNED, "terminate", {"reviewer"}, State.TERMINATED),
    (State.IN_FORCE, "expire", {"system"}, State.EXPIRED),
    (State.IN_FORCE, "terminate", {"reviewer"}, State.TERMINATED),
]


def _actor(role, request):
    if role == "system":
        return None
    fixture = {"lead_program_office": "program_office", "admin": "admin_user"}.get(role, role)
    return request.getfixturevalue(fixture)


def _prepare(agreement: Agreement, name: str, cast) -> dict:
    """Meet the transition's conditions the way its users would; return the transition's data."""
    po = cast.program_office
    if name == "submit_rad":
        factories.fill_ssoi(agreement, po)
        factories.DocumentFactory(agreement=agreement, user=po, kind=DocumentKind.DRAFT_TEXT)
    elif name in ("authorize_negotiation", "approve_conclusion"):
        factories.concur_all(agreement, cast.coordinators)
    elif name == "submit_rfa":
        factories.DocumentFactory(agreement=agreement, user=po, kind=DocumentKind.NEGOTIATED_TEXT)
        factories.DdlDecisionFactory(agreement=agreement)
        from agreements.services import ssoi_update

        ssoi_update(agreement=agreement, user=po, ddl_notes="Reviewed after negotiation.")
    elif name == "end_congressional_wait":
        from workflow.services import congressional_notice_record

        congressional_notice_record(
            agreement=agreement, user=cast.reviewer, notice_date=timezone.localdate() - dt.timedelta(days=31)
        )
    elif name == "terminate":
        factories.DocumentFactory(agreement=agreement, user=cast.reviewer, kind=DocumentKind.NOTICE)
    elif name == "record_signature":
        signed = agreement.us_signature_date is not None
        participant = agreement.participants.first()
        return {
            "participant": participant.pk if signed else None,
            "signature_date": timezone.localdate(),
            "signatory_name": "A. Signatory",
            "signatory_title": "Minister",
        }
    agreement.refresh_from_db()
    return {}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("source", "name", "allowed_roles", "target"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_transition_by_role(source, name, allowed_roles, target, role, request, cast, make_agreement):
    # AECA §27 so that approval goes through the congressional wait.
    agreement = make_agreement(source, authority=LegalAuthority.AECA_27)
    data = _prepare(agreement, name, cast)
    user = _actor(role, request)
    logs_before = TransitionLog.objects.filter(agreement=agreement).count()
    comment = "Reason given by the actor."

    def run():
        if name in ("expire", "enter_into_force"):
            day = agreement.expiration_date if name == "expire" else agreement.fixed_entry_into_force_date
            with mock.patch("django.utils.timezone.localdate", return_value=day):
                return agreement_transition(agreement=agreement, name=name, user=user, comment=comment, **data)
        return agreement_transition(agreement=agreement, name=name, user=user, comment=comment, **data)

    if role in allowed_roles:
        log = run()
        agreement.refresh_from_db()
        assert agreement.state == target
        assert log.transition == name and log.source == source and log.target == target
        assert log.user == user
        assert TransitionLog.objects.filter(agreement=agreement).count() == logs_before + 1
    else:
        with pytest.raises(TransitionForbidden) as excinfo:
            run()
        assert excinfo.value.message  # says who may
        agreement.refresh_from_db()
        assert agreement.state == source
        assert TransitionLog.objects.filter(agreement=agreement).count() == logs_before


@pytest.mark.parametrize("state", [s for s in State.values])
def test_transitions_not_from_this_state_are_conflicts(state, cast, make_agreement):
    """A transition that does not leave the agreement's state is refused as a conflict."""
    target = state
    kind = AgreementKind.MASTER
    agreement = make_agreement(target, kind=kind, authority=LegalAuthority.AECA_27)
    sources = {name for (source, name, _, _) in CASES if source == state}
    for name in set(TRANSITION_NAMES) - sources:
        before = TransitionLog.objects.filter(agreement=agreement).count()
        with pytest.raises(TransitionConflict) as excinfo:
            agreement_transition(agreement=agreement, name=name, user=cast.reviewer, comment="x")
        assert excinfo.value.current_state == state
        assert "not possible" in excinfo.value.message
        agreement.refresh_from_db()
        assert agreement.state == state
        assert TransitionLog.objects.filter(agreement=agreement).count() == before


def test_available_transitions_explain_what_is_missing(program_office, reviewer, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    options = {o.name: o for o in available_transitions(agreement, program_office)}
    assert set(options) == {"submit_rad", "withdraw"}
    submit = options["submit_rad"]
    assert not submit.allowed
    assert any("Objectives" in r for r in submit.reasons)
    assert "No draft text is attached." in submit.reasons
    assert "No contribution is entered for United Kingdom." in submit.reasons
    assert options["withdraw"].allowed and options["withdraw"].comment_required

    for_reviewer = {o.name: o for o in available_transitions(agreement, reviewer)}
    assert for_reviewer["submit_rad"].reasons == ["Only the program office of Department of the Army may do this."]
