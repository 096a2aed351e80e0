"""The import is a door like the services: each agreement rule of workflow/rulebook.py that can
apply to a created row refuses the row with the very sentence the service gives, on the column it
concerns, whether the parent is already in the portal or is a row of the same file."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import tests.workflow.test_door_matrix as door_matrix
from agreements import services as agreement_services
from agreements.choices import AgreementKind, AmendmentType, LegalAuthority, State
from agreements.models import Agreement
from tests.workflow.test_imports import HEADER, _csv
from workflow import services as workflow_services
from workflow.imports import agreements_import
from workflow.rulebook import RULE_KEYS

pytestmark = pytest.mark.django_db

# Rules about what happens to an agreement after it is in the portal (edits, transitions, reviews,
# documents, the audit trail, who sees what): an imported row is not refused by them. The import
# checks a recorded state against the file's own dates instead (signed_until_fixed_date:
# test_imports.test_signed_awaiting_entry_into_force_needs_a_fixed_date_ahead).
NOT_FOR_A_CREATED_ROW = {
    "pen_holder_edits",
    "admin_read_only",
    "audit_append_only",
    "silence_is_final",
    "transition_role",
    "comment_required",
    "rad_package_complete",
    "rfa_needs_ddl",
    "ssoi_reviewed_for_rfa",
    "coordination_complete",
    "congressional_wait",
    "master_lapse_flags_pas",
    "signed_until_fixed_date",
    "ddl_decided_by_disclosure_office",
    "release_needs_ddl",
    "internal_pdf_never_releasable",
    "liaison_scope",
    "liaison_views_logged",
    "coordinator_own_office",
    "non_concurrence_needs_comment",
    # A file brings no documents: a terminated agreement is recorded as terminated.
    "terminate_needs_notice",
    # Who imports, not what: the door matrix's rows refuse a program office at the import's doors.
    "program_office_own_organization",
}


def _today() -> dt.date:
    return timezone.localdate()


def _days(n: int) -> str:
    return (_today() + dt.timedelta(days=n)).isoformat()


def _service_sentences(call: Callable[[], object]) -> list[str]:
    """The sentences of the service's refusal, each once (a database constraint may repeat one)."""
    with pytest.raises(ValidationError) as caught:
        call()
    return list(dict.fromkeys(caught.value.messages))


def _transition_reasons(agreement: Agreement, user, name: str) -> list[str]:
    """Why the transition ``name`` is refused to ``user`` (None: the portal itself), as its button says."""
    options = {o.name: o.reasons for o in workflow_services.available_transitions(agreement, user)}
    return options[name]


def _row_problems(reviewer, rows: list[dict], header: list[str], row_number: int) -> list[tuple[str, str]]:
    """Import ``rows`` (dry run): only row ``row_number`` is refused; its (column, sentence) pairs."""
    result = agreements_import(content=_csv(rows, header), filename="door.csv", user=reviewer)
    assert [r.number for r in result.errors] == [row_number], [
        (r.number, [str(p) for p in r.problems]) for r in result.errors
    ]
    return [(p.column, p.message) for p in result.errors[0].problems]


DOOR_HEADER = [*HEADER, "Lead partner", "Amendment type", "New expiration date", "Fixed entry into force"]


def _door_row(row: dict) -> dict:
    base = {
        "External reference": "DOOR-1",
        "Title": "Door check",
        "Lead organization code": "ARMY",
        "Legal authority": "usc_2350a",
        "State": "Proposal",
    }
    return {**base, **row}


def test_the_import_door_refuses_each_agreement_rule_with_the_services_sentence(
    reviewer, program_office, make_agreement, partner
):
    create = agreement_services.agreement_create
    po = program_office
    usc = LegalAuthority.USC_2350A
    master = make_agreement(State.IN_FORCE, partners=("GBR",), expiration_date=_today() + dt.timedelta(days=365))
    withdrawn = make_agreement(State.WITHDRAWN, title="Withdrawn")
    long_master = make_agreement(State.IN_FORCE, partners=("GBR",), title="Master with a PA in force")
    pa_in_force = make_agreement(
        State.IN_FORCE, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=long_master, title="PA in force"
    )
    negotiating = make_agreement(State.NEGOTIATION, partners=("GBR",), title="Master in negotiation")
    pa_kind = AgreementKind.PROJECT_ARRANGEMENT
    pa_drafting = create(
        user=po, kind=pa_kind, title="PA", parent=negotiating, partners=[partner("GBR")], authority=usc
    )
    pa_undated = create(user=po, kind=pa_kind, title="PA", parent=master, partners=[partner("GBR")], authority=usc)
    for pa in (pa_drafting, pa_undated):
        workflow_services.agreement_transition(agreement=pa, name="start_ssoi", user=po)
    no_authority = create(user=po, kind=AgreementKind.MASTER, title="MOU", partners=[partner("GBR")])
    expires = master.expiration_date
    pa_row = {"Kind": "project_arrangement", "Partner codes": "GBR", "Parent reference": master.reference}
    amendment_row = {"Kind": "amendment", "Partner codes": "", "Legal authority": ""}
    # rule: (the service's sentences, the file row, the column the import names)
    cases: dict[str, list[tuple[list[str], dict, str]]] = {
        "section_65_partner": [
            (
                _service_sentences(
                    lambda: create(user=po, kind=AgreementKind.SECTION_65_LOAN, title="L", partners=[partner("IND")])
                ),
                {"Kind": "Section 65 loan", "Partner codes": "IND", "Legal authority": ""},
                "Partner codes",
            )
        ],
        "pa_partners_in_master": [
            (
                _service_sentences(
                    lambda: create(
                        user=po,
                        kind=AgreementKind.PROJECT_ARRANGEMENT,
                        title="PA",
                        parent=master,
                        partners=[partner("FRA")],
                        authority=usc,
                    )
                ),
                {**pa_row, "Partner codes": "FRA"},
                "Partner codes",
            )
        ],
        "lead_partner_among_partners": [
            (
                _service_sentences(
                    lambda: create(
                        user=po,
                        kind=AgreementKind.MASTER,
                        title="MOU",
                        partners=[partner("GBR")],
                        lead_partner=partner("FRA"),
                        authority=usc,
                    )
                ),
                {"Kind": "master", "Partner codes": "GBR", "Lead partner": "FRA"},
                "Lead partner",
            )
        ],
        "keeps_a_partner": [
            (
                _service_sentences(
                    lambda: create(user=po, kind=AgreementKind.MASTER, title="MOU", partners=[], authority=usc)
                ),
                {"Kind": "master", "Partner codes": ""},
                "Partner codes",
            )
        ],
        "parent_candidate": [
            (
                _service_sentences(
                    lambda: create(
                        user=po,
                        kind=AgreementKind.AMENDMENT,
                        title="Amendment",
                        parent=withdrawn,
                        partners=[],
                        amendment_type=AmendmentType.SCOPE,
                    )
                ),
                {**amendment_row, "Parent reference": withdrawn.reference, "Amendment type": "scope"},
                "Parent reference",
            ),
            (
                _service_sentences(
                    lambda: create(
                        user=po,
                        kind=AgreementKind.PROJECT_ARRANGEMENT,
                        title="PA",
                        parent=pa_in_force,
                        partners=[partner("GBR")],
                        authority=usc,
                    )
                ),
                {**pa_row, "Parent reference": pa_in_force.reference},
                "Parent reference",
            ),
        ],
        "pa_within_master_term": [
            (
                _service_sentences(
                    lambda: create(
                        user=po,
                        kind=AgreementKind.PROJECT_ARRANGEMENT,
                        title="PA",
                        parent=master,
                        partners=[partner("GBR")],
                        authority=usc,
                        expiration_date=_today() + dt.timedelta(days=900),
                    )
                ),
                {**pa_row, "Expiration date": _days(900)},
                "Expiration date",
            ),
            (
                _service_sentences(
                    lambda: create(
                        user=po,
                        kind=AgreementKind.PROJECT_ARRANGEMENT,
                        title="PA",
                        parent=master,
                        partners=[partner("GBR")],
                        authority=usc,
                        effective_date=master.effective_date - dt.timedelta(days=1),
                    )
                ),
                {**pa_row, "Effective date": (master.effective_date - dt.timedelta(days=1)).isoformat()},
                "Effective date",
            ),
        ],
        "dates_ordered": [
            (
                _service_sentences(
                    lambda: create(
                        user=po,
                        kind=AgreementKind.MASTER,
                        title="MOU",
                        partners=[partner("GBR")],
                        authority=usc,
                        effective_date=_today(),
                        expiration_date=_today() - dt.timedelta(days=1),
                    )
                ),
                {"Kind": "master", "Partner codes": "GBR", "Effective date": _days(0), "Expiration date": _days(-1)},
                "Expiration date",
            ),
            (
                _service_sentences(
                    lambda: create(
                        user=po,
                        kind=AgreementKind.MASTER,
                        title="MOU",
                        partners=[partner("GBR")],
                        authority=usc,
                        expiration_date=_today() + dt.timedelta(days=10),
                        fixed_entry_into_force_date=_today() + dt.timedelta(days=20),
                    )
                ),
                {
                    "Kind": "master",
                    "Partner codes": "GBR",
                    "Expiration date": _days(10),
                    "Fixed entry into force": _days(20),
                },
                "Fixed entry into force",
            ),
        ],
        "extension_keeps_pas": [
            (
                _service_sentences(
                    lambda: create(
                        user=po,
                        kind=AgreementKind.AMENDMENT,
                        title="Extension",
                        parent=long_master,
                        partners=[],
                        amendment_type=AmendmentType.EXTENSION,
                        new_expiration_date=_today() + dt.timedelta(days=200),
                    )
                ),
                {
                    **amendment_row,
                    "Parent reference": long_master.reference,
                    "Amendment type": "extension",
                    "New expiration date": _days(200),
                },
                "New expiration date",
            )
        ],
        "amendment_result_valid": [
            (
                _service_sentences(
                    lambda: create(
                        user=po,
                        kind=AgreementKind.AMENDMENT,
                        title="New participant",
                        parent=master,
                        partners=[partner("GBR")],
                        amendment_type=AmendmentType.NEW_PARTICIPANT,
                    )
                ),
                {
                    **amendment_row,
                    "Partner codes": "GBR",
                    "Parent reference": master.reference,
                    "Amendment type": "new_participant",
                },
                "Partner codes",
            )
        ],
        # The conditions of the steps a row's recorded state has taken: start_ssoi, expire, submit_rad.
        "start_ssoi_ready": [
            (
                _transition_reasons(no_authority, po, "start_ssoi"),
                {"Kind": "master", "Partner codes": "GBR", "State": "SSOI drafting", "Legal authority": ""},
                "Legal authority",
            )
        ],
        "expiry_on_date": [
            (
                _transition_reasons(master, None, "expire"),
                {
                    "Kind": "master",
                    "Partner codes": "GBR",
                    "State": "Expired",
                    "Effective date": master.effective_date.isoformat(),
                    "Entry into force": master.entry_into_force_date.isoformat(),
                    "Expiration date": expires.isoformat(),
                },
                "Expiration date",
            )
        ],
        "pa_master_in_force": [
            (
                [f"The master agreement {negotiating.reference} is not in force."],
                {**pa_row, "Parent reference": negotiating.reference, "State": "Negotiation"},
                "State",
            ),
            (
                [
                    "Set the expiration date: it must fall within the term of the master agreement "
                    f"{master.reference}, which expires on {master.expiration_date:%Y-%m-%d}."
                ],
                {**pa_row, "State": "Negotiation"},
                "Expiration date",
            ),
        ],
    }
    assert _transition_reasons(pa_drafting, po, "submit_rad").count(cases["pa_master_in_force"][0][0][0]) == 1
    assert _transition_reasons(pa_undated, po, "submit_rad").count(cases["pa_master_in_force"][1][0][0]) == 1
    assert set(cases) | NOT_FOR_A_CREATED_ROW | {"nato_bodies_are_nato"} == set(RULE_KEYS)
    assert set(cases) | {"nato_bodies_are_nato"} == set(door_matrix.IMPORT_AGREEMENT_RULES.split())
    for rule, variants in cases.items():
        for sentences, row, column in variants:
            problems = _row_problems(reviewer, [_door_row(row)], DOOR_HEADER, 2)
            assert problems == [(column, s) for s in sentences], (rule, sentences, problems)
    # nato_bodies_are_nato: a loan to a NATO agency is made through either door.
    loan = {"Kind": "Section 65 loan", "Partner codes": "NSPA", "Legal authority": ""}
    result = agreements_import(content=_csv([_door_row(loan)], DOOR_HEADER), filename="door.csv", user=reviewer)
    assert result.valid and len(result.to_create) == 1
    assert create(user=po, kind=AgreementKind.SECTION_65_LOAN, title="Loan", partners=[partner("NSPA")]).pk
    assert not Agreement.objects.filter(external_reference="DOOR-1").exists()


# --- a parent that is a row of the same file --------------------------------------------------------
class _Rollback(Exception):
    pass


def _exported(reviewer) -> tuple[list[str], list[dict]]:
    """The portal's own CSV export, as the rows of an import file."""
    client = Client()
    client.force_login(reviewer)
    export = client.get(reverse("agreement_export", args=["csv"]))
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames), list(reader)


def _refused_beside_its_parent_row(reviewer, build: Callable[[], tuple[list[str], dict, int]]) -> None:
    """``build`` stores a parent (and what hangs from it), asks the service for its refusal, and
    gives the sentences, the offending row and where it goes among the exported rows. All of it is
    rolled back; the export and the row are then imported together into an empty portal: the
    parent is a row of the file, held in memory, and the row gets the service's sentences."""
    with pytest.raises(_Rollback), transaction.atomic():
        sentences, row, position = build()
        header, rows = _exported(reviewer)
        raise _Rollback
    assert not Agreement.objects.exists()
    rows.insert(position, {key: row.get(key, "") for key in header})
    problems = _row_problems(reviewer, rows, header, position + 2)
    assert [message for _column, message in problems] == sentences, (sentences, problems)


def test_an_amendment_in_the_file_cannot_add_a_partner_a_section_65_loan_of_the_file_cannot_be_made_to(
    reviewer, program_office, make_agreement, partner
):
    def build():
        loan = make_agreement(State.IN_FORCE, kind=AgreementKind.SECTION_65_LOAN, partners=("AUS",), title="Loan")
        sentences = _service_sentences(
            lambda: agreement_services.agreement_create(
                user=program_office,
                kind=AgreementKind.AMENDMENT,
                title="India joins",
                parent=loan,
                partners=[partner("AUS"), partner("IND")],
                amendment_type=AmendmentType.NEW_PARTICIPANT,
            )
        )
        assert sentences == [
            f"India is neither a NATO member nor a major non-NATO ally (nor a NATO body or agency): "
            f"the Section 65 loan {loan.reference} cannot be made to it."
        ]
        row = {
            "External reference": "AMD-1",
            "Title": "India joins",
            "Kind": "Amendment",
            "State": "Proposal",
            "Lead organization code": "ARMY",
            "Partner codes": "AUS; IND",
            "Parent reference": loan.reference,
            "Amendment type": "New participant",
        }
        return sentences, row, 0  # before its parent's row: the import orders parents first

    _refused_beside_its_parent_row(reviewer, build)


def test_an_extension_in_the_file_cannot_end_a_master_of_the_file_before_its_pa_in_force(
    reviewer, program_office, make_agreement
):
    def build():
        master = make_agreement(State.IN_FORCE, partners=("GBR",), title="Master")
        pa = make_agreement(State.IN_FORCE, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master, title="PA")
        new_end = _today() + dt.timedelta(days=200)
        sentences = _service_sentences(
            lambda: agreement_services.agreement_create(
                user=program_office,
                kind=AgreementKind.AMENDMENT,
                title="Shorter",
                parent=master,
                partners=[],
                amendment_type=AmendmentType.EXTENSION,
                new_expiration_date=new_end,
            )
        )
        assert sentences == [
            f"{master.reference} cannot end on {new_end:%Y-%m-%d}: its project arrangement {pa.reference} "
            f"in force expires on {pa.expiration_date:%Y-%m-%d}."
        ]
        row = {
            "External reference": "EXT-1",
            "Title": "Shorter",
            "Kind": "amendment",
            "State": "Proposal",
            "Lead organization code": "ARMY",
            "Partner codes": "GBR",
            "Parent reference": master.reference,
            "Amendment type": "extension",
            "New expiration date": new_end.isoformat(),
        }
        return sentences, row, 0  # before the PA's row: amendments are checked after every PA

    _refused_beside_its_parent_row(reviewer, build)


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"expiration_date": 900}, "outlives its master"),
        ({"effective_date": -30}, "takes effect before its master"),
        ({"partners": ["FRA"]}, "a partner not in its master"),
    ],
)
def test_a_pa_in_the_file_keeps_to_its_master_of_the_file(
    reviewer, program_office, make_agreement, partner, change, rule
):
    def build():
        master = make_agreement(
            State.IN_FORCE, partners=("GBR",), title="Master", expiration_date=_today() + dt.timedelta(days=365)
        )
        fields = {
            "authority": LegalAuthority.USC_2350A,
            "partners": [partner(c) for c in change.get("partners", ["GBR"])],
        }
        row = {
            "External reference": "PA-1",
            "Title": "PA",
            "Kind": "Project arrangement",
            "State": "Proposal",
            "Lead organization code": "ARMY",
            "Partner codes": "; ".join(p.code for p in fields["partners"]),
            "Parent reference": master.reference,
            "Legal authority": "usc_2350a",
        }
        if "expiration_date" in change:
            fields["expiration_date"] = _today() + dt.timedelta(days=change["expiration_date"])
            row["Expiration date"] = fields["expiration_date"].isoformat()
        if "effective_date" in change:
            fields["effective_date"] = master.effective_date + dt.timedelta(days=change["effective_date"])
            row["Effective date"] = fields["effective_date"].isoformat()
        sentences = _service_sentences(
            lambda: agreement_services.agreement_create(
                user=program_office, kind=AgreementKind.PROJECT_ARRANGEMENT, title="PA", parent=master, **fields
            )
        )
        assert len(sentences) == 1 and master.reference in sentences[0], rule
        return sentences, row, 1

    _refused_beside_its_parent_row(reviewer, build)


def test_an_amendment_recorded_in_force_is_its_parents_present_not_a_change_still_to_check(reviewer, make_agreement):
    """The parent as stored is the result of an amendment already in force: a new-participant
    amendment whose partner now takes part is imported at its state, and refused as a proposal."""
    parent = make_agreement(State.IN_FORCE, partners=("GBR", "FRA"), title="Amended master")
    signed = _today() - dt.timedelta(days=10)
    row = {
        "External reference": "AMD-IN-FORCE",
        "Title": "France joins",
        "Kind": "amendment",
        "State": "In force",
        "Lead organization code": "ARMY",
        "Partner codes": "GBR; FRA",
        "Parent reference": parent.reference,
        "Amendment type": "new_participant",
        "Entry into force": signed.isoformat(),
        "U.S. signature date": signed.isoformat(),
        "Partner signature dates": f"GBR {signed.isoformat()}; FRA {signed.isoformat()}",
    }
    result = agreements_import(content=_csv([row], DOOR_HEADER), filename="amd.csv", user=reviewer)
    assert result.valid and len(result.to_create) == 1, [str(p) for r in result.errors for p in r.problems]
    proposal = {key: value for key, value in row.items() if "ignature" not in key and key != "Entry into force"}
    problems = _row_problems(reviewer, [{**proposal, "State": "Proposal"}], DOOR_HEADER, 2)
    assert problems == [
        (
            "Partner codes",
            f"A new-participant amendment names a partner that does not yet take part in {parent.reference}.",
        )
    ]
