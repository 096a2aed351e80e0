"""Rows of the lifecycle steps that need more than a role (start, terminate, expire), of who may
record a coordination position and how, of who proposes for whom, and of the liaison's access log."""

from __future__ import annotations

import datetime as dt
import inspect
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agreements import services as agreement_services
from agreements.choices import AgreementKind, DocumentKind, State
from agreements.models import Agreement, Participant
from partners.models import Organization, Role, User
from partners.services import user_create
from tests import factories
from workflow import services as workflow_services
from workflow.calendar import calendar_feed_create
from workflow.imports import agreements_import
from workflow.models import AccessLog, CoordinationPosition, CoordinationRound, PositionStatus

from .registry import CHECKS, admin_read_only_row, door, not_applicable, setup
from .rows_domain import lifecycle_rule
from .rows_lifecycle import SENTENCE_SYSTEM
from .world import create_api_payload, create_form_data, service_refusal

# start_ssoi_ready ---------------------------------------------------------------------------------
SENTENCE_NO_AUTHORITY = "The legal authority is not set."
SENTENCE_NO_PARTNER = "No partner takes part yet: add at least one participant."


@setup("start_ssoi_ready")
def _(w):
    no_authority = w.make(State.PROPOSAL, authority="")
    # No door removes the last partner (keeps_a_partner); a record loaded without one, as an old
    # register might hold, is the case the condition still guards.
    no_partner = w.make(State.PROPOSAL)
    Participant.objects.filter(agreement=no_partner).delete()
    return {"cases": ((no_authority, SENTENCE_NO_AUTHORITY), (no_partner, SENTENCE_NO_PARTNER))}


@door("start_ssoi_ready", "service")
def _(w, ctx):
    for agreement, sentence in ctx["cases"]:
        text = service_refusal(
            lambda a=agreement: workflow_services.agreement_transition(agreement=a, name="start_ssoi", user=w.po)
        )
        assert sentence in text


@door("start_ssoi_ready", "form")
def _(w, ctx):
    for agreement, sentence in ctx["cases"]:
        url = w.transition_url(agreement, "start_ssoi")
        w.refused_form(w.po, url, {"state": State.PROPOSAL}, sentence, status=400)


@door("start_ssoi_ready", "api")
def _(w, ctx):
    for agreement, sentence in ctx["cases"]:
        w.refused_api(w.po, "post", w.api_transition(agreement), {"name": "start_ssoi"}, sentence, status=400)
        agreement.refresh_from_db()
        assert agreement.state == State.PROPOSAL


def _start_ssoi_admin(w, ctx):
    w.admin_refuses(Agreement, ctx["cases"][0][0])
    w.admin_refuses(Participant, None)  # nor adds the missing partner behind the services' back


CHECKS["start_ssoi_ready"]["admin"] = _start_ssoi_admin
not_applicable("start_ssoi_ready", "amendment", "An amendment takes its parent's partners and authority when made.")
not_applicable("start_ssoi_ready", "sweep", "No sweep starts an SSOI.")


# terminate_needs_notice ---------------------------------------------------------------------------
lifecycle_rule(
    "terminate_needs_notice",
    State.IN_FORCE,
    "terminate",
    "reviewer",
    lambda a: "No termination notice is attached.",
    data={"comment": "Ended by the partner's notice."},
)
not_applicable("terminate_needs_notice", "sweep", "No sweep terminates: the expiry sweep expires (expiry_on_date).")


# expiry_on_date -----------------------------------------------------------------------------------
@setup("expiry_on_date")
def _(w):
    agreement = w.make(State.IN_FORCE)
    assert agreement.expiration_date > w.today
    return {"agreement": agreement, "sentence": f"The agreement expires on {agreement.expiration_date:%Y-%m-%d}."}


@door("expiry_on_date", "service")
def _(w, ctx):
    agreement = ctx["agreement"]
    text = service_refusal(
        lambda: workflow_services.agreement_transition(agreement=agreement, name="expire", user=None)
    )
    assert ctx["sentence"] in text
    for person in (w.po, w.reviewer):  # never a person, whatever the date
        text = service_refusal(
            lambda p=person: workflow_services.agreement_transition(agreement=agreement, name="expire", user=p)
        )
        assert SENTENCE_SYSTEM in text


@door("expiry_on_date", "form")
def _(w, ctx):
    url = w.transition_url(ctx["agreement"], "expire")
    w.refused_form(w.reviewer, url, {"state": State.IN_FORCE}, SENTENCE_SYSTEM, status=403)


@door("expiry_on_date", "api")
def _(w, ctx):
    w.refused_api(w.reviewer, "post", w.api_transition(ctx["agreement"]), {"name": "expire"}, SENTENCE_SYSTEM, 403)
    ctx["agreement"].refresh_from_db()
    assert ctx["agreement"].state == State.IN_FORCE


@door("expiry_on_date", "sweep")
def _(w, ctx):
    agreement = ctx["agreement"]
    day = agreement.expiration_date
    with mock.patch("django.utils.timezone.localdate", return_value=day - dt.timedelta(days=1)):
        assert workflow_services.expiry_sweep() == 0
        reasons = {o.name: o.reasons for o in workflow_services.available_transitions(agreement, None)}
        assert reasons["expire"] == [ctx["sentence"]]
    agreement.refresh_from_db()
    assert agreement.state == State.IN_FORCE
    with mock.patch("django.utils.timezone.localdate", return_value=day):
        assert workflow_services.expiry_sweep() == 1
    agreement.refresh_from_db()
    assert agreement.state == State.EXPIRED


admin_read_only_row("expiry_on_date", "agreement")
not_applicable(
    "expiry_on_date", "amendment", "An extension moves the date the sweep reads; its limits: extension_keeps_pas."
)


# coordinator_own_office and non_concurrence_needs_comment -----------------------------------------
def _position_setup(w) -> dict:
    agreement = w.make(State.RAD_REVIEW)
    coordinator = User.objects.get(username="coordinator")
    position = CoordinationPosition.objects.get(
        round__agreement=agreement, office_id=coordinator.coordinating_office_id
    )
    other = next(u for u in w.cast.coordinators if u.coordinating_office_id != coordinator.coordinating_office_id)
    return {"agreement": agreement, "coordinator": coordinator, "other": other, "position": position}


def _position_unchanged(ctx) -> None:
    position = CoordinationPosition.objects.get(pk=ctx["position"].pk)
    assert position.status == PositionStatus.PENDING and position.responded_by_id is None


def position_rule(rule: str, user_key: str, data: dict, sentence, status: int) -> None:
    """A position refused for the same reason by the service, the browser and the API."""

    @setup(rule)
    def _(w):
        ctx = _position_setup(w)
        ctx["user"] = ctx[user_key]
        ctx["sentence"] = sentence(ctx)
        return ctx

    @door(rule, "service")
    def _(w, ctx):
        text = service_refusal(
            lambda: workflow_services.coordination_position_record(position=ctx["position"], user=ctx["user"], **data)
        )
        assert ctx["sentence"] in text
        _position_unchanged(ctx)

    @door(rule, "form")
    def _(w, ctx):
        url = reverse("position_record", args=[ctx["agreement"].reference, ctx["position"].pk])
        w.refused_form(ctx["user"], url, data, ctx["sentence"], status=status)
        _position_unchanged(ctx)

    @door(rule, "api")
    def _(w, ctx):
        url = f"/api/v1/coordination-positions/{ctx['position'].pk}/record/"
        w.refused_api(ctx["user"], "post", url, data, ctx["sentence"], status=status)
        _position_unchanged(ctx)

    @door(rule, "admin")
    def _(w, ctx):
        w.admin_refuses(CoordinationRound, ctx["position"].round)

    not_applicable(rule, "amendment", "An amendment's rounds are recorded through the same service.")


position_rule(
    "coordinator_own_office",
    "other",
    {"status": PositionStatus.CONCUR, "comment": ""},
    lambda ctx: f"Only a coordinator of {ctx['position'].office.name} may record its position.",
    status=403,
)


@door("coordinator_own_office", "sweep")
def _(w, ctx):
    # The silence sweep records for each office only its own position, and only past its deadline.
    assert workflow_services.silence_sweep() == 0
    _position_unchanged(ctx)


position_rule(
    "non_concurrence_needs_comment",
    "coordinator",
    {"status": PositionStatus.NON_CONCUR, "comment": "  "},
    lambda ctx: "Say why: a non-concurrence needs a comment.",
    status=400,
)
not_applicable("non_concurrence_needs_comment", "sweep", "Silence is recorded as a concurrence, never an objection.")


# program_office_own_organization ------------------------------------------------------------------
SENTENCE_PROPOSER = "Only a program office may propose an agreement."
SENTENCE_IMPORTER = "Only administrators and OUSD(A&S) reviewers may import agreements."


@setup("program_office_own_organization")
def _(w):
    navy = Organization.objects.get(code="NAVY")
    navy_po = user_create(
        username="navy_po", role=Role.PROGRAM_OFFICE, password="Door-matrix-2026!", organization_code="NAVY"
    )
    armys = w.make(State.IN_FORCE, title="The Army's agreement in force")
    return {
        "navy": navy,
        "army": w.po.organization,
        "navy_po": navy_po,
        "armys": armys,
        "amend_sentence": f"Only the program office of {w.po.organization} may amend {armys.reference}.",
    }


NAVY_AMENDMENT = {"kind": AgreementKind.AMENDMENT, "amendment_type": "scope", "title": "The Navy's amendment"}


def _led_by_proposer(w, ctx, title: str) -> None:
    agreement = Agreement.objects.get(title=title)
    assert agreement.lead_organization_id == ctx["army"].pk != ctx["navy"].pk
    assert agreement.action_officer_id == w.po.pk


@door("program_office_own_organization", "service")
def _(w, ctx):
    text = service_refusal(
        lambda: agreement_services.agreement_create(
            user=w.reviewer, kind=AgreementKind.MASTER, title="A review", partners=[w.partner("GBR")]
        )
    )
    assert SENTENCE_PROPOSER in text
    # The service takes no organization: the proposer's is the only one it can use.
    assert not {"lead_organization", "organization"} & set(
        inspect.signature(agreement_services.agreement_create).parameters
    )
    agreement_services.agreement_create(
        user=w.po, kind=AgreementKind.MASTER, title="Army's own", partners=[w.partner("GBR")]
    )
    _led_by_proposer(w, ctx, "Army's own")
    # Another organization's program office acts on the record only through its lead's pen.
    navy_po = User.objects.get(username="navy_po")
    agreement = Agreement.objects.get(title="Army's own")
    text = service_refusal(
        lambda: workflow_services.agreement_transition(agreement=agreement, name="start_ssoi", user=navy_po)
    )
    assert f"Only the program office of {ctx['army']} may do this." in text
    # The register import names any lead organization, so only administrators and reviewers run it.
    text = service_refusal(lambda: agreements_import(content=b"title\n", filename="mine.csv", user=w.po, dry_run=False))
    assert SENTENCE_IMPORTER in text
    # An amendment changes its parent: only the parent's lead organization proposes one.
    text = service_refusal(
        lambda: agreement_services.agreement_create(
            user=ctx["navy_po"], parent=ctx["armys"], partners=[w.partner("GBR")], **NAVY_AMENDMENT
        )
    )
    assert ctx["amend_sentence"] in text
    assert not Agreement.objects.filter(title="The Navy's amendment").exists()


@door("program_office_own_organization", "form")
def _(w, ctx):
    data = create_form_data(w, partners=[w.partner("GBR").pk], title="Army's form")
    w.refused_form(w.reviewer, reverse("agreement_create"), data, SENTENCE_PROPOSER, status=403)
    response = w.browser(w.po).post(reverse("agreement_create"), {**data, "lead_organization": ctx["navy"].pk})
    assert response.status_code == 302
    _led_by_proposer(w, ctx, "Army's form")
    upload = SimpleUploadedFile("mine.csv", b"title\n", content_type="text/csv")
    w.refused_form(w.po, reverse("import_upload"), {"file": upload}, SENTENCE_IMPORTER, status=403)
    data = create_form_data(w, parent=ctx["armys"].pk, partners=[w.partner("GBR").pk], **NAVY_AMENDMENT)
    w.refused_form(ctx["navy_po"], reverse("agreement_create"), data, ctx["amend_sentence"], status=400)
    # The form offers the Navy the Army's agreement as no amendment's parent; the Army's office it does.
    for user, offered in ((ctx["navy_po"], False), (w.po, True)):
        widget = w.browser(user).get(reverse("agreement_create")).context["form"].fields["parent"].widget
        assert (AgreementKind.AMENDMENT in widget.kinds_by_pk.get(ctx["armys"].pk, [])) is offered


@door("program_office_own_organization", "api")
def _(w, ctx):
    payload = create_api_payload(partners=["GBR"], title="Army's API")
    w.refused_api(w.reviewer, "post", "/api/v1/agreements/", payload, SENTENCE_PROPOSER, status=403)
    response = w.api(w.po).post("/api/v1/agreements/", {**payload, "lead_organization": "NAVY"}, format="json")
    assert response.status_code == 201, response.content[:300]
    assert response.json()["lead_organization"] == ctx["army"].code
    _led_by_proposer(w, ctx, "Army's API")
    payload = create_api_payload(parent=ctx["armys"].pk, partners=["GBR"], **NAVY_AMENDMENT)
    w.refused_api(ctx["navy_po"], "post", "/api/v1/agreements/", payload, ctx["amend_sentence"], status=400)
    for user, listed in ((ctx["navy_po"], False), (w.po, True)):
        rows = w.api(user).get("/api/v1/agreements/", {"parent_candidate_for": "amendment"}).json()["results"]
        assert (ctx["armys"].reference in {row["reference"] for row in rows}) is listed


admin_read_only_row("program_office_own_organization", "agreement")
not_applicable(
    "program_office_own_organization",
    "amendment",
    "An amendment is proposed through agreement_create (the service, form and API rows refuse another "
    "organization's amendment); once in force it changes its parent, led by the same organization.",
)
not_applicable("program_office_own_organization", "sweep", "No sweep proposes an agreement.")


# liaison_views_logged -----------------------------------------------------------------------------
@setup("liaison_views_logged")
def _(w):
    agreement = w.make(State.NEGOTIATION, partners=("GBR",), releasable_to_partners=True)
    factories.DdlDecisionFactory(agreement=agreement)
    document = agreement_services.document_upload(
        agreement=agreement,
        user=w.po,
        kind=DocumentKind.OTHER,
        content=b"released text",
        filename="released.txt",
        releasable_to_partners=True,
    )
    hidden = w.make(State.NEGOTIATION, partners=("FRA",))
    return {
        "agreement": agreement,
        "document": document,
        "hidden": hidden,
        "liaison": User.objects.get(username="liaison"),
    }


def _logged(ctx) -> list[tuple[str, int, int | None]]:
    rows = AccessLog.objects.filter(user=ctx["liaison"]).order_by("timestamp", "pk")
    return [(log.path, log.status_code, log.agreement_id) for log in rows]


@door("liaison_views_logged", "form")
def _(w, ctx):
    before = _logged(ctx)
    client = w.browser(ctx["liaison"])
    page = f"/agreements/{ctx['agreement'].reference}/"
    refused = f"/agreements/{ctx['hidden'].reference}/"
    assert client.get(page).status_code == 200
    assert client.get(refused).status_code == 404
    assert client.post(w.transition_url(ctx["agreement"], "withdraw"), {"comment": "x"}).status_code in (403, 404)
    added = _logged(ctx)[len(before) :]
    assert added[:2] == [(page, 200, ctx["agreement"].pk), (refused, 404, ctx["hidden"].pk)]
    assert len(added) == 3 and added[2][1] in (403, 404)
    # The calendar feed, read without a session, is logged for its liaison too.
    _feed, token = calendar_feed_create(user=ctx["liaison"])
    assert Client().get(reverse("calendar_feed", args=[token])).status_code == 200
    added = _logged(ctx)[len(before) :]
    assert len(added) == 4 and added[3][1] == 200 and token not in added[3][0]


@door("liaison_views_logged", "api")
def _(w, ctx):
    before = _logged(ctx)
    client = w.api(ctx["liaison"])
    detail = f"/api/v1/agreements/{ctx['agreement'].pk}/"
    download = f"/api/v1/documents/{ctx['document'].pk}/download/"
    assert client.get(detail).status_code == 200
    assert client.get(download).status_code == 200
    assert client.patch(detail, {"title": "x"}, format="json").status_code == 403
    added = _logged(ctx)[len(before) :]
    assert added == [
        (detail, 200, ctx["agreement"].pk),
        (download, 200, ctx["agreement"].pk),
        (detail, 403, ctx["agreement"].pk),
    ]


@door("liaison_views_logged", "admin")
def _(w, ctx):
    w.browser(ctx["liaison"]).get(f"/agreements/{ctx['agreement'].reference}/")
    w.admin_refuses(AccessLog, AccessLog.objects.filter(user=ctx["liaison"]).first())


not_applicable("liaison_views_logged", "service", "Services serve no page: the middleware logs every request.")
not_applicable("liaison_views_logged", "amendment", "An amendment is read like any agreement (form and API rows).")
not_applicable("liaison_views_logged", "sweep", "Sweeps read nothing for a liaison.")
