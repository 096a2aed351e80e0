"""The browser route matrix: every URL pattern of the browser URLconf × every caller × own / other
agreement, for GET and POST, with the status the portal answers today.

``GET`` and ``POST`` hold one line per route, keyed by its pattern exactly as the URLconf spells
it; the eight statuses are, in order, for the callers of ``ROLES``: the portal administrator
(adm), the OUSD(A&S) reviewer (rev), the coordinator of an office asked to coordinate (crd), the
program office that leads the agreement, Army (po), one that does not, Navy (po2), the liaison of
a partner of the agreement, GBR (lia), of another partner, FRA (li2), and an anonymous visitor
(ano). Own / other agreement is each pair: po and po2, lia and li2 ask for the same agreement,
which is one member's own.

A route the URLconf has but the tables lack fails ``test_every_browser_route_is_in_the_matrix``
with the lines to add, and so does a line whose route is gone. A line is checked by
``test_route_answers_each_caller_as_the_table_says``, whose failure prints what the portal
answers now: check every column is what that caller should get before copying it. Path
parameters are filled by ``ARGS`` (by name) or ``PATH_ARGS`` (by route); POSTs send an empty form
unless ``POST_DATA`` says otherwise: the matrix is about who gets past the door, not about what
the form does once in. Each request runs in a savepoint that is rolled back, so what one caller
does never changes what the next one meets.

The REST API has its own matrix (tests/api/test_permission_matrix.py); the Django admin under
``admin/`` lets staff only (the door matrix proves its lifecycle models read-only).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import cached_property

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from agreements import services as agreement_services
from agreements.choices import AgreementKind, ContributionKind, DdlStatus, DocumentKind, Marking, ParticipantRole, State
from agreements.models import SSOI_SECTIONS
from partners.models import CoordinatingOffice, Partner
from partners.services import api_token_create
from tests.factories import LoanItemFactory
from workflow.calendar import calendar_feed_create
from workflow.imports import import_batch_preview, import_template_xlsx
from workflow.models import CoordinationPosition, RenderKind, ReportingObligation
from workflow.pdf import render_job_run
from workflow.services import render_job_request

pytestmark = pytest.mark.django_db

# The callers, in the order of the statuses of a line: pytest fixture of each (None: anonymous).
ROLES = {
    "admin": "admin_user",
    "reviewer": "reviewer",
    "coordinator": "coordinator",
    "program_office": "program_office",  # Army: leads the agreement
    "other_program_office": "other_program_office",  # Navy
    "liaison": "liaison",  # GBR: a partner of the agreement
    "other_liaison": "other_liaison",  # FRA
    "anonymous": None,
}

# URLconf subtrees with a matrix of their own.
SEPARATE = {
    "admin/": "the Django admin: staff only, lifecycle models read-only (tests/workflow/test_door_matrix.py)",
    "api/v1/": "the REST API (tests/api/test_permission_matrix.py)",
}


class World:
    """What the routes point at, made lazily through the services: an agreement the Army program
    office leads with GBR, released to partners, in the RAD's review (its coordination round open);
    for the routes that need them (PATH_ARGS), one in force (released text, reporting obligations)
    and a Section 65 loan being drafted (its loan list); the program office's own PDF, calendar
    feed, API token and saved view, and the reviewer's import."""

    def __init__(self, request, make_agreement):
        self.request = request
        self.make = make_agreement

    def user(self, fixture: str):
        return self.request.getfixturevalue(fixture)

    @cached_property
    def agreement(self):
        return self.make(State.RAD_REVIEW, partners=("GBR",), releasable_to_partners=True)

    @cached_property
    def in_force(self):
        """In force, with a negotiated text released to partners."""
        return self.make(State.IN_FORCE, partners=("GBR",), releasable_to_partners=True)

    @cached_property
    def loan(self):
        """A Section 65 loan the Army program office leads with GBR, its SSOI being drafted (the
        program office holds the pen), with one loan item."""
        loan = self.make(
            State.SSOI_DRAFTING, kind=AgreementKind.SECTION_65_LOAN, partners=("GBR",), releasable_to_partners=True
        )
        LoanItemFactory(agreement=loan, user=self.user("program_office"))
        return loan

    @cached_property
    def released_document(self):
        return self.in_force.documents.get(kind=DocumentKind.NEGOTIATED_TEXT, releasable_to_partners=True)

    @cached_property
    def position(self):
        """The coordinator's office's position in the open round."""
        return CoordinationPosition.objects.get(round__agreement=self.agreement, office__code="OGC")

    @cached_property
    def render_job(self):
        """The agreement's summary the program office asked for, rendered."""
        job = render_job_request(kind=RenderKind.SUMMARY, user=self.user("program_office"), agreement=self.agreement)
        return render_job_run(job_id=job.pk) or job

    @cached_property
    def import_batch(self):
        """The reviewer's import file, previewed."""
        return import_batch_preview(user=self.user("reviewer"), content=import_template_xlsx(), filename="import.xlsx")

    @cached_property
    def calendar_feed(self):
        """The program office's feed, and the token of its URL."""
        return calendar_feed_create(user=self.user("program_office"))

    @cached_property
    def api_token(self):
        return api_token_create(user=self.user("program_office"), name="matrix")[0]

    @cached_property
    def saved_view(self):
        return agreement_services.saved_view_create(
            owner=self.user("program_office"), name="In review", query=QueryDict(f"state={State.RAD_REVIEW}")
        )


# How each path parameter is filled, by name...
ARGS: dict[str, Callable[[World], object]] = {
    "reference": lambda w: w.agreement.reference,
    "key": lambda w: SSOI_SECTIONS[0].key,
    "name": lambda w: "return_for_revision",  # the reviewer's in the RAD's review
    "fmt": lambda w: "csv",
    "kind": lambda w: RenderKind.SUMMARY,
    "token": lambda w: "not-a-real-token",
}
# ... unless the route says otherwise.
PATH_ARGS: dict[str, dict[str, Callable[[World], object]]] = {
    "agreements/<str:reference>/positions/<int:pk>/": {"pk": lambda w: w.position.pk},
    "pdf/jobs/<int:pk>/": {"pk": lambda w: w.render_job.pk},
    "pdf/jobs/<int:pk>/download/": {"pk": lambda w: w.render_job.pk},
    "pdf/jobs/<int:pk>/retry/": {"pk": lambda w: w.render_job.pk},
    "import/<int:pk>/": {"pk": lambda w: w.import_batch.pk},
    "import/<int:pk>/progress/": {"pk": lambda w: w.import_batch.pk},
    "import/<int:pk>/run/": {"pk": lambda w: w.import_batch.pk},
    "calendar/feed/<int:pk>/revoke/": {"pk": lambda w: w.calendar_feed[0].pk},
    "calendar/feed/<str:token>.ics": {"token": lambda w: w.calendar_feed[1]},
    "profile/tokens/<int:pk>/revoke/": {"pk": lambda w: w.api_token.pk},
    "agreements/views/<int:pk>/delete/": {"pk": lambda w: w.saved_view.pk},
    "agreements/<str:reference>/documents/<int:pk>/download/": {
        "reference": lambda w: w.in_force.reference,
        "pk": lambda w: w.released_document.pk,
    },
    "agreements/<str:reference>/coordination/positions/<int:pk>/remind/": {"pk": lambda w: w.position.pk},
    "agreements/<str:reference>/obligations/<int:pk>/complete/": {
        "reference": lambda w: w.in_force.reference,
        "pk": lambda w: ReportingObligation.objects.filter(agreement=w.in_force).first().pk,
    },
    "agreements/<str:reference>/participants/<int:pk>/update/": {"pk": lambda w: w.agreement.participants.get().pk},
    "agreements/<str:reference>/participants/<int:pk>/remove/": {"pk": lambda w: w.agreement.participants.get().pk},
    "agreements/<str:reference>/contributions/<int:pk>/delete/": {
        "pk": lambda w: w.agreement.contributions.filter(participant__isnull=False).first().pk
    },
    "agreements/<str:reference>/loan-items/add/": {"reference": lambda w: w.loan.reference},
    "agreements/<str:reference>/loan-items/<int:pk>/delete/": {
        "reference": lambda w: w.loan.reference,
        "pk": lambda w: w.loan.loan_items.first().pk,
    },
    "agreements/<str:reference>/documents/<int:pk>/update/": {"pk": lambda w: w.agreement.documents.first().pk},
    "agreements/<str:reference>/documents/<int:pk>/withdraw/": {"pk": lambda w: w.agreement.documents.first().pk},
}


# What a POST sends, when not an empty form: a valid form where the service, not the form, decides.
def today() -> str:
    return timezone.localdate().isoformat()


POST_DATA: dict[str, Callable[[World], dict]] = {
    "agreements/<str:reference>/coordination/offices/": lambda w: {
        "offices": [office.pk for office in CoordinatingOffice.objects.filter(code__in=("OGC", "POLICY"))]
    },
    "agreements/<str:reference>/coordination/notice/": lambda w: {"notice_date": today()},
    "agreements/<str:reference>/obligations/<int:pk>/complete/": lambda w: {
        f"ob{ReportingObligation.objects.filter(agreement=w.in_force).first().pk}-completed_date": today()
    },
    "agreements/<str:reference>/participants/add/": lambda w: {"partner": Partner.objects.get(code="CAN").pk},
    "agreements/<str:reference>/participants/<int:pk>/update/": lambda w: {
        f"p{w.agreement.participants.get().pk}-role": ParticipantRole.LEAD
    },
    "agreements/<str:reference>/contributions/add/": lambda w: {
        "participant": "us",
        "kind": ContributionKind.FINANCIAL,
        "description": "U.S. funds",
        "amount_usd": "10.00",
    },
    # The removals confirmed (without ``confirmed`` they show what would be removed, to anyone).
    "agreements/<str:reference>/participants/<int:pk>/remove/": lambda w: {"confirmed": "yes"},
    "agreements/<str:reference>/contributions/<int:pk>/delete/": lambda w: {"confirmed": "yes"},
    "agreements/<str:reference>/loan-items/<int:pk>/delete/": lambda w: {"confirmed": "yes"},
    "agreements/<str:reference>/loan-items/add/": lambda w: {
        "item": "Spare sensor",
        "quantity": "1",
        "unit_value_usd": "10.00",
        "return_by": (timezone.localdate() + dt.timedelta(days=365)).isoformat(),
    },
    "agreements/<str:reference>/documents/upload/": lambda w: {
        "kind": DocumentKind.DRAFT_TEXT,
        "file": SimpleUploadedFile("draft.txt", b"Draft text", content_type="text/plain"),
        "marking": Marking.CUI,
    },
    "agreements/<str:reference>/documents/<int:pk>/update/": lambda w: {"marking": Marking.CUI},
    "agreements/<str:reference>/ddl/decide/": lambda w: {
        "status": DdlStatus.DENIED,
        "decision_date": today(),
        "comment": "Not releasable.",
    },
}

# fmt: off
# The statuses of a GET, one line per route.                                 adm rev crd po  po2 lia li2 ano
GET: dict[str, str] = {
    "admin/login/":                                                         "302 302 302 302 302 302 302 302",
    "accounts/login/":                                                      "200 200 200 200 200 200 200 200",
    "accounts/certificate/":                                                "405 405 405 405 405 405 405 405",
    "session/keepalive/":                                                   "405 405 405 405 405 405 405 405",
    "session/status/":                                                      "200 200 200 200 200 200 200 401",
    "accounts/logout/":                                                     "405 405 405 405 405 405 405 405",
    "accounts/password_change/":                                            "200 200 200 200 200 200 200 302",
    "accounts/password_change/done/":                                       "200 200 200 200 200 200 200 302",
    "review/":                                                              "200 200 403 403 403 403 403 302",
    "review/remind/":                                                       "405 405 405 405 405 405 405 302",
    "positions/":                                                           "403 403 200 403 403 403 403 302",
    "agreements/<str:reference>/positions/<int:pk>/":                       "200 200 200 200 200 404 404 302",
    "dashboard/":                                                           "200 200 200 200 200 302 302 302",
    "partner/":                                                             "403 403 403 403 403 200 200 302",
    "agreements/<str:reference>/pdf/":                                      "200 200 200 200 200 200 404 302",
    "agreements/<str:reference>/pdf/<slug:kind>/":                          "405 405 405 405 405 405 405 302",
    "pdf/jobs/<int:pk>/":                                                   "200 200 200 200 200 404 404 302",
    "pdf/jobs/<int:pk>/download/":                                          "200 200 200 200 200 404 404 302",
    "pdf/jobs/<int:pk>/retry/":                                             "405 405 405 405 405 405 405 302",
    "pdf/register/":                                                        "200 200 200 200 200 200 200 302",
    "notifications/":                                                       "200 200 200 200 200 200 200 302",
    "import/":                                                              "200 200 403 403 403 403 403 302",
    "import/template.xlsx":                                                 "200 200 403 403 403 403 403 302",
    "import/<int:pk>/":                                                     "404 200 403 403 403 403 403 302",
    "import/<int:pk>/progress/":                                            "404 200 403 403 403 403 403 302",
    "import/<int:pk>/run/":                                                 "405 405 405 405 405 405 405 302",
    "calendar/":                                                            "200 200 200 200 200 200 200 302",
    "calendar/feed/new/":                                                   "405 405 405 405 405 405 405 302",
    "calendar/feed/<int:pk>/revoke/":                                       "405 405 405 405 405 405 405 302",
    "calendar/feed/<str:token>.ics":                                        "200 200 200 200 200 200 200 200",
    "profile/":                                                             "200 200 200 200 200 200 200 302",
    "profile/tokens/":                                                      "405 405 405 405 405 405 405 302",
    "profile/tokens/<int:pk>/revoke/":                                      "404 404 404 200 404 404 404 302",
    "":                                                                     "302 302 302 302 302 302 302 302",
    "search/":                                                              "200 200 200 200 200 200 200 302",
    "agreements/":                                                          "200 200 200 200 200 200 200 302",
    "agreements/export.<str:fmt>":                                          "200 200 200 200 200 200 200 302",
    "agreements/views/":                                                    "405 405 405 405 405 405 405 302",
    "agreements/views/<int:pk>/delete/":                                    "405 405 405 405 405 405 405 302",
    "agreements/new/":                                                      "403 403 403 200 200 403 403 302",
    "agreements/<str:reference>/":                                          "200 200 200 200 200 200 404 302",
    "agreements/<str:reference>/ssoi/":                                     "200 200 200 200 200 404 404 302",
    "agreements/<str:reference>/ssoi/compare/":                             "200 200 200 200 200 404 404 302",
    "agreements/<str:reference>/documents/compare/":                        "200 200 200 200 200 200 404 302",
    "agreements/<str:reference>/ssoi/confirm-review/":                      "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/ssoi/sections/<slug:key>/":                 "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/participants/":                             "200 200 200 200 200 404 404 302",
    "agreements/<str:reference>/documents/":                                "200 200 200 200 200 200 404 302",
    "agreements/<str:reference>/documents/<int:pk>/download/":              "200 200 200 200 200 200 404 302",
    "agreements/<str:reference>/coordination/":                             "200 200 200 200 200 404 404 302",
    "agreements/<str:reference>/history/":                                  "200 200 200 200 200 404 404 302",
    "agreements/<str:reference>/actions/<str:name>/":                       "200 200 200 200 200 404 404 302",
    "agreements/<str:reference>/coordination/offices/":                     "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/coordination/notice/":                      "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/coordination/positions/<int:pk>/remind/":   "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/obligations/<int:pk>/complete/":            "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/participants/add/":                         "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/participants/<int:pk>/update/":             "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/participants/<int:pk>/remove/":             "200 200 200 200 200 404 404 302",
    "agreements/<str:reference>/contributions/add/":                        "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/contributions/<int:pk>/delete/":            "200 200 200 200 200 404 404 302",
    "agreements/<str:reference>/loan-items/add/":                           "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/loan-items/<int:pk>/delete/":               "200 200 200 200 200 404 404 302",
    "agreements/<str:reference>/documents/upload/":                         "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/documents/<int:pk>/update/":                "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/documents/<int:pk>/withdraw/":              "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/ddl/request/":                              "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/ddl/decide/":                               "405 405 405 405 405 405 405 302",
}

# The statuses of a POST (an empty form unless POST_DATA says), one line per route.
#                                                                            adm rev crd po  po2 lia li2 ano
POST: dict[str, str] = {
    "admin/login/":                                                         "302 302 302 302 302 302 302 302",
    "accounts/login/":                                                      "400 400 400 400 400 400 400 400",
    "accounts/certificate/":                                                "404 404 404 404 404 404 404 404",
    "session/keepalive/":                                                   "200 200 200 200 200 200 200 401",
    "session/status/":                                                      "405 405 405 405 405 405 405 405",
    "accounts/logout/":                                                     "302 302 302 302 302 302 302 302",
    "accounts/password_change/":                                            "200 200 200 200 200 200 200 302",
    "accounts/password_change/done/":                                       "405 405 405 405 405 405 405 302",
    "review/":                                                              "405 405 405 405 405 405 405 302",
    "review/remind/":                                                       "302 302 403 403 403 403 403 302",
    "positions/":                                                           "403 403 200 403 403 403 403 302",
    "agreements/<str:reference>/positions/<int:pk>/":                       "400 400 400 400 400 404 404 302",
    "dashboard/":                                                           "405 405 405 405 405 405 405 302",
    "partner/":                                                             "403 403 403 403 403 200 200 302",
    "agreements/<str:reference>/pdf/":                                      "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/pdf/<slug:kind>/":                          "302 302 302 302 302 403 404 302",
    "pdf/jobs/<int:pk>/":                                                   "405 405 405 405 405 405 405 302",
    "pdf/jobs/<int:pk>/download/":                                          "405 405 405 405 405 405 405 302",
    "pdf/jobs/<int:pk>/retry/":                                             "409 409 409 409 409 404 404 302",
    "pdf/register/":                                                        "302 302 302 302 302 302 302 302",
    "notifications/":                                                       "302 302 302 302 302 302 302 302",
    "import/":                                                              "400 400 403 403 403 403 403 302",
    "import/template.xlsx":                                                 "405 405 405 405 405 405 405 302",
    "import/<int:pk>/":                                                     "405 405 405 405 405 405 405 302",
    "import/<int:pk>/progress/":                                            "405 405 405 405 405 405 405 302",
    "import/<int:pk>/run/":                                                 "404 302 403 403 403 403 403 302",
    "calendar/":                                                            "405 405 405 405 405 405 405 302",
    "calendar/feed/new/":                                                   "200 200 200 200 200 200 200 302",
    "calendar/feed/<int:pk>/revoke/":                                       "404 404 404 302 404 404 404 302",
    "calendar/feed/<str:token>.ics":                                        "405 405 405 405 405 405 405 405",
    "profile/":                                                             "405 405 405 405 405 405 405 302",
    "profile/tokens/":                                                      "400 400 400 400 400 400 400 302",
    "profile/tokens/<int:pk>/revoke/":                                      "404 404 404 302 404 404 404 302",
    "":                                                                     "302 302 302 302 302 302 302 302",
    "search/":                                                              "405 405 405 405 405 405 405 302",
    "agreements/":                                                          "405 405 405 405 405 405 405 302",
    "agreements/export.<str:fmt>":                                          "405 405 405 405 405 405 405 302",
    "agreements/views/":                                                    "302 302 302 302 302 302 302 302",
    "agreements/views/<int:pk>/delete/":                                    "404 404 404 302 404 404 404 302",
    "agreements/new/":                                                      "403 403 403 400 400 403 403 302",
    "agreements/<str:reference>/":                                          "403 403 403 400 403 403 404 302",
    "agreements/<str:reference>/ssoi/":                                     "400 400 400 400 400 404 404 302",
    "agreements/<str:reference>/ssoi/compare/":                             "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/documents/compare/":                        "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/ssoi/confirm-review/":                      "302 302 302 302 302 404 404 302",
    "agreements/<str:reference>/ssoi/sections/<slug:key>/":                 "302 302 302 302 302 404 404 302",
    "agreements/<str:reference>/participants/":                             "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/documents/":                                "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/documents/<int:pk>/download/":              "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/coordination/":                             "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/history/":                                  "405 405 405 405 405 405 405 302",
    "agreements/<str:reference>/actions/<str:name>/":                       "403 400 403 403 403 404 404 302",
    "agreements/<str:reference>/coordination/offices/":                     "403 302 403 403 403 404 404 302",
    "agreements/<str:reference>/coordination/notice/":                      "403 400 403 403 403 404 404 302",
    "agreements/<str:reference>/coordination/positions/<int:pk>/remind/":   "403 302 403 403 403 404 404 302",
    "agreements/<str:reference>/obligations/<int:pk>/complete/":            "403 302 403 302 403 404 404 302",
    "agreements/<str:reference>/participants/add/":                         "403 403 403 403 403 404 404 302",
    "agreements/<str:reference>/participants/<int:pk>/update/":             "403 403 403 302 403 404 404 302",
    "agreements/<str:reference>/participants/<int:pk>/remove/":             "403 403 403 403 403 404 404 302",
    "agreements/<str:reference>/contributions/add/":                        "403 403 403 403 403 404 404 302",
    "agreements/<str:reference>/contributions/<int:pk>/delete/":            "403 403 403 403 403 404 404 302",
    "agreements/<str:reference>/loan-items/add/":                           "403 403 403 302 403 404 404 302",
    "agreements/<str:reference>/loan-items/<int:pk>/delete/":               "403 403 403 302 403 404 404 302",
    "agreements/<str:reference>/documents/upload/":                         "403 403 403 302 403 403 404 302",
    "agreements/<str:reference>/documents/<int:pk>/update/":                "403 403 403 302 403 403 404 302",
    "agreements/<str:reference>/documents/<int:pk>/withdraw/":              "403 403 403 400 403 403 404 302",
    "agreements/<str:reference>/ddl/request/":                              "403 403 403 400 403 403 404 302",
    "agreements/<str:reference>/ddl/decide/":                               "403 403 403 403 403 403 404 302",
}
# fmt: on


# --- the URLconf ----------------------------------------------------------------------------------
def browser_routes() -> list[str]:
    """Every pattern of the URLconf outside SEPARATE, as the URLconf spells it (of two equal
    patterns, the first is the one that answers)."""
    found: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route not in SEPARATE:
                    walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route not in found:
                found.append(route)

    walk(get_resolver().url_patterns, "")
    return found


PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def url_for(route: str, world: World) -> str:
    def value(match: re.Match) -> str:
        make = PATH_ARGS.get(route, {}).get(match[1]) or ARGS.get(match[1])
        assert make, f"{route}: no value for <{match[1]}>: add one to ARGS or PATH_ARGS"
        return str(make(world))

    return "/" + PARAMETER.sub(value, route)


def statuses(line: str) -> dict[str, int]:
    codes = [int(code) for code in line.split()]
    assert len(codes) == len(ROLES), f"{line!r}: one status per caller of ROLES"
    return dict(zip(ROLES, codes, strict=True))


def answer(client: Client, method: str, url: str, data: dict) -> tuple[int, str]:
    """The status of one request, made in a savepoint that is then rolled back (a view that
    raises counts as a 500, and the exception is told)."""
    with transaction.atomic():
        try:
            status, error = getattr(client, method)(url, data).status_code, ""
        except Exception as exc:
            status, error = 500, f" ({exc!r})"
        transaction.set_rollback(True)
    return status, error


# --- the tests ------------------------------------------------------------------------------------
def test_every_browser_route_is_in_the_matrix():
    routes = browser_routes()
    for table, name in ((GET, "GET"), (POST, "POST")):
        missing = [route for route in routes if route not in table]
        assert not missing, f"routes without a line in {name} (add one each):\n" + "\n".join(
            f'    "{route}": "adm rev crd po po2 lia li2 ano",' for route in missing
        )
    for table, name in ((GET, "GET"), (POST, "POST"), (PATH_ARGS, "PATH_ARGS"), (POST_DATA, "POST_DATA")):
        gone = [route for route in table if route not in routes]
        assert not gone, f"lines of {name} for routes the URLconf no longer has: {gone}"


@pytest.mark.parametrize("route", list(GET))
def test_route_answers_each_caller_as_the_table_says(route, request, make_agreement):
    world = World(request, make_agreement)
    url = url_for(route, world)
    observed: dict[str, list[str]] = {}
    wrong: list[str] = []
    for method, table in (("get", GET), ("post", POST)):
        if route not in table:
            continue  # test_every_browser_route_is_in_the_matrix says so
        expected = statuses(table[route])
        observed[method] = []
        for role, fixture in ROLES.items():
            client = Client()
            if fixture is not None:
                client.force_login(world.user(fixture))
            data = POST_DATA[route](world) if method == "post" and route in POST_DATA else {}
            status, error = answer(client, method, url, data)
            observed[method].append(str(status))
            if status != expected[role]:
                wrong.append(f"{method.upper()} {url} as {role}: {status}{error}, expected {expected[role]}")
    now = "\n".join(f'{method.upper()}:  "{route}": "{" ".join(codes)}",' for method, codes in observed.items())
    assert not wrong, "\n".join(wrong) + "\nwhat the portal answers now:\n" + now
