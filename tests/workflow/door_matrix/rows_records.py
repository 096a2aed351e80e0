"""Rows of the record rules: partners, parents, terms and dates of agreements."""

from __future__ import annotations

import datetime as dt
from unittest import mock

from django.urls import reverse

from agreements import services as agreement_services
from agreements.choices import AgreementKind, AmendmentType, LegalAuthority, State
from agreements.models import Agreement
from partners.models import Partner
from tests import factories
from workflow import services as workflow_services

from .registry import admin_read_only_row, door, not_applicable, setup
from .world import create_api_payload, create_form_data, page_text, s65_sentence, service_refusal


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
        reverse("participant_add", args=[pa.reference]),
        {"partner": w.partner("FRA").pk},
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
    factories.drive_to(parent, State.TERMINATED, w.cast)
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
    # Signed, in force only from a fixed date: an extension may not end it before that date either
    # (refused when made, not only when it would apply).
    signed = w.make(State.SIGNED)
    fixed = signed.fixed_entry_into_force_date
    before_force = fixed - dt.timedelta(days=1)
    sentence = (
        f"The extension would end {signed.reference} on {before_force:%Y-%m-%d}, before it enters into force "
        f"({fixed:%Y-%m-%d})."
    )
    text = service_refusal(lambda: w.new_amendment(signed, AmendmentType.EXTENSION, new_expiration_date=before_force))
    assert sentence in text
    payload = create_api_payload(
        kind=AgreementKind.AMENDMENT,
        parent=signed.pk,
        partners=["GBR"],
        amendment_type=AmendmentType.EXTENSION,
        new_expiration_date=before_force.isoformat(),
        authority="",
    )
    w.refused_api(w.po, "post", "/api/v1/agreements/", payload, sentence, status=400)


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
