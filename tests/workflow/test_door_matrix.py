"""Every rule × every door. For each rule of workflow.rulebook (the integrity rules and the
lifecycle rules of the domain), each door that could break it — the service, the browser form,
the REST API, the admin, amendment application, a sweep — is tried, and each refuses with the same
sentence and changes nothing. A door that cannot touch the rule says why in its row.

The test fails when a rule is added to the rulebook without its rows here, and when a new door
appears (a service, a browser route, an API route, an admin registration, a sweep) without being
listed below."""

from __future__ import annotations

import datetime as dt
import html
import inspect
import json
from collections.abc import Callable
from unittest import mock

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from agreements import services as agreement_services
from agreements.choices import AgreementKind, AmendmentType, DdlStatus, DocumentKind, LegalAuthority, State
from agreements.models import SSOI, Agreement, Participant
from partners.models import Partner
from tests import factories
from tests.api.conftest import token_client
from workflow import demo
from workflow import services as workflow_services
from workflow.exceptions import LifecycleError
from workflow.models import AccessLog, CoordinationPosition, CoordinationRound, PositionStatus, TransitionLog
from workflow.rulebook import DOORS, RULE_KEYS, RULES

pytestmark = pytest.mark.django_db


# --- how each door answers ------------------------------------------------------------------------
def service_refusal(call: Callable) -> str:
    """The sentence(s) a service refuses with (it must refuse)."""
    try:
        call()
    except ValidationError as exc:
        return " ".join(exc.messages)
    except (PermissionDenied, LifecycleError) as exc:
        return str(exc)
    raise AssertionError("the service accepted what the rule forbids")


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def api_text(response) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


class World:
    """The cast and one client per door."""

    def __init__(self, cast, make_agreement):
        self.cast = cast
        self.make = make_agreement
        self.po = cast.program_office
        self.reviewer = cast.reviewer
        self.admin = type(self.po).objects.get(username="admin")
        self.today = timezone.localdate()

    def partner(self, code: str) -> Partner:
        return Partner.objects.get(code=code)

    def browser(self, user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def api(self, user):
        """A token client; for a user the portal issues no token (a liaison, an administrator),
        the session the browser would use."""
        try:
            return token_client(user)
        except PermissionDenied:
            from rest_framework.test import APIClient

            client = APIClient()
            client.force_login(user)
            return client

    def refused_form(self, user, url: str, data: dict, sentence: str, status=(400, 403)) -> None:
        response = self.browser(user).post(url, data)
        statuses = status if isinstance(status, tuple) else (status,)
        assert response.status_code in statuses, (url, response.status_code)
        assert sentence in page_text(response), (sentence, url)

    def refused_api(self, user, method: str, url: str, data: dict | None, sentence: str, status=(400, 403)):
        response = getattr(self.api(user), method)(url, data, format="json")
        statuses = status if isinstance(status, tuple) else (status,)
        assert response.status_code in statuses, (url, response.status_code, response.content[:300])
        assert sentence in api_text(response), (sentence, api_text(response))

    def admin_refuses(self, model, obj=None) -> None:
        """The admin offers no add, change or delete for a lifecycle record."""
        client = self.browser(self.admin)
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert client.post(reverse(f"{info}_add"), {}).status_code == 403
        if obj is not None:
            assert client.post(reverse(f"{info}_change", args=[obj.pk]), {}).status_code == 403
            assert client.post(reverse(f"{info}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
            assert model.objects.filter(pk=obj.pk).exists()

    def transition_url(self, agreement, name: str) -> str:
        return reverse("agreement_transition", args=[agreement.reference, name])

    def api_transition(self, agreement) -> str:
        return f"/api/v1/agreements/{agreement.pk}/transitions/"

    def new_amendment(self, parent, amendment_type, partners=(), **fields) -> Agreement:
        return demo.propose(
            user=self.po,
            kind=AgreementKind.AMENDMENT,
            parent=parent,
            partners=partners,
            title=f"{AmendmentType(amendment_type).label} of {parent.reference}",
            amendment_type=amendment_type,
            authority="",
            **fields,
        )

    def sign_all(self, agreement) -> None:
        """Record every missing signature (the last one may be refused)."""
        agreement.refresh_from_db()
        if not agreement.us_signature_date:
            self.sign(agreement, None)
        for participant in agreement.participants.filter(signature_date__isnull=True):
            self.sign(agreement, participant)

    def sign(self, agreement, participant, user=None):
        return workflow_services.agreement_transition(
            agreement=agreement,
            name="record_signature",
            user=user or self.po,
            participant=participant.pk if participant else None,
            signature_date=self.today,
            signatory_name="A. Signatory",
        )


def create_form_data(w: World, **fields) -> dict:
    data = {"kind": AgreementKind.MASTER, "title": "A proposal", "authority": LegalAuthority.USC_2350A}
    data.update(fields)
    return data


def create_api_payload(**fields) -> dict:
    data = {"kind": AgreementKind.MASTER, "title": "A proposal", "authority": LegalAuthority.USC_2350A}
    data.update(fields)
    return data


def s65_sentence(partner_name: str, reference: str = "") -> str:
    ref = f" {reference}" if reference else ""
    return (
        f"{partner_name} is neither a NATO member nor a major non-NATO ally (nor a NATO body or agency): "
        f"the Section 65 loan{ref} cannot be made to it."
    )


# --- the matrix -----------------------------------------------------------------------------------
# CHECKS[rule][door] is either a check (World, ctx) → None, or a sentence saying why the door cannot
# touch the rule. SETUPS[rule] builds what the rule's checks share.
CHECKS: dict[str, dict[str, Callable | str]] = {key: {} for key in RULE_KEYS}
SETUPS: dict[str, Callable[[World], dict]] = {}


def setup(rule: str):
    def register(fn):
        SETUPS[rule] = fn
        return fn

    return register


def door(rule: str, *names: str):
    def register(fn):
        for name in names:
            CHECKS[rule][name] = fn
        return fn

    return register


def not_applicable(rule: str, name: str, reason: str) -> None:
    CHECKS[rule][name] = reason


def admin_read_only_row(rule: str, model_name: str):
    def check(w, ctx):
        model = {"agreement": Agreement, "participant": Participant}[model_name]
        w.admin_refuses(model, ctx.get(model_name))

    CHECKS[rule]["admin"] = check


# section_65_partner -------------------------------------------------------------------------------
@setup("section_65_partner")
def _(w):
    return {"india": w.partner("IND")}


@door("section_65_partner", "service")
def _(w, ctx):
    text = service_refusal(
        lambda: agreement_services.agreement_create(
            user=w.po, kind=AgreementKind.SECTION_65_LOAN, title="Loan", partners=[ctx["india"]]
        )
    )
    assert s65_sentence("India") in text


@door("section_65_partner", "form")
def _(w, ctx):
    data = create_form_data(w, kind=AgreementKind.SECTION_65_LOAN, partners=[ctx["india"].pk], authority="")
    w.refused_form(w.po, reverse("agreement_create"), data, s65_sentence("India"), status=400)


@door("section_65_partner", "api")
def _(w, ctx):
    payload = create_api_payload(kind=AgreementKind.SECTION_65_LOAN, partners=["IND"], authority="")
    w.refused_api(w.po, "post", "/api/v1/agreements/", payload, s65_sentence("India"), status=400)
    assert not Agreement.objects.filter(kind=AgreementKind.SECTION_65_LOAN).exists()


admin_read_only_row("section_65_partner", "participant")


@door("section_65_partner", "amendment")
def _(w, ctx):
    loan = w.make(State.IN_FORCE, kind=AgreementKind.SECTION_65_LOAN, partners=("AUS",))
    # Refused when the amendment is created, through each door that creates one …
    sentence = s65_sentence("India", loan.reference)
    text = service_refusal(lambda: w.new_amendment(loan, AmendmentType.NEW_PARTICIPANT, partners=("AUS", "IND")))
    assert sentence in text
    payload = create_api_payload(
        kind=AgreementKind.AMENDMENT,
        parent=loan.pk,
        partners=["AUS", "IND"],
        amendment_type=AmendmentType.NEW_PARTICIPANT,
        authority="",
    )
    w.refused_api(w.po, "post", "/api/v1/agreements/", payload, sentence, status=400)
    # … and when it would apply: Japan is eligible when the amendment is made, then the reference
    # data changes, and the amendment can no longer be signed into force.
    amendment = w.make(
        State.APPROVED,
        kind=AgreementKind.AMENDMENT,
        parent=loan,
        partners=("AUS", "JPN"),
        amendment_type=AmendmentType.NEW_PARTICIPANT,
        authority="",
    )
    Partner.objects.filter(code="JPN").update(is_mnna=False)
    text = service_refusal(lambda: w.sign_all(amendment))
    assert s65_sentence("Japan", loan.reference) in text
    loan.refresh_from_db()
    assert not loan.participants.filter(partner__code="JPN").exists()


not_applicable("section_65_partner", "sweep", "No sweep adds a partner.")


# pa_partners_in_master ----------------------------------------------------------------------------
@setup("pa_partners_in_master")
def _(w):
    master = w.make(State.IN_FORCE, partners=("GBR",))
    return {"master": master, "sentence": f"France is not a participant in the master agreement {master.reference}."}


@door("pa_partners_in_master", "service")
def _(w, ctx):
    text = service_refusal(
        lambda: agreement_services.agreement_create(
            user=w.po,
            kind=AgreementKind.PROJECT_ARRANGEMENT,
            title="PA",
            parent=ctx["master"],
            partners=[w.partner("FRA")],
            authority=LegalAuthority.USC_2350A,
        )
    )
    assert ctx["sentence"] in text


@door("pa_partners_in_master", "form")
def _(w, ctx):
    data = create_form_data(
        w, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=ctx["master"].pk, partners=[w.partner("FRA").pk]
    )
    w.refused_form(w.po, reverse("agreement_create"), data, ctx["sentence"], status=400)


@door("pa_partners_in_master", "api")
def _(w, ctx):
    payload = create_api_payload(kind=AgreementKind.PROJECT_ARRANGEMENT, parent=ctx["master"].pk, partners=["FRA"])
    w.refused_api(w.po, "post", "/api/v1/agreements/", payload, ctx["sentence"], status=400)
    # Adding France to a PA that exists is refused the same way.
    pa = w.make(State.PROPOSAL, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=ctx["master"], partners=("GBR",))
    w.refused_api(
        w.po, "post", "/api/v1/participants/", {"agreement": pa.pk, "partner": "FRA"}, ctx["sentence"], status=400
    )
    w.refused_form(
        w.po,
        reverse("agreement_participants", args=[pa.reference]),
        {"action": "add_participant", "partner": w.partner("FRA").pk},
        ctx["sentence"],
        status=400,
    )


admin_read_only_row("pa_partners_in_master", "participant")


@door("pa_partners_in_master", "amendment")
def _(w, ctx):
    pa = w.make(State.IN_FORCE, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=ctx["master"], partners=("GBR",))
    text = service_refusal(lambda: w.new_amendment(pa, AmendmentType.NEW_PARTICIPANT, partners=("FRA",)))
    assert ctx["sentence"] in text


not_applicable("pa_partners_in_master", "sweep", "No sweep adds a partner.")


# lead_partner_among_partners ----------------------------------------------------------------------
SENTENCE_LEAD = "France is not among the agreement's partners."


@setup("lead_partner_among_partners")
def _(w):
    return {}


@door("lead_partner_among_partners", "service")
def _(w, ctx):
    text = service_refusal(
        lambda: agreement_services.agreement_create(
            user=w.po,
            kind=AgreementKind.MASTER,
            title="MOU",
            partners=[w.partner("GBR")],
            lead_partner=w.partner("FRA"),
            authority=LegalAuthority.USC_2350A,
        )
    )
    assert SENTENCE_LEAD in text


@door("lead_partner_among_partners", "form")
def _(w, ctx):
    data = create_form_data(w, partners=[w.partner("GBR").pk], lead_partner=w.partner("FRA").pk)
    w.refused_form(w.po, reverse("agreement_create"), data, SENTENCE_LEAD, status=400)


@door("lead_partner_among_partners", "api")
def _(w, ctx):
    payload = create_api_payload(partners=["GBR"], lead_partner="FRA")
    w.refused_api(w.po, "post", "/api/v1/agreements/", payload, SENTENCE_LEAD, status=400)
    assert not Agreement.objects.exists()


admin_read_only_row("lead_partner_among_partners", "agreement")
not_applicable("lead_partner_among_partners", "amendment", "An amendment is created by the same service and form.")
not_applicable("lead_partner_among_partners", "sweep", "No sweep chooses partners.")


# parent_candidate ---------------------------------------------------------------------------------
@setup("parent_candidate")
def _(w):
    withdrawn = w.make(State.WITHDRAWN)
    sentence = f"{withdrawn.reference} is withdrawn: only an agreement that is signed or in force can be amended."
    return {"withdrawn": withdrawn, "sentence": sentence}


@door("parent_candidate", "service")
def _(w, ctx):
    text = service_refusal(lambda: w.new_amendment(ctx["withdrawn"], AmendmentType.SCOPE))
    assert ctx["sentence"] in text


@door("parent_candidate", "form")
def _(w, ctx):
    data = create_form_data(
        w,
        kind=AgreementKind.AMENDMENT,
        parent=ctx["withdrawn"].pk,
        partners=[w.partner("GBR").pk],
        amendment_type=AmendmentType.SCOPE,
    )
    w.refused_form(w.po, reverse("agreement_create"), data, ctx["sentence"], status=400)
    # The form offers only the candidates.
    page = page_text(w.browser(w.po).get(reverse("agreement_create")))
    assert ctx["withdrawn"].reference not in page


@door("parent_candidate", "api")
def _(w, ctx):
    payload = create_api_payload(
        kind=AgreementKind.AMENDMENT, parent=ctx["withdrawn"].pk, partners=["GBR"], amendment_type="scope"
    )
    w.refused_api(w.po, "post", "/api/v1/agreements/", payload, ctx["sentence"], status=400)
    # The API lists the candidates as the form offers them.
    in_force = w.make(State.IN_FORCE)
    listed = w.api(w.po).get("/api/v1/agreements/", {"parent_candidate_for": "amendment"}).json()
    references = {row["reference"] for row in listed["results"]}
    assert in_force.reference in references and ctx["withdrawn"].reference not in references


admin_read_only_row("parent_candidate", "agreement")


@door("parent_candidate", "amendment")
def _(w, ctx):
    parent = w.make(State.IN_FORCE)
    amendment = w.make(
        State.APPROVED, kind=AgreementKind.AMENDMENT, parent=parent, amendment_type=AmendmentType.SCOPE, partners=()
    )
    demo.drive_to(parent, State.TERMINATED, w.cast)
    text = service_refusal(lambda: w.sign_all(amendment))
    assert f"{parent.reference} is terminated: only an agreement that is signed or in force can be amended." in text


not_applicable("parent_candidate", "sweep", "A sweep never chooses a parent (a lapsed parent: see the amendment row).")


# pa_within_master_term ----------------------------------------------------------------------------
@setup("pa_within_master_term")
def _(w):
    master = w.make(State.IN_FORCE, partners=("GBR",))
    sentence = (
        f"A project arrangement cannot outlive its master {master.reference}, which expires on "
        f"{master.expiration_date:%Y-%m-%d}."
    )
    return {"master": master, "sentence": sentence, "late": master.expiration_date + dt.timedelta(days=365)}


@door("pa_within_master_term", "service")
def _(w, ctx):
    text = service_refusal(
        lambda: agreement_services.agreement_create(
            user=w.po,
            kind=AgreementKind.PROJECT_ARRANGEMENT,
            title="PA",
            parent=ctx["master"],
            partners=[w.partner("GBR")],
            authority=LegalAuthority.USC_2350A,
            effective_date=w.today,
            expiration_date=ctx["late"],
        )
    )
    assert ctx["sentence"] in text


@door("pa_within_master_term", "form")
def _(w, ctx):
    data = create_form_data(
        w,
        kind=AgreementKind.PROJECT_ARRANGEMENT,
        parent=ctx["master"].pk,
        partners=[w.partner("GBR").pk],
        effective_date=w.today.isoformat(),
        expiration_date=ctx["late"].isoformat(),
    )
    w.refused_form(w.po, reverse("agreement_create"), data, ctx["sentence"], status=400)


@door("pa_within_master_term", "api")
def _(w, ctx):
    payload = create_api_payload(
        kind=AgreementKind.PROJECT_ARRANGEMENT,
        parent=ctx["master"].pk,
        partners=["GBR"],
        effective_date=w.today.isoformat(),
        expiration_date=ctx["late"].isoformat(),
    )
    w.refused_api(w.po, "post", "/api/v1/agreements/", payload, ctx["sentence"], status=400)
    pa = w.make(State.PROPOSAL, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=ctx["master"], partners=("GBR",))
    w.refused_api(
        w.po, "patch", f"/api/v1/agreements/{pa.pk}/", {"expiration_date": ctx["late"].isoformat()}, ctx["sentence"]
    )


admin_read_only_row("pa_within_master_term", "agreement")


@door("pa_within_master_term", "amendment")
def _(w, ctx):
    pa = w.make(State.IN_FORCE, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=ctx["master"], partners=("GBR",))
    text = service_refusal(
        lambda: w.new_amendment(pa, AmendmentType.EXTENSION, new_expiration_date=ctx["late"], partners=("GBR",))
    )
    assert (
        f"The extension would make {pa.reference} outlive its master {ctx['master'].reference}, which expires on "
        f"{ctx['master'].expiration_date:%Y-%m-%d}." in text
    )


not_applicable("pa_within_master_term", "sweep", "No sweep changes dates.")


# dates_ordered ------------------------------------------------------------------------------------
SENTENCE_DATES = "The expiration date must come after the effective date."


@setup("dates_ordered")
def _(w):
    return {"start": w.today, "end": w.today - dt.timedelta(days=1)}


@door("dates_ordered", "service")
def _(w, ctx):
    text = service_refusal(
        lambda: agreement_services.agreement_create(
            user=w.po,
            kind=AgreementKind.MASTER,
            title="MOU",
            partners=[w.partner("GBR")],
            authority=LegalAuthority.USC_2350A,
            effective_date=ctx["start"],
            expiration_date=ctx["end"],
        )
    )
    assert SENTENCE_DATES in text


@door("dates_ordered", "form")
def _(w, ctx):
    data = create_form_data(
        w,
        partners=[w.partner("GBR").pk],
        effective_date=ctx["start"].isoformat(),
        expiration_date=ctx["end"].isoformat(),
    )
    w.refused_form(w.po, reverse("agreement_create"), data, SENTENCE_DATES, status=400)


@door("dates_ordered", "api")
def _(w, ctx):
    payload = create_api_payload(
        partners=["GBR"], effective_date=ctx["start"].isoformat(), expiration_date=ctx["end"].isoformat()
    )
    w.refused_api(w.po, "post", "/api/v1/agreements/", payload, SENTENCE_DATES, status=400)


admin_read_only_row("dates_ordered", "agreement")


@door("dates_ordered", "amendment")
def _(w, ctx):
    parent = w.make(State.IN_FORCE)
    too_early = parent.effective_date - dt.timedelta(days=1)
    text = service_refusal(lambda: w.new_amendment(parent, AmendmentType.EXTENSION, new_expiration_date=too_early))
    assert (
        f"The extension would end {parent.reference} on {too_early:%Y-%m-%d}, before it takes effect "
        f"({parent.effective_date:%Y-%m-%d})." in text
    )


not_applicable("dates_ordered", "sweep", "No sweep changes dates.")


# extension_keeps_pas ------------------------------------------------------------------------------
@setup("extension_keeps_pas")
def _(w):
    master = w.make(State.IN_FORCE, partners=("GBR",))
    pa = w.make(State.IN_FORCE, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master, partners=("GBR",))
    short = pa.expiration_date - dt.timedelta(days=365)
    sentence = (
        f"{master.reference} cannot end on {short:%Y-%m-%d}: its project arrangement {pa.reference} in force "
        f"expires on {pa.expiration_date:%Y-%m-%d}."
    )
    return {"master": master, "pa": pa, "short": short, "sentence": sentence}


@door("extension_keeps_pas", "service")
def _(w, ctx):
    text = service_refusal(
        lambda: w.new_amendment(ctx["master"], AmendmentType.EXTENSION, new_expiration_date=ctx["short"])
    )
    assert ctx["sentence"] in text
    # Lengthening is fine.
    longer = ctx["master"].expiration_date + dt.timedelta(days=365)
    assert w.new_amendment(ctx["master"], AmendmentType.EXTENSION, new_expiration_date=longer).pk


@door("extension_keeps_pas", "form")
def _(w, ctx):
    data = create_form_data(
        w,
        kind=AgreementKind.AMENDMENT,
        parent=ctx["master"].pk,
        partners=[w.partner("GBR").pk],
        amendment_type=AmendmentType.EXTENSION,
        new_expiration_date=ctx["short"].isoformat(),
    )
    w.refused_form(w.po, reverse("agreement_create"), data, ctx["sentence"], status=400)


@door("extension_keeps_pas", "api")
def _(w, ctx):
    payload = create_api_payload(
        kind=AgreementKind.AMENDMENT,
        parent=ctx["master"].pk,
        partners=["GBR"],
        amendment_type=AmendmentType.EXTENSION,
        new_expiration_date=ctx["short"].isoformat(),
    )
    w.refused_api(w.po, "post", "/api/v1/agreements/", payload, ctx["sentence"], status=400)


admin_read_only_row("extension_keeps_pas", "agreement")


def _extension_made_before_a_pa_entered_force(w, ctx, state: str, **fields):
    """An extension that was fine when made: a second PA, still signing then, outlives it once in force."""
    master = ctx["master"]
    pa2 = w.make(State.SIGNING, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master, partners=("GBR",))
    short = pa2.expiration_date - dt.timedelta(days=30)
    # The PAs already in force end before the extension's date (test setup, not a user's door).
    Agreement.objects.filter(parent=master, state=State.IN_FORCE).update(expiration_date=short - dt.timedelta(days=1))
    amendment = w.make(
        state,
        kind=AgreementKind.AMENDMENT,
        parent=master,
        partners=(),
        amendment_type=AmendmentType.EXTENSION,
        new_expiration_date=short,
        **fields,
    )
    w.sign_all(pa2)
    pa2.refresh_from_db()
    assert pa2.state == State.IN_FORCE
    sentence = (
        f"{master.reference} cannot end on {short:%Y-%m-%d}: its project arrangement {pa2.reference} in force "
        f"expires on {pa2.expiration_date:%Y-%m-%d}."
    )
    return amendment, sentence


@door("extension_keeps_pas", "amendment")
def _(w, ctx):
    amendment, sentence = _extension_made_before_a_pa_entered_force(w, ctx, State.APPROVED)
    text = service_refusal(lambda: w.sign_all(amendment))
    assert sentence in text
    ctx["master"].refresh_from_db()
    assert ctx["master"].expiration_date != amendment.new_expiration_date


@door("extension_keeps_pas", "sweep")
def _(w, ctx):
    fixed = w.today + dt.timedelta(days=20)
    amendment, sentence = _extension_made_before_a_pa_entered_force(
        w, ctx, State.SIGNED, fixed_entry_into_force_date=fixed
    )
    with mock.patch("django.utils.timezone.localdate", return_value=fixed):
        assert workflow_services.entry_into_force_sweep() == 0
        reasons = {o.name: o.reasons for o in workflow_services.available_transitions(amendment, None)}
    amendment.refresh_from_db()
    assert amendment.state == State.SIGNED
    assert sentence in reasons["enter_into_force"]


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
not_applicable(
    "amendment_result_valid",
    "amendment",
    "Application itself is tried in the section_65_partner, parent_candidate and extension_keeps_pas rows.",
)
not_applicable("amendment_result_valid", "sweep", "The sweep that applies an amendment: extension_keeps_pas row.")


# pa_master_in_force -------------------------------------------------------------------------------
@setup("pa_master_in_force")
def _(w):
    master = w.make(State.IN_FORCE, partners=("GBR",))
    pa = w.make(State.APPROVED, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master, partners=("GBR",))
    demo.drive_to(master, State.TERMINATED, w.cast)
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
    demo.drive_to(master, State.TERMINATED, w.cast)
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
    url = reverse("agreement_participants", args=[ctx["agreement"].reference])
    data = {"action": "remove_participant", "target": ctx["participant"].pk, "confirmed": "yes"}
    w.refused_form(w.po, url, data, ctx["sentence"], status=400)


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


# the lifecycle rules of domain.md -----------------------------------------------------------------
def lifecycle_rule(rule, state, name, user_attr, sentence, *, data=None, prepare=None, status=400, fields=None):
    """A transition refused for the same reason by the service, the browser and the API."""

    @setup(rule)
    def _(w):
        agreement = w.make(state, **(fields or {}))
        if prepare:
            prepare(w, agreement)
            agreement.refresh_from_db()
        return {"agreement": agreement, "user": getattr(w, user_attr)}

    @door(rule, "service")
    def _(w, ctx):
        text = service_refusal(
            lambda: workflow_services.agreement_transition(
                agreement=ctx["agreement"], name=name, user=ctx["user"], **(data or {})
            )
        )
        assert sentence(ctx["agreement"]) in text

    @door(rule, "form")
    def _(w, ctx):
        w.refused_form(
            ctx["user"],
            w.transition_url(ctx["agreement"], name),
            {"state": state, **(data or {})},
            sentence(ctx["agreement"]),
            status=status,
        )

    @door(rule, "api")
    def _(w, ctx):
        w.refused_api(
            ctx["user"],
            "post",
            w.api_transition(ctx["agreement"]),
            {"name": name, **(data or {})},
            sentence(ctx["agreement"]),
            status=status,
        )
        ctx["agreement"].refresh_from_db()
        assert ctx["agreement"].state == state

    admin_read_only_row(rule, "agreement")
    not_applicable(rule, "amendment", "An amendment runs the same transitions through the same service.")


lifecycle_rule(
    "transition_role",
    State.RAD_REVIEW,
    "authorize_negotiation",
    "po",
    lambda a: "Only an OUSD(A&S) reviewer may do this.",
    status=403,
)
not_applicable("transition_role", "sweep", "Sweeps act as the portal, which only system transitions allow.")

lifecycle_rule(
    "comment_required",
    State.RAD_REVIEW,
    "return_for_revision",
    "reviewer",
    lambda a: "A comment is required to return for revision.",
)
not_applicable("comment_required", "sweep", "Sweeps take no comment-requiring transition.")

lifecycle_rule("rad_package_complete", State.SSOI_DRAFTING, "submit_rad", "po", lambda a: "No draft text is attached.")
not_applicable("rad_package_complete", "sweep", "No sweep submits.")


def _negotiated(w, agreement):
    factories.DocumentFactory(agreement=agreement, user=w.po, kind=DocumentKind.NEGOTIATED_TEXT)
    agreement_services.ssoi_update(agreement=agreement, user=w.po, duration="Ten years")
    if agreement_services.ddl_request_denial(agreement, w.po) is None:
        agreement_services.ddl_review_request(agreement=agreement, user=w.po)  # asked for, not decided


lifecycle_rule(
    "rfa_needs_ddl", State.NEGOTIATION, "submit_rfa", "po", lambda a: "The DDL is not approved.", prepare=_negotiated
)
not_applicable("rfa_needs_ddl", "sweep", "No sweep submits.")


def _negotiated_not_reviewed(w, agreement):
    """Everything the RFA needs except an SSOI reviewed since negotiation began."""
    factories.DocumentFactory(agreement=agreement, user=w.po, kind=DocumentKind.NEGOTIATED_TEXT)
    demo.approve_ddl(agreement)
    before = agreement.state_changed_at - dt.timedelta(hours=1)
    SSOI.objects.filter(agreement=agreement).update(updated_at=before, reviewed_at=None)


lifecycle_rule(
    "ssoi_reviewed_for_rfa",
    State.NEGOTIATION,
    "submit_rfa",
    "po",
    lambda a: "The SSOI has not been reviewed since negotiation began",
    prepare=_negotiated_not_reviewed,
)
not_applicable("ssoi_reviewed_for_rfa", "sweep", "No sweep submits.")

lifecycle_rule(
    "coordination_complete",
    State.RAD_REVIEW,
    "authorize_negotiation",
    "reviewer",
    lambda a: "has not concurred and its silence deadline is",
)


@door("coordination_complete", "sweep")
def _(w, ctx):
    assert workflow_services.silence_sweep() == 0  # nobody is past the deadline: nothing is deemed


def _noticed_today(w, agreement):
    workflow_services.congressional_notice_record(agreement=agreement, user=w.reviewer, notice_date=w.today)


lifecycle_rule(
    "congressional_wait",
    State.CONGRESSIONAL_WAIT,
    "end_congressional_wait",
    "reviewer",
    lambda a: f"The congressional waiting period runs until {a.congressional_wait_ends_on:%Y-%m-%d}.",
    prepare=_noticed_today,
    fields={"authority": LegalAuthority.AECA_27},
)


@door("congressional_wait", "sweep")
def _(w, ctx):
    assert workflow_services.congressional_wait_sweep() == 0
    ctx["agreement"].refresh_from_db()
    assert ctx["agreement"].state == State.CONGRESSIONAL_WAIT


# master_lapse_flags_pas ---------------------------------------------------------------------------
@setup("master_lapse_flags_pas")
def _(w):
    master = w.make(State.IN_FORCE, partners=("GBR",))
    pa = w.make(State.NEGOTIATION, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master)
    return {"master": master, "pa": pa}


@door("master_lapse_flags_pas", "sweep")
def _(w, ctx):
    with mock.patch("django.utils.timezone.localdate", return_value=ctx["master"].expiration_date):
        assert workflow_services.expiry_sweep() == 1
    pa = ctx["pa"]
    pa.refresh_from_db()
    assert pa.master_lapsed_at is not None
    assert pa.history.first().master_lapsed_at == pa.master_lapsed_at  # field history kept
    assert pa.transition_logs.filter(transition="master_lapsed").exists()


@door("master_lapse_flags_pas", "service")
def _(w, ctx):
    master = w.make(State.IN_FORCE, partners=("GBR",))
    pa = w.make(State.PROPOSAL, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master)
    demo.drive_to(master, State.TERMINATED, w.cast)
    pa.refresh_from_db()
    assert pa.master_lapsed_at is not None
    assert pa.transition_logs.filter(transition="master_lapsed").exists()


for _door, _reason in (
    ("form", "The browser's terminate goes through the same service (service row)."),
    ("api", "The API's terminate goes through the same service (service row)."),
    ("amendment", "An amendment never ends a master."),
):
    not_applicable("master_lapse_flags_pas", _door, _reason)
admin_read_only_row("master_lapse_flags_pas", "agreement")


# liaison_scope ------------------------------------------------------------------------------------
@setup("liaison_scope")
def _(w):
    foreign = w.make(State.NEGOTIATION, partners=("FRA",), releasable_to_partners=True)
    own_internal = w.make(State.NEGOTIATION, partners=("GBR",))
    liaison = type(w.po).objects.get(username="liaison")  # United Kingdom
    return {"foreign": foreign, "internal": own_internal, "liaison": liaison}


@door("liaison_scope", "service")
def _(w, ctx):
    from agreements.selectors import agreements_visible_to

    visible = agreements_visible_to(ctx["liaison"])
    assert not visible.filter(pk__in=[ctx["foreign"].pk, ctx["internal"].pk]).exists()
    text = service_refusal(
        lambda: agreement_services.agreement_update(agreement=ctx["foreign"], user=ctx["liaison"], title="X")
    )
    assert "Only the program office" in text


@door("liaison_scope", "form")
def _(w, ctx):
    client = w.browser(ctx["liaison"])
    for agreement in (ctx["foreign"], ctx["internal"]):
        assert client.get(reverse("agreement_detail", args=[agreement.reference])).status_code == 404
        assert client.post(w.transition_url(agreement, "submit_rfa"), {}).status_code == 404


@door("liaison_scope", "api")
def _(w, ctx):
    client = w.api(ctx["liaison"])
    for agreement in (ctx["foreign"], ctx["internal"]):
        assert client.get(f"/api/v1/agreements/{agreement.pk}/").status_code == 404
        response = client.post(w.api_transition(agreement), {"name": "submit_rfa"}, format="json")
        assert response.status_code == 404


@door("liaison_scope", "admin")
def _(w, ctx):
    client = w.browser(ctx["liaison"])
    response = client.get(reverse("admin:agreements_agreement_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


not_applicable("liaison_scope", "amendment", "Amendments are agreements: the same selector decides.")
not_applicable("liaison_scope", "sweep", "Sweeps show nothing to anyone.")


# ddl_decided_by_disclosure_office ------------------------------------------------------------------
@setup("ddl_decided_by_disclosure_office")
def _(w):
    agreement = w.make(State.NEGOTIATION, partners=("GBR",))
    return {
        "agreement": agreement,
        "sentence": "Only a disclosure office (a coordinating office flagged as one, such as DTSA) may decide the DDL.",
        "decision": {"status": DdlStatus.APPROVED, "decision_date": w.today.isoformat()},
    }


def _ddl_undecided(agreement) -> None:
    assert agreement_services.ddl_for(agreement).status != DdlStatus.APPROVED


@door("ddl_decided_by_disclosure_office", "service")
def _(w, ctx):
    for user in (w.po, w.reviewer):
        text = service_refusal(
            lambda user=user: agreement_services.ddl_decide(
                agreement=ctx["agreement"],
                user=user,
                status=DdlStatus.APPROVED,
                decision_date=w.today,
                content=b"letter",
                filename="ddl.pdf",
            )
        )
        assert ctx["sentence"] in text
    _ddl_undecided(ctx["agreement"])


@door("ddl_decided_by_disclosure_office", "form")
def _(w, ctx):
    url = reverse("agreement_documents", args=[ctx["agreement"].reference])
    w.refused_form(w.po, url, {"action": "ddl_decide", **ctx["decision"]}, ctx["sentence"], status=403)
    _ddl_undecided(ctx["agreement"])


@door("ddl_decided_by_disclosure_office", "api")
def _(w, ctx):
    url = f"/api/v1/agreements/{ctx['agreement'].pk}/ddl/decision/"
    w.refused_api(w.po, "post", url, ctx["decision"], ctx["sentence"], status=403)
    _ddl_undecided(ctx["agreement"])


@door("ddl_decided_by_disclosure_office", "admin")
def _(w, ctx):
    from agreements.models import DdlDecision

    demo.approve_ddl(ctx["agreement"])
    w.admin_refuses(DdlDecision, ctx["agreement"].ddl)


not_applicable(
    "ddl_decided_by_disclosure_office", "amendment", "An amendment has its own DDL record; applying one decides none."
)
not_applicable("ddl_decided_by_disclosure_office", "sweep", "No sweep decides a DDL.")


# release_needs_ddl ---------------------------------------------------------------------------------
@setup("release_needs_ddl")
def _(w):
    agreement = w.make(State.NEGOTIATION, partners=("GBR",), releasable_to_partners=True)
    document = agreement_services.document_upload(
        agreement=agreement, user=w.po, kind=DocumentKind.OTHER, content=b"x", filename="x.txt"
    )
    sentence = f"The DDL of {agreement.reference} is not approved: no document may be released to partners"
    return {"agreement": agreement, "document": document, "sentence": sentence}


def _not_released(ctx) -> None:
    ctx["document"].refresh_from_db()
    assert not ctx["agreement"].documents.filter(releasable_to_partners=True).exists()


@door("release_needs_ddl", "service")
def _(w, ctx):
    text = service_refusal(
        lambda: agreement_services.document_update(document=ctx["document"], user=w.po, releasable_to_partners=True)
    )
    assert ctx["sentence"] in text
    _not_released(ctx)


@door("release_needs_ddl", "form")
def _(w, ctx):
    url = reverse("agreement_documents", args=[ctx["agreement"].reference])
    data = {"action": "update", "document": ctx["document"].pk, "marking": "CUI", "releasable_to_partners": "on"}
    w.refused_form(w.po, url, data, ctx["sentence"], status=400)
    _not_released(ctx)


@door("release_needs_ddl", "api")
def _(w, ctx):
    url = f"/api/v1/documents/{ctx['document'].pk}/"
    w.refused_api(w.po, "patch", url, {"releasable_to_partners": True}, ctx["sentence"], status=400)
    _not_released(ctx)


@door("release_needs_ddl", "admin")
def _(w, ctx):
    w.admin_refuses(type(ctx["document"]), ctx["document"])
    _not_released(ctx)


not_applicable("release_needs_ddl", "amendment", "Applying an amendment releases no document.")
not_applicable("release_needs_ddl", "sweep", "No sweep changes a document.")


# internal_pdf_never_releasable ---------------------------------------------------------------------
@setup("internal_pdf_never_releasable")
def _(w):
    agreement = w.make(State.IN_FORCE, partners=("GBR",), releasable_to_partners=True)  # DDL approved
    summary = agreement_services.document_upload(
        agreement=agreement, user=w.po, kind=DocumentKind.SUMMARY_PDF, content=b"%PDF-1.4 summary", filename="s.pdf"
    )
    return {"agreement": agreement, "document": summary, "sentence": "is never releasable to partners"}


def _summary_not_released(ctx) -> None:
    assert (
        not ctx["agreement"]
        .documents.filter(kind__in=(DocumentKind.SUMMARY_PDF, DocumentKind.SSOI_PDF), releasable_to_partners=True)
        .exists()
    )


@door("internal_pdf_never_releasable", "service")
def _(w, ctx):
    text = service_refusal(
        lambda: agreement_services.document_update(document=ctx["document"], user=w.po, releasable_to_partners=True)
    )
    assert ctx["sentence"] in text
    text = service_refusal(
        lambda: agreement_services.document_upload(
            agreement=ctx["agreement"],
            user=w.po,
            kind=DocumentKind.SSOI_PDF,
            content=b"%PDF-1.4 summary",
            filename="ssoi.pdf",
            releasable_to_partners=True,
        )
    )
    assert ctx["sentence"] in text
    _summary_not_released(ctx)


@door("internal_pdf_never_releasable", "form")
def _(w, ctx):
    url = reverse("agreement_documents", args=[ctx["agreement"].reference])
    data = {"action": "update", "document": ctx["document"].pk, "marking": "CUI", "releasable_to_partners": "on"}
    w.refused_form(w.po, url, data, ctx["sentence"], status=400)
    _summary_not_released(ctx)


@door("internal_pdf_never_releasable", "api")
def _(w, ctx):
    url = f"/api/v1/documents/{ctx['document'].pk}/"
    w.refused_api(w.po, "patch", url, {"releasable_to_partners": True}, ctx["sentence"], status=400)
    _summary_not_released(ctx)


@door("internal_pdf_never_releasable", "admin")
def _(w, ctx):
    w.admin_refuses(type(ctx["document"]), ctx["document"])
    _summary_not_released(ctx)


not_applicable("internal_pdf_never_releasable", "amendment", "Applying an amendment releases no document.")


@door("internal_pdf_never_releasable", "sweep")
def _(w, ctx):
    # The render worker (the PDF door that runs without a person) stores its PDFs unreleased.
    from workflow import pdf
    from workflow.models import RenderKind

    job = workflow_services.render_job_request(kind=RenderKind.SUMMARY, agreement=ctx["agreement"], user=w.po)
    pdf.render_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.document is not None and not job.document.releasable_to_partners
    _summary_not_released(ctx)


# --- the tests ------------------------------------------------------------------------------------
def lifecycle_admin_objects(agreement):
    from agreements.models import SSOI, Contribution

    participant = agreement.participants.first()
    contribution = Contribution.objects.filter(participant__agreement=agreement).first()
    return [
        (Agreement, agreement),
        (Participant, participant),
        (SSOI, agreement.ssoi),
        (Contribution, contribution),
        (type(agreement.documents.first()), agreement.documents.first()),
        (CoordinationRound, agreement.coordination_rounds.first()),
        (TransitionLog, agreement.transition_logs.first()),
    ]


def test_every_rule_has_a_row_for_every_door():
    assert set(CHECKS) == set(RULE_KEYS), "a rule of workflow.rulebook has no rows here"
    assert set(SETUPS) == set(RULE_KEYS)
    for key, doors in CHECKS.items():
        missing = set(DOORS) - set(doors)
        assert not missing, f"{key}: no row for the door(s) {sorted(missing)}"
        tried = [d for d, row in doors.items() if callable(row)]
        assert tried, f"{key}: no door is tried"


def test_every_rule_is_listed_in_the_architecture_note():
    text = (settings.BASE_DIR / "docs" / "architecture.md").read_text()
    for rule in RULES:
        assert f"`{rule.key}`" in text, f"docs/architecture.md does not list the rule {rule.key}"


@pytest.mark.parametrize("rule", RULE_KEYS)
def test_rule_holds_at_every_door(rule, cast, make_agreement):
    world = World(cast, make_agreement)
    ctx = SETUPS[rule](world)
    for door_name in DOORS:
        row = CHECKS[rule][door_name]
        if callable(row):
            row(world, ctx)


# --- the doors themselves: a new one fails here until it has its rows -----------------------------
# Every write service, and the rules of the register it must pass (through the one home of each).
SERVICE_DOORS = {
    "agreements.services": {
        "agreement_create": "section_65_partner pa_partners_in_master lead_partner_among_partners parent_candidate "
        "pa_within_master_term dates_ordered extension_keeps_pas",
        "agreement_update": "pen_holder_edits pa_within_master_term dates_ordered",
        "participant_add": "section_65_partner pa_partners_in_master pen_holder_edits",
        "participant_update": "pen_holder_edits",
        "participant_remove": "keeps_a_partner pen_holder_edits",
        "contribution_add": "pen_holder_edits",
        "contribution_update": "pen_holder_edits",
        "contribution_delete": "pen_holder_edits",
        "loan_item_add": "pen_holder_edits",
        "loan_item_delete": "pen_holder_edits",
        "ssoi_update": "pen_holder_edits",
        "ssoi_confirm_reviewed": "pen_holder_edits ssoi_reviewed_for_rfa",
        "document_upload": "pen_holder_edits release_needs_ddl internal_pdf_never_releasable",
        "document_update": "pen_holder_edits release_needs_ddl internal_pdf_never_releasable",
        "document_withdraw": "pen_holder_edits",
        "ddl_review_request": "pen_holder_edits",
        "ddl_decide": "ddl_decided_by_disclosure_office",
        # A saved view is a user's bookmark of list filters: it touches no agreement rule.
        "saved_view_create": "",
        "saved_view_delete": "",
    },
    "workflow.services": {
        "agreement_transition": "transition_role comment_required rad_package_complete rfa_needs_ddl "
        "coordination_complete congressional_wait pa_master_in_force signed_until_fixed_date "
        "amendment_result_valid",
        "coordination_round_open": "coordination_complete",
        "coordination_offices_set": "transition_role",
        "coordination_reminder_send": "transition_role",
        "coordination_position_record": "silence_is_final",
        "silence_sweep": "silence_is_final",
        "congressional_notice_record": "congressional_wait",
        "obligation_complete": "transition_role",
        "congressional_wait_sweep": "congressional_wait",
        "entry_into_force_sweep": "signed_until_fixed_date",
        "expiry_sweep": "master_lapse_flags_pas",
        "render_job_request": "liaison_scope",
        "audit_event": "audit_append_only",
    },
}
# Functions of those modules that read or decide but write nothing.
NOT_DOORS = {
    "agreement_edit_denial",
    "document_edit_denial",
    "available_transitions",
    "obligation_complete_denial",
    "position_silence_denial",
    "position_reminder_denial",
    "position_reminder_key",
    "participant_last_denial",
    "validate_agreement",
    "agreement_violations",
    "ddl_for",
    "ddl_request_denial",
    "ddl_decision_denial",
}


def test_every_write_service_is_a_known_door():
    import importlib
    import pkgutil

    for module_name, known in SERVICE_DOORS.items():
        package = importlib.import_module(module_name)
        # The services are a package: every module in it (a service not re-exported is found too).
        modules = [package] + [
            importlib.import_module(f"{module_name}.{info.name}") for info in pkgutil.iter_modules(package.__path__)
        ]
        public = {
            name
            for module in modules
            for name, fn in inspect.getmembers(module, inspect.isfunction)
            if fn.__module__.startswith(module_name) and not name.startswith("_")
        }
        unknown = public - set(known) - NOT_DOORS
        assert not unknown, f"new service(s) in {module_name}: add them to SERVICE_DOORS: {sorted(unknown)}"
        for name, rules in known.items():
            assert set(rules.split()) <= set(RULE_KEYS), name


# Browser routes that accept a POST, and the rows above that try them (the rest only read).
BROWSER_WRITE_ROUTES = {
    "agreement_create": "section_65_partner pa_partners_in_master lead_partner_among_partners parent_candidate",
    "agreement_detail": "pen_holder_edits",
    "agreement_ssoi": "pen_holder_edits",
    "agreement_ssoi_section": "pen_holder_edits",
    "agreement_ssoi_confirm_review": "pen_holder_edits ssoi_reviewed_for_rfa",
    "agreement_participants": "pa_partners_in_master keeps_a_partner",
    "agreement_documents": "pen_holder_edits ddl_decided_by_disclosure_office release_needs_ddl "
    "internal_pdf_never_releasable",
    "agreement_transition": "transition_role comment_required rad_package_complete pa_master_in_force",
    "position_record": "silence_is_final",
    # The import creates agreements: tests/workflow/test_imports.py tries each agreement rule through it.
    "import_upload": "section_65_partner pa_partners_in_master lead_partner_among_partners parent_candidate "
    "pa_within_master_term dates_ordered",
    "import_run": "section_65_partner pa_partners_in_master lead_partner_among_partners parent_candidate "
    "pa_within_master_term dates_ordered",
    # Reminders, saved views and calendar feeds write no agreement rule's data.
    "review_queue_remind": "",
    "saved_view_create": "",
    "saved_view_delete": "",
    "calendar_feed_create": "",
    "calendar_feed_revoke": "",
}


def _route_names(resolver: URLResolver, prefix: str = "") -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern) in ("admin/", "api/v1/", "accounts/"):
                continue
            names |= _route_names(pattern)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_browser_route_is_a_known_door():
    known_read_only = {
        "home",
        "agreement_list",
        "agreement_export",
        "document_download",
        "agreement_coordination",
        "agreement_history",
        "review_queue",
        "positions_due",
        "dashboard",
        "liaison_dashboard",
        "render_panel",
        "render_request",
        "render_status",
        "render_download",
        "render_retry",
        "register_pdf",
        "notifications",
        "search",
        "calendar",
        "calendar_feed",
        "import_batch",
        "import_progress",
        "import_template",
        "document_compare",
        "ssoi_compare",
    }
    routes = _route_names(get_resolver())
    unknown = routes - set(BROWSER_WRITE_ROUTES) - known_read_only - PARTNER_ROUTES
    assert not unknown, f"new browser route(s): add them to BROWSER_WRITE_ROUTES or the read-only set: {unknown}"


# The person's own profile and API tokens (partners.services.api_token_create / _revoke).
PARTNER_ROUTES = {"profile", "api-token-create", "api-token-revoke"}
# Signing in and keeping a session alive (security app): no lifecycle record is written.
PARTNER_ROUTES |= {"login", "certificate_sign_in", "session_keepalive", "session_status"}


# API routes (router basenames) and what writes them.
API_ROUTES = {
    "partner": "reference data (read-only)",
    "organization": "reference data (read-only)",
    "coordinating-office": "reference data (read-only)",
    "agreement": "agreement_create agreement_update agreement_transition ddl_review_request ddl_decide",
    "participant": "participant_add participant_update participant_remove",
    "contribution": "contribution_add contribution_update contribution_delete",
    "loan-item": "loan_item_add loan_item_delete",
    "document": "document_upload document_update document_withdraw",
    "coordination-round": "coordination_offices_set",
    "coordination-position": "coordination_position_record coordination_reminder_send",
    "obligation": "obligation_complete",
    "audit-log": "read-only",
    "render-job": "render_job_request",
}


def test_every_api_route_is_a_known_door():
    from icp_portal.api_urls import router

    basenames = {basename for _prefix, _viewset, basename in router.registry}
    assert basenames == set(API_ROUTES), f"API routes changed: {basenames ^ set(API_ROUTES)}"


# Models the admin may still edit, and why that is not a lifecycle door.
ADMIN_WRITABLE = {
    "partners.partner": "reference data",
    "partners.organization": "reference data",
    "partners.coordinatingoffice": "reference data",
    "partners.user": "accounts",
    "partners.apitoken": "accounts",
    "workflow.notification": "a person's own notifications",
    "auth.group": "accounts",
    "security.certificateidentity": "accounts: the certificates bound to users",
}
# Whole apps whose admin is not a lifecycle door.
ADMIN_WRITABLE_APPS = {"axes": "login lockouts kept by django-axes"}


def test_every_admin_registration_is_read_only_or_known(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    for model, model_admin in admin.site._registry.items():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if label in ADMIN_WRITABLE or model._meta.app_label in ADMIN_WRITABLE_APPS:
            continue
        assert not model_admin.has_add_permission(request), label
        assert not model_admin.has_change_permission(request), label
        assert not model_admin.has_delete_permission(request), label
        for inline in model_admin.get_inline_instances(request):
            assert not inline.has_add_permission(request, None), (label, inline)
            assert not inline.has_change_permission(request, None), (label, inline)
            assert not inline.has_delete_permission(request, None), (label, inline)


def test_every_sweep_is_a_known_door():
    sweeps = {name for name in dir(workflow_services) if name.endswith("_sweep")}
    assert sweeps == {"silence_sweep", "congressional_wait_sweep", "entry_into_force_sweep", "expiry_sweep"}
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks <= {
        "workflow.tasks.outbox_relay",
        "workflow.tasks.lifecycle_sweeps",
        "workflow.tasks.reminders_run",
        "workflow.tasks.render_jobs_requeue_stale",
        # Not lifecycle doors: they expire idempotency records and send queued e-mail.
        "workflow.tasks.idempotency_records_expire",
        "workflow.tasks.emails_send_due",
    }, f"new scheduled task(s): {tasks}"
