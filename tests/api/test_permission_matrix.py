"""The permission matrix: every endpoint × every role × own / other organization or partner ×
read / write (NetBox ``utilities/testing/views.py`` style). Each row names the expected status
for each caller; an object outside the caller's scope must be a 404, never a 403."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from agreements.choices import DocumentKind, State
from agreements.models import Contribution, Document
from workflow.models import CoordinationPosition, CoordinationRound, ReportingObligation, TransitionLog

from .conftest import token_client

ROLES = ("program_office", "other_program_office", "reviewer", "coordinator", "liaison", "other_liaison")
PO, NAVY, REV, COORD, LIA, FRA = ROLES


class World:
    """The objects a row needs, made lazily through the real services: the Army program office
    leads everything; GBR (the liaison's partner) takes part; FRA (the other liaison's) does not."""

    def __init__(self, make_agreement):
        self.make = make_agreement

    @cached_property
    def drafting(self):
        """Army-led, with GBR, releasable, SSOI drafting (the program office holds the pen)."""
        return self.make(State.SSOI_DRAFTING, partners=("GBR",), releasable_to_partners=True)

    @cached_property
    def unreleased(self):
        """Army-led, with GBR, not marked releasable: no liaison sees it."""
        return self.make(State.PROPOSAL, partners=("GBR",))

    @cached_property
    def review(self):
        return self.make(State.RAD_REVIEW, partners=("GBR",), releasable_to_partners=True)

    @cached_property
    def in_force(self):
        return self.make(State.IN_FORCE, partners=("GBR",), releasable_to_partners=True)

    def document(self, *, releasable: bool) -> Document:
        agreement = self.in_force
        return Document.objects.get(
            agreement=agreement,
            releasable_to_partners=releasable,
            kind=DocumentKind.NEGOTIATED_TEXT if releasable else DocumentKind.DRAFT_TEXT,
        )

    def position(self) -> CoordinationPosition:
        return CoordinationPosition.objects.get(round__agreement=self.review, office__code="OGC")


@dataclass
class Row:
    name: str
    method: str
    url: object  # callable(world) -> str
    expected: dict[str, int]
    data: object = None  # callable(world) -> dict
    multipart: bool = False


def expect(po, navy, rev, coord, lia, fra) -> dict[str, int]:
    return dict(zip(ROLES, (po, navy, rev, coord, lia, fra), strict=True))


def upload(world):
    return {
        "agreement": world.drafting.pk,
        "kind": DocumentKind.DRAFT_TEXT,
        "file": SimpleUploadedFile("draft.txt", b"Draft text", content_type="text/plain"),
    }


ROWS = [
    # --- reads ---------------------------------------------------------------------------------
    Row("agreement list", "get", lambda w: "/api/v1/agreements/", expect(200, 200, 200, 200, 200, 200)),
    Row(
        "agreement, releasable",
        "get",
        lambda w: f"/api/v1/agreements/{w.drafting.pk}/",
        expect(200, 200, 200, 200, 200, 404),
    ),
    Row(
        "agreement, not releasable",
        "get",
        lambda w: f"/api/v1/agreements/{w.unreleased.pk}/",
        expect(200, 200, 200, 200, 404, 404),
    ),
    Row(
        "transitions",
        "get",
        lambda w: f"/api/v1/agreements/{w.drafting.pk}/transitions/",
        expect(200, 200, 200, 200, 200, 404),
    ),
    Row("ssoi", "get", lambda w: f"/api/v1/agreements/{w.drafting.pk}/ssoi/", expect(200, 200, 200, 200, 404, 404)),
    Row("ddl", "get", lambda w: f"/api/v1/agreements/{w.drafting.pk}/ddl/", expect(200, 200, 200, 200, 404, 404)),
    Row("review queue", "get", lambda w: "/api/v1/review-queue/", expect(403, 403, 200, 403, 403, 403)),
    Row(
        "equitability",
        "get",
        lambda w: f"/api/v1/agreements/{w.drafting.pk}/equitability/",
        expect(200, 200, 200, 200, 404, 404),
    ),
    Row(
        "participants of an agreement",
        "get",
        lambda w: f"/api/v1/participants/{w.drafting.participants.get().pk}/",
        expect(200, 200, 200, 200, 200, 404),
    ),
    Row(
        "document, releasable",
        "get",
        lambda w: f"/api/v1/documents/{w.document(releasable=True).pk}/",
        expect(200, 200, 200, 200, 200, 404),
    ),
    Row(
        "document, internal",
        "get",
        lambda w: f"/api/v1/documents/{w.document(releasable=False).pk}/",
        expect(200, 200, 200, 200, 404, 404),
    ),
    Row(
        "download, releasable",
        "get",
        lambda w: f"/api/v1/documents/{w.document(releasable=True).pk}/download/",
        expect(200, 200, 200, 200, 200, 404),
    ),
    Row(
        "download, internal",
        "get",
        lambda w: f"/api/v1/documents/{w.document(releasable=False).pk}/download/",
        expect(200, 200, 200, 200, 404, 404),
    ),
    Row(
        "coordination round",
        "get",
        lambda w: f"/api/v1/coordination-rounds/{CoordinationRound.objects.get(agreement=w.review).pk}/",
        expect(200, 200, 200, 200, 404, 404),
    ),
    Row(
        "coordination position",
        "get",
        lambda w: f"/api/v1/coordination-positions/{w.position().pk}/",
        expect(200, 200, 200, 200, 404, 404),
    ),
    Row(
        "obligation",
        "get",
        lambda w: f"/api/v1/obligations/{ReportingObligation.objects.filter(agreement=w.in_force).first().pk}/",
        expect(200, 200, 200, 200, 404, 404),
    ),
    Row(
        "audit row, state change",
        "get",
        lambda w: (
            f"/api/v1/audit-log/{TransitionLog.objects.filter(agreement=w.review, transition='submit_rad').get().pk}/"
        ),
        # Not even state changes reach a liaison: a return or a delay could be read from them.
        expect(200, 200, 200, 200, 404, 404),
    ),
    Row(
        "audit row, coordination event",
        "get",
        lambda w: "/api/v1/audit-log/{}/".format(
            TransitionLog.objects.filter(agreement=w.in_force, transition="position_recorded").first().pk
        ),
        expect(200, 200, 200, 200, 404, 404),
    ),
    # --- writes --------------------------------------------------------------------------------
    Row(
        "create agreement",
        "post",
        lambda w: "/api/v1/agreements/",
        expect(201, 201, 403, 403, 403, 403),
        data=lambda w: {"kind": "master", "title": "Cooperative R&D", "partners": ["GBR"], "authority": "usc_2350a"},
    ),
    Row(
        "edit agreement",
        "patch",
        lambda w: f"/api/v1/agreements/{w.drafting.pk}/",
        expect(200, 403, 403, 403, 403, 404),
        data=lambda w: {"short_title": "Renamed"},
    ),
    Row(
        "edit not releasable agreement",
        "patch",
        lambda w: f"/api/v1/agreements/{w.unreleased.pk}/",
        expect(200, 403, 403, 403, 404, 404),
        data=lambda w: {"short_title": "Renamed"},
    ),
    Row(
        "edit ssoi",
        "patch",
        lambda w: f"/api/v1/agreements/{w.drafting.pk}/ssoi/",
        expect(200, 403, 403, 403, 404, 404),
        data=lambda w: {"objectives": "New objectives."},
    ),
    Row(
        "run a transition",
        "post",
        lambda w: f"/api/v1/agreements/{w.drafting.pk}/transitions/",
        expect(200, 403, 403, 403, 403, 404),
        data=lambda w: {"name": "withdraw", "comment": "No longer needed."},
    ),
    Row(
        "add participant",
        "post",
        lambda w: "/api/v1/participants/",
        expect(201, 403, 403, 403, 403, 403),
        data=lambda w: {"agreement": w.drafting.pk, "partner": "CAN"},
    ),
    Row(
        "remove participant",
        "delete",
        lambda w: f"/api/v1/participants/{w.drafting.participants.get().pk}/",
        expect(400, 403, 403, 403, 403, 404),
    ),  # the last partner cannot go (the service says why)
    Row(
        "add contribution",
        "post",
        lambda w: "/api/v1/contributions/",
        expect(201, 403, 403, 403, 403, 403),
        data=lambda w: {"participant": w.drafting.participants.get().pk, "description": "Funds", "amount_usd": "10.00"},
    ),
    Row(
        "delete contribution",
        "delete",
        lambda w: f"/api/v1/contributions/{Contribution.objects.filter(participant__agreement=w.review).first().pk}/",
        expect(403, 403, 403, 403, 403, 404),
    ),  # in review: the pen is not the program office's
    Row(
        "upload document",
        "post",
        lambda w: "/api/v1/documents/",
        expect(201, 403, 403, 403, 403, 403),
        data=upload,
        multipart=True,
    ),
    Row(
        "edit document",
        "patch",
        lambda w: f"/api/v1/documents/{w.document(releasable=True).pk}/",
        expect(200, 403, 403, 403, 403, 404),
        data=lambda w: {"title": "Signed text"},
    ),
    Row(
        "add the United States' contribution",
        "post",
        lambda w: "/api/v1/contributions/",
        expect(201, 403, 403, 403, 403, 403),
        data=lambda w: {"agreement": w.drafting.pk, "description": "U.S. funds", "amount_usd": "10.00"},
    ),
    Row(
        "ask for the DDL review",
        "post",
        lambda w: f"/api/v1/agreements/{w.drafting.pk}/ddl/request/",
        expect(200, 403, 403, 403, 403, 404),
        data=lambda w: {},
    ),
    Row(
        "decide the DDL",
        "post",
        lambda w: f"/api/v1/agreements/{w.review.pk}/ddl/decision/",
        expect(403, 403, 403, 403, 403, 404),  # only a disclosure office (DTSA) decides
        data=lambda w: {"status": "denied", "decision_date": timezone.localdate().isoformat(), "comment": "No."},
    ),
    Row(
        "record position",
        "post",
        lambda w: f"/api/v1/coordination-positions/{w.position().pk}/record/",
        expect(403, 403, 403, 200, 404, 404),
        data=lambda w: {"status": "concur"},
    ),
    Row(
        "set round offices",
        "post",
        lambda w: f"/api/v1/coordination-rounds/{CoordinationRound.objects.get(agreement=w.review).pk}/offices/",
        expect(403, 403, 200, 403, 404, 404),
        data=lambda w: {"offices": ["OGC", "POLICY"]},
    ),
    Row(
        "complete obligation",
        "post",
        lambda w: (
            f"/api/v1/obligations/{ReportingObligation.objects.filter(agreement=w.in_force).first().pk}/complete/"
        ),
        expect(200, 403, 200, 403, 404, 404),
        data=lambda w: {"completed_date": timezone.localdate().isoformat()},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_permission_matrix(row, role, request, make_agreement):
    user = request.getfixturevalue(role)
    world = World(make_agreement)
    url = row.url(world)
    data = row.data(world) if row.data else None
    client = token_client(user)
    call = getattr(client, row.method)
    if row.method == "get":
        response = call(url)
    elif row.multipart:
        response = call(url, data, format="multipart")
    else:
        response = call(url, data, format="json")
    assert response.status_code == row.expected[role], (
        f"{role} {row.method.upper()} {url}: {response.status_code} {getattr(response, 'data', '')}"
    )
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json")
        assert set(response.json()) >= {"detail", "code"}
