"""Rows of amendments, master terms, entry into force, partners, pens, the admin, the audit and silence."""

from __future__ import annotations

import contextlib
import datetime as dt
from unittest import mock

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone

from agreements import services as agreement_services
from agreements.choices import AgreementKind, AmendmentType, DocumentKind, State
from agreements.models import Agreement, Participant
from partners.models import Partner
from tests import factories
from workflow import services as workflow_services
from workflow.models import AccessLog, CoordinationPosition, CoordinationRound, PositionStatus, TransitionLog

from .registry import admin_read_only_row, door, not_applicable, setup
from .world import (
    create_api_payload,
    create_form_data,
    lifecycle_admin_objects,
    s65_sentence,
    service_refusal,
)


# amendment_result_valid ---------------------------------------------------------------------------
@setup("amendment_result_valid")
def _(w):
    loan = w.make(State.IN_FORCE, kind=AgreementKind.SECTION_65_LOAN, partners=("AUS",))
    amendment = w.make(
        State.SSOI_DRAFTING,
        kind=AgreementKind.AMENDMENT,
        parent=loan,
        partners=("AUS", "JPN"),
        amendment_type=AmendmentType.NEW_PARTICIPANT,
        authority="",
    )
    factories.fill_ssoi(amendment, w.po)
    factories.DocumentFactory(agreement=amendment, user=w.po, kind=DocumentKind.DRAFT_TEXT)
    Partner.objects.filter(code="JPN").update(is_mnna=False)  # the reference data changes meanwhile
    return {"amendment": amendment, "sentence": s65_sentence("Japan", loan.reference)}


@door("amendment_result_valid", "service")
def _(w, ctx):
    text = service_refusal(
        lambda: workflow_services.agreement_transition(agreement=ctx["amendment"], name="submit_rad", user=w.po)
    )
    assert ctx["sentence"] in text


@door("amendment_result_valid", "form")
def _(w, ctx):
    url = w.transition_url(ctx["amendment"], "submit_rad")
    w.refused_form(w.po, url, {"state": State.SSOI_DRAFTING}, ctx["sentence"], status=400)


@door("amendment_result_valid", "api")
def _(w, ctx):
    w.refused_api(w.po, "post", w.api_transition(ctx["amendment"]), {"name": "submit_rad"}, ctx["sentence"], status=400)
    ctx["amendment"].refresh_from_db()
    assert ctx["amendment"].state == State.SSOI_DRAFTING


admin_read_only_row("amendment_result_valid", "agreement")


@contextlib.contextmanager
def meanwhile(change):
    """Run ``change`` once, as a transaction that commits while an amendment's last signature is
    recorded: after the transition's conditions held, before the amendment applies to its parent
    (which it locks only then). So the check made when it applies is the one that decides."""
    done = []

    def receiver(sender, instance, **kwargs):
        if instance.kind == AgreementKind.AMENDMENT and instance.state == State.IN_FORCE and not done:
            done.append(True)
            change()

    post_save.connect(receiver, sender=Agreement, dispatch_uid="door-matrix-meanwhile")
    try:
        yield done
    finally:
        post_save.disconnect(sender=Agreement, dispatch_uid="door-matrix-meanwhile")


def _amendment_refused_when_applied(w, amendment, parent, change, sentence):
    with meanwhile(change) as done:
        text = service_refusal(lambda: w.sign_all(amendment))
    assert done, "the world did not change between the conditions and the application"
    assert sentence in text
    amendment.refresh_from_db()
    parent.refresh_from_db()
    assert amendment.state == State.SIGNING and parent.state == State.IN_FORCE  # nothing of it stays
    assert not parent.transition_logs.filter(transition="amendment_applied").exists()
    return parent


@door("amendment_result_valid", "amendment")
def _(w, ctx):
    # The parent is terminated while the last signature is recorded: the amendment no longer applies.
    parent = w.make(State.IN_FORCE)
    amendment = w.make(
        State.APPROVED, kind=AgreementKind.AMENDMENT, parent=parent, amendment_type=AmendmentType.SCOPE, partners=()
    )
    factories.DocumentFactory(agreement=parent, user=w.po, kind=DocumentKind.NOTICE)

    def terminate():
        workflow_services.agreement_transition(agreement=parent, name="terminate", user=w.reviewer, comment="Notice.")

    sentence = f"{parent.reference} is terminated: only an agreement that is signed or in force can be amended."
    _amendment_refused_when_applied(w, amendment, parent, terminate, sentence)
    # A partner already in the loan, not named by the amendment, stops being eligible meanwhile: the
    # amended loan as a whole is checked once more.
    loan = w.make(State.IN_FORCE, kind=AgreementKind.SECTION_65_LOAN, partners=("AUS",))
    joining = w.make(
        State.APPROVED,
        kind=AgreementKind.AMENDMENT,
        parent=loan,
        partners=("KOR",),
        amendment_type=AmendmentType.NEW_PARTICIPANT,
        authority="",
    )

    def reclassify():
        Partner.objects.filter(code="AUS").update(is_mnna=False)

    loan = _amendment_refused_when_applied(w, joining, loan, reclassify, s65_sentence("Australia", loan.reference))
    assert list(loan.participants.values_list("partner__code", flat=True)) == ["AUS"]
    assert Partner.objects.get(code="AUS").is_mnna  # rolled back with the refused transition


not_applicable("amendment_result_valid", "sweep", "The sweep that applies an amendment: extension_keeps_pas row.")


# pa_master_in_force -------------------------------------------------------------------------------
@setup("pa_master_in_force")
def _(w):
    master = w.make(State.IN_FORCE, partners=("GBR",))
    pa = w.make(State.APPROVED, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master, partners=("GBR",))
    factories.drive_to(master, State.TERMINATED, w.cast)
    pa.refresh_from_db()
    return {"master": master, "pa": pa, "sentence": f"The master agreement {master.reference} is not in force."}


@door("pa_master_in_force", "service")
def _(w, ctx):
    text = service_refusal(lambda: w.sign(ctx["pa"], None))
    assert ctx["sentence"] in text
    ctx["pa"].refresh_from_db()
    assert ctx["pa"].us_signature_date is None and ctx["pa"].master_lapsed_at is not None


@door("pa_master_in_force", "form")
def _(w, ctx):
    data = {
        "participant": "us",
        "signature_date": w.today.isoformat(),
        "signatory_name": "A. Signatory",
        "state": State.APPROVED,
    }
    w.refused_form(w.po, w.transition_url(ctx["pa"], "record_signature"), data, ctx["sentence"], status=400)


@door("pa_master_in_force", "api")
def _(w, ctx):
    payload = {"name": "record_signature", "participant": None, "signature_date": w.today.isoformat()}
    payload["signatory_name"] = "A. Signatory"
    w.refused_api(w.po, "post", w.api_transition(ctx["pa"]), payload, ctx["sentence"], status=400)


admin_read_only_row("pa_master_in_force", "agreement")
not_applicable("pa_master_in_force", "amendment", "An amendment has no master; its parent's state: parent_candidate.")


@door("pa_master_in_force", "sweep")
def _(w, ctx):
    master = w.make(State.IN_FORCE, partners=("GBR",))
    fixed = w.today + dt.timedelta(days=10)
    pa = w.make(
        State.SIGNED,
        kind=AgreementKind.PROJECT_ARRANGEMENT,
        parent=master,
        partners=("GBR",),
        fixed_entry_into_force_date=fixed,
    )
    factories.drive_to(master, State.TERMINATED, w.cast)
    with mock.patch("django.utils.timezone.localdate", return_value=fixed):
        assert workflow_services.entry_into_force_sweep() == 0
        reasons = {o.name: o.reasons for o in workflow_services.available_transitions(pa, None)}
    assert f"The master agreement {master.reference} is not in force." in reasons["enter_into_force"]


# signed_until_fixed_date --------------------------------------------------------------------------
SENTENCE_SYSTEM = "The portal does this itself on the due date."


@setup("signed_until_fixed_date")
def _(w):
    agreement = w.make(State.SIGNED)
    assert agreement.fixed_entry_into_force_date > w.today and agreement.entry_into_force_date is None
    return {"agreement": agreement}


@door("signed_until_fixed_date", "service")
def _(w, ctx):
    text = service_refusal(
        lambda: workflow_services.agreement_transition(agreement=ctx["agreement"], name="enter_into_force", user=w.po)
    )
    assert SENTENCE_SYSTEM in text


@door("signed_until_fixed_date", "form")
def _(w, ctx):
    url = w.transition_url(ctx["agreement"], "enter_into_force")
    w.refused_form(w.po, url, {"state": State.SIGNED}, SENTENCE_SYSTEM, status=403)


@door("signed_until_fixed_date", "api")
def _(w, ctx):
    w.refused_api(
        w.reviewer, "post", w.api_transition(ctx["agreement"]), {"name": "enter_into_force"}, SENTENCE_SYSTEM, 403
    )


admin_read_only_row("signed_until_fixed_date", "agreement")
not_applicable("signed_until_fixed_date", "amendment", "An amendment waits the same way (extension_keeps_pas row).")


@door("signed_until_fixed_date", "sweep")
def _(w, ctx):
    agreement = ctx["agreement"]
    assert workflow_services.entry_into_force_sweep() == 0
    day = agreement.fixed_entry_into_force_date
    with mock.patch("django.utils.timezone.localdate", return_value=day - dt.timedelta(days=1)):
        reasons = {o.name: o.reasons for o in workflow_services.available_transitions(agreement, None)}
        assert reasons["enter_into_force"] == [f"The agreement enters into force on {day:%Y-%m-%d}."]
    with mock.patch("django.utils.timezone.localdate", return_value=day):
        assert workflow_services.entry_into_force_sweep() == 1
    agreement.refresh_from_db()
    assert agreement.state == State.IN_FORCE and agreement.obligations.count() == 2


# nato_bodies_are_nato -----------------------------------------------------------------------------
@setup("nato_bodies_are_nato")
def _(w):
    return {}


@door("nato_bodies_are_nato", "service")
def _(w, ctx):
    loan = agreement_services.agreement_create(
        user=w.po, kind=AgreementKind.SECTION_65_LOAN, title="Loan to NSPA", partners=[w.partner("NSPA")]
    )
    assert loan.participants.get().partner.code == "NSPA"
    mou = w.make(State.PROPOSAL, partners=("NCIA",))
    assert not mou.needs_congressional_notice  # 2350a with a NATO agency: no 30-day wait


@door("nato_bodies_are_nato", "form")
def _(w, ctx):
    data = create_form_data(w, kind=AgreementKind.SECTION_65_LOAN, partners=[w.partner("NCIA").pk], authority="")
    response = w.browser(w.po).post(reverse("agreement_create"), data)
    assert response.status_code == 302


@door("nato_bodies_are_nato", "api")
def _(w, ctx):
    payload = create_api_payload(kind=AgreementKind.SECTION_65_LOAN, partners=["NSPA"], authority="")
    assert w.api(w.po).post("/api/v1/agreements/", payload, format="json").status_code == 201
    row = w.api(w.po).get(f"/api/v1/partners/{w.partner('NSPA').pk}/").json()
    assert row["counts_as_nato"] and row["eligible_for_section_65"] and not row["only_other_friendly"]


not_applicable("nato_bodies_are_nato", "admin", "The classification is reference data the administrator keeps.")


@door("nato_bodies_are_nato", "amendment")
def _(w, ctx):
    loan = w.make(State.IN_FORCE, kind=AgreementKind.SECTION_65_LOAN, partners=("AUS",))
    amendment = w.new_amendment(loan, AmendmentType.NEW_PARTICIPANT, partners=("AUS", "NSPA"))
    assert amendment.participants.filter(partner__code="NSPA").exists()


@door("nato_bodies_are_nato", "sweep")
def _(w, ctx):
    # approve_conclusion under 2350a goes straight to approved for a NATO agency: nothing to sweep.
    agreement = w.make(State.APPROVED, partners=("NSPA",))
    assert not agreement.transition_logs.filter(target=State.CONGRESSIONAL_WAIT).exists()
    assert workflow_services.congressional_wait_sweep() == 0


# keeps_a_partner ----------------------------------------------------------------------------------
@setup("keeps_a_partner")
def _(w):
    agreement = w.make(State.PROPOSAL, partners=("GBR",))
    participant = agreement.participants.get()
    return {
        "agreement": agreement,
        "participant": participant,
        "sentence": agreement_services.participant_last_denial(participant),
    }


@door("keeps_a_partner", "service")
def _(w, ctx):
    text = service_refusal(lambda: agreement_services.participant_remove(participant=ctx["participant"], user=w.po))
    assert ctx["sentence"] in text


@door("keeps_a_partner", "form")
def _(w, ctx):
    url = reverse("participant_remove", args=[ctx["agreement"].reference, ctx["participant"].pk])
    w.refused_form(w.po, url, {"confirmed": "yes"}, ctx["sentence"], status=400)


@door("keeps_a_partner", "api")
def _(w, ctx):
    w.refused_api(w.po, "delete", f"/api/v1/participants/{ctx['participant'].pk}/", None, ctx["sentence"], 400)
    assert Participant.objects.filter(pk=ctx["participant"].pk).exists()


@door("keeps_a_partner", "admin")
def _(w, ctx):
    in_force = w.make(State.IN_FORCE, partners=("GBR",))
    only = in_force.participants.get()
    w.admin_refuses(Participant, only)
    client = w.browser(w.admin)
    inline = client.post(reverse("admin:agreements_agreement_change", args=[in_force.pk]), {})
    assert inline.status_code == 403
    assert in_force.participants.count() == 1


not_applicable("keeps_a_partner", "amendment", "No amendment removes a partner.")
not_applicable("keeps_a_partner", "sweep", "No sweep removes a partner.")


# pen_holder_edits ---------------------------------------------------------------------------------
@setup("pen_holder_edits")
def _(w):
    agreement = w.make(State.RAD_REVIEW)
    return {
        "agreement": agreement,
        "sentence": "The agreement is RAD review: the program office does not hold the pen.",
    }


@door("pen_holder_edits", "service")
def _(w, ctx):
    text = service_refusal(
        lambda: agreement_services.agreement_update(agreement=ctx["agreement"], user=w.po, title="Rewritten")
    )
    assert ctx["sentence"] in text


@door("pen_holder_edits", "form")
def _(w, ctx):
    agreement = ctx["agreement"]
    data = {"title": "Rewritten", "marking": agreement.marking, "short_title": agreement.short_title}
    w.refused_form(w.po, reverse("agreement_detail", args=[agreement.reference]), data, ctx["sentence"], status=403)


@door("pen_holder_edits", "api")
def _(w, ctx):
    w.refused_api(w.po, "patch", f"/api/v1/agreements/{ctx['agreement'].pk}/", {"title": "X"}, ctx["sentence"], 403)
    ctx["agreement"].refresh_from_db()
    assert ctx["agreement"].title != "X"


admin_read_only_row("pen_holder_edits", "agreement")
not_applicable("pen_holder_edits", "amendment", "An amendment changes its parent only through its own lifecycle.")
not_applicable("pen_holder_edits", "sweep", "Sweeps change no record fields.")


# admin_read_only ----------------------------------------------------------------------------------
@setup("admin_read_only")
def _(w):
    return {"agreement": w.make(State.RAD_REVIEW, partners=("GBR", "FRA"))}


@door("admin_read_only", "admin")
def _(w, ctx):
    agreement = ctx["agreement"]
    client = w.browser(w.admin)
    for model, obj in lifecycle_admin_objects(agreement):
        w.admin_refuses(model, obj)
        history = obj.history.first() if hasattr(obj, "history") else None
        if history is not None:
            info = f"admin:{model._meta.app_label}_{model._meta.model_name}_simple_history"
            url = reverse(info, args=[obj.pk, history.history_id])
            assert client.get(url).status_code == 200
            assert client.post(url, {}).status_code == 403  # no revert


for _door in ("service", "form", "api", "amendment", "sweep"):
    not_applicable("admin_read_only", _door, "The rule is about the admin.")


# audit_append_only --------------------------------------------------------------------------------
@setup("audit_append_only")
def _(w):
    agreement = w.make(State.SSOI_DRAFTING)
    AccessLog.objects.create(user=w.po, agreement=agreement, path="/x/")
    return {"agreement": agreement, "log": agreement.transition_logs.first()}


@door("audit_append_only", "service")
def _(w, ctx):
    log = ctx["log"]
    with pytest.raises(PermissionError):
        TransitionLog.objects.filter(pk=log.pk).update(comment="rewritten")
    with pytest.raises(PermissionError):
        log.delete()
    # The database itself, whatever the code: UPDATE, DELETE and TRUNCATE are refused.
    statements = [
        ("UPDATE workflow_transitionlog SET comment = 'x' WHERE id = %s", [log.pk]),
        ("DELETE FROM workflow_transitionlog WHERE id = %s", [log.pk]),
        ("UPDATE workflow_accesslog SET path = '/y/'", []),
        ("DELETE FROM workflow_accesslog", []),
    ]
    if connection.vendor == "postgresql":
        statements += [("TRUNCATE workflow_transitionlog CASCADE", []), ("TRUNCATE workflow_accesslog", [])]
    for sql, params in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger events before TRUNCATE
                cursor.execute("SET LOCAL icp.audit_truncate = 'refuse'")
            cursor.execute(sql, params)
    assert TransitionLog.objects.get(pk=log.pk).comment == log.comment
    assert AccessLog.objects.filter(path="/x/").count() == 1


@door("audit_append_only", "api")
def _(w, ctx):
    client = w.api(w.admin)
    url = f"/api/v1/audit-log/{ctx['log'].pk}/"
    assert client.delete(url).status_code in (403, 405)
    assert client.patch(url, {"comment": "x"}, format="json").status_code in (403, 405)


@door("audit_append_only", "admin")
def _(w, ctx):
    w.admin_refuses(TransitionLog, ctx["log"])
    w.admin_refuses(AccessLog, AccessLog.objects.first())


not_applicable("audit_append_only", "form", "No browser route writes the audit trail.")
not_applicable("audit_append_only", "amendment", "Amendments append audit rows only.")
not_applicable("audit_append_only", "sweep", "Sweeps append audit rows only.")


# silence_is_final ---------------------------------------------------------------------------------
@setup("silence_is_final")
def _(w):
    agreement = w.make(State.RAD_REVIEW)
    coordinator = type(w.po).objects.get(username="coordinator")
    position = CoordinationPosition.objects.get(
        round__agreement=agreement, office_id=coordinator.coordinating_office_id
    )
    CoordinationPosition.objects.filter(pk=position.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    assert workflow_services.silence_sweep() >= 1
    position.refresh_from_db()
    assert position.status == PositionStatus.CONCURRED_BY_SILENCE
    return {
        "agreement": agreement,
        "coordinator": coordinator,
        "position": position,
        "sentence": workflow_services.position_silence_denial(position),
    }


@door("silence_is_final", "service")
def _(w, ctx):
    text = service_refusal(
        lambda: workflow_services.coordination_position_record(
            position=ctx["position"], user=ctx["coordinator"], status=PositionStatus.NON_CONCUR, comment="Late."
        )
    )
    assert ctx["sentence"] in text and "deemed to concur by silence" in text


@door("silence_is_final", "form")
def _(w, ctx):
    url = reverse("position_record", args=[ctx["agreement"].reference, ctx["position"].pk])
    data = {"status": PositionStatus.NON_CONCUR, "comment": "Late objection."}
    w.refused_form(ctx["coordinator"], url, data, ctx["sentence"], status=400)


@door("silence_is_final", "api")
def _(w, ctx):
    url = f"/api/v1/coordination-positions/{ctx['position'].pk}/record/"
    data = {"status": PositionStatus.NON_CONCUR, "comment": "Late objection."}
    w.refused_api(ctx["coordinator"], "post", url, data, ctx["sentence"], status=400)
    ctx["position"].refresh_from_db()
    assert ctx["position"].status == PositionStatus.CONCURRED_BY_SILENCE


@door("silence_is_final", "sweep")
def _(w, ctx):
    logs = ctx["agreement"].transition_logs.count()
    assert workflow_services.silence_sweep() == 0  # recorded once, never again
    assert ctx["agreement"].transition_logs.count() == logs


@door("silence_is_final", "admin")
def _(w, ctx):
    w.admin_refuses(CoordinationRound, ctx["position"].round)


not_applicable("silence_is_final", "amendment", "Amendments have their own rounds, under the same service.")
