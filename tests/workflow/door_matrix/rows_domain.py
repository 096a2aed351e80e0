"""Rows of the lifecycle rules of domain.md, liaison scope, the DDL and releases."""

from __future__ import annotations

import datetime as dt
from unittest import mock

from django.urls import reverse

from agreements import services as agreement_services
from agreements.choices import AgreementKind, DdlStatus, DocumentKind, LegalAuthority, State
from agreements.models import SSOI
from tests import factories
from workflow import services as workflow_services

from .registry import admin_read_only_row, door, not_applicable, setup
from .world import service_refusal


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
    factories.approve_ddl(agreement)
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
    factories.drive_to(master, State.TERMINATED, w.cast)
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
    url = reverse("ddl_decide", args=[ctx["agreement"].reference])
    w.refused_form(w.po, url, ctx["decision"], ctx["sentence"], status=403)
    _ddl_undecided(ctx["agreement"])


@door("ddl_decided_by_disclosure_office", "api")
def _(w, ctx):
    url = f"/api/v1/agreements/{ctx['agreement'].pk}/ddl/decision/"
    w.refused_api(w.po, "post", url, ctx["decision"], ctx["sentence"], status=403)
    _ddl_undecided(ctx["agreement"])


@door("ddl_decided_by_disclosure_office", "admin")
def _(w, ctx):
    from agreements.models import DdlDecision

    factories.approve_ddl(ctx["agreement"])
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
    url = reverse("document_update", args=[ctx["agreement"].reference, ctx["document"].pk])
    data = {"marking": "CUI", "releasable_to_partners": "on"}
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
    url = reverse("document_update", args=[ctx["agreement"].reference, ctx["document"].pk])
    data = {"marking": "CUI", "releasable_to_partners": "on"}
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
