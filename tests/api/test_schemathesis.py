"""Property-based run of the whole OpenAPI schema, as each role, against the WSGI app.

For every operation schemathesis generates requests from the schema (a few per operation,
derandomized so CI is repeatable), once with the path's ``{id}`` pointing at a real object of
the caller's world and once with generated ids. Every response must not be a server error and
must conform to the schema: documented status code, content type, headers and body.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from agreements.choices import AgreementKind, State
from agreements.models import Contribution, Document, LoanItem, Participant
from icp_portal.wsgi import application
from partners.models import CoordinatingOffice, Organization, Partner
from workflow.models import CoordinationPosition, CoordinationRound, ReportingObligation, TransitionLog
from workflow.services import render_job_request

from .conftest import issue_key

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_FIXED_IDS = 4
EXAMPLES_GENERATED = 2
EXAMPLES_NEGATIVE = 2
# Invalid input must be refused with a documented 4xx, never a 500.
NEGATIVE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]


@pytest.fixture
def wsgi_in_test_transaction():
    """Django's WSGI handler closes the connection at each request's end; the test's transaction
    would go with it. Detach that for the run (django.test.Client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(make_agreement, program_office, reviewer, liaison):
    """A few agreements in different states, with every kind of related object."""
    negotiation = make_agreement(State.NEGOTIATION, partners=("GBR", "FRA"), releasable_to_partners=True)
    review = make_agreement(State.RAD_REVIEW, partners=("GBR",), releasable_to_partners=True)
    in_force = make_agreement(State.IN_FORCE, partners=("GBR",), releasable_to_partners=True)
    loan = make_agreement(State.SSOI_DRAFTING, kind=AgreementKind.SECTION_65_LOAN, partners=("GBR",))
    make_agreement(State.PROPOSAL, partners=("JPN",))
    loan_item = LoanItem.objects.create(
        agreement=loan, item="Radar", quantity=1, unit_value_usd=10, return_by=dt.date(2030, 1, 1)
    )
    job = render_job_request(kind="summary", agreement=in_force, user=program_office)
    return {
        "agreement": negotiation,
        "review": review,
        "in_force": in_force,
        "loan_item": loan_item,
        "job": job,
    }


def _ids(world) -> dict[str, int]:
    """A real id per collection, seen from a DoD user (a liaison gets 404 for some: that is
    what it should get)."""
    agreement = world["agreement"]
    return {
        "/partners/": Partner.objects.get(code="GBR").pk,
        "/organizations/": Organization.objects.get(code="ARMY").pk,
        "/coordinating-offices/": CoordinatingOffice.objects.order_by("pk").first().pk,
        "/agreements/": agreement.pk,
        "/participants/": Participant.objects.filter(agreement=agreement).first().pk,
        "/contributions/": Contribution.objects.filter(participant__agreement=agreement).first().pk,
        "/loan-items/": world["loan_item"].pk,
        "/documents/": Document.objects.filter(agreement=world["in_force"], releasable_to_partners=True).first().pk,
        "/coordination-rounds/": CoordinationRound.objects.filter(agreement=world["review"]).first().pk,
        "/coordination-positions/": CoordinationPosition.objects.filter(round__agreement=world["review"])
        .order_by("office__code")
        .first()
        .pk,
        "/obligations/": ReportingObligation.objects.filter(agreement=world["in_force"]).first().pk,
        "/audit-log/": TransitionLog.objects.filter(agreement=agreement).order_by("pk").last().pk,
        "/render-jobs/": world["job"].pk,
    }


def _fixed_id(operation, ids) -> dict | None:
    if "{id}" not in operation.path:
        return None
    for prefix, pk in ids.items():
        if operation.path.startswith(prefix):
            return {"id": pk}
    return None


def _summary(exc: BaseException) -> str:
    """The failure's own lines, without the response dump."""
    text = str(exc)
    keep = [line for line in text.splitlines() if line.strip()][:40]
    return "\n".join(keep)


def _exercise(strategy, examples: int, checks, headers: dict, statuses: Counter) -> None:
    """Run ``examples`` generated cases of one operation and validate each response."""

    @given(case=strategy)
    @hypothesis_settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    def exercise(case):
        # Each request in its own savepoint, rolled back: examples do not leak into each other,
        # and a failing request cannot poison the test's transaction.
        with transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=checks, headers=headers)

    exercise()


ROLES = ["program_office", "other_program_office", "reviewer", "coordinator", "liaison"]


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_conforms_to_the_schema(role, request, world, wsgi_in_test_transaction):
    user = request.getfixturevalue(role)
    headers = {"Authorization": f"Token {issue_key(user)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_in_test_transaction)
    ids = _ids(world)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40, "the schema lost its operations"
    failures: list[str] = []
    statuses: Counter[int] = Counter()

    for operation in operations:
        fixed = _fixed_id(operation, ids)
        passes = [(GenerationMode.POSITIVE, fixed, EXAMPLES_FIXED_IDS)] if fixed else []
        passes.append((GenerationMode.POSITIVE, None, EXAMPLES_GENERATED if fixed else EXAMPLES_FIXED_IDS))
        passes.append((GenerationMode.NEGATIVE, fixed, EXAMPLES_NEGATIVE))
        for mode, path_parameters, examples in passes:
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
            checks = CHECKS if mode == GenerationMode.POSITIVE else NEGATIVE_CHECKS

            try:
                _exercise(strategy, examples, checks, headers, statuses)
            except Unsatisfiable:
                # Negative mode has nothing to break in an operation without input (GET /me/).
                assert mode == GenerationMode.NEGATIVE, f"{operation.path}: no positive case"
            except (Exception, BaseExceptionGroup) as exc:  # report every operation's failure
                failures.append(f"{operation.method.upper()} {operation.path}: {_summary(exc)}")
    assert not failures, f"{len(failures)} operation(s) failed as {role}:\n\n" + "\n\n".join(failures)
    # The run reached real objects, not only 4xx answers. A liaison reaches fewer: no audit rows,
    # no DDL record, SSOI, coordination or obligations, only its own nation's contributions.
    minimum = 30 if role == "liaison" else 40
    assert sum(n for code, n in statuses.items() if 200 <= code < 300) >= minimum, statuses
    assert sum(statuses.values()) >= 5 * len(operations), statuses
