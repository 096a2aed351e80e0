"""The API's agreement list is built from plain rows (``AgreementListRows``), not by
``AgreementSerializer``: it must give exactly what the serializer gives, key for key (in order)
and value for value, for every kind of caller and every shape of agreement."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from agreements.api.serializers import AgreementListRows, AgreementSerializer
from agreements.choices import AgreementKind, LegalAuthority, State
from agreements.models import Agreement
from agreements.selectors import agreements_visible_to
from partners.models import Role, User
from partners.services import user_create
from tests.factories import PASSWORD, AmendmentFactory, ProjectArrangementFactory

from .conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(cast, make_agreement):
    """An agreement in every state, and the shapes a list row can take: with and without a
    parent, an action officer (named or not), several participants with signature dates, dates
    left empty, internal notes."""
    for state in State:
        # An AECA section 27 agreement waits for Congress once approved.
        authority = LegalAuthority.AECA_27 if state == State.CONGRESSIONAL_WAIT else None
        make_agreement(state, releasable_to_partners=True, authority=authority)
    signed = make_agreement(State.IN_FORCE, partners=("GBR", "FRA", "DEU"), releasable_to_partners=True)
    assert signed.participants.count() == 3 and signed.participants.filter(signature_date__isnull=False).exists()
    ProjectArrangementFactory(cast=cast, partners=("GBR", "FRA"), releasable_to_partners=True)
    AmendmentFactory(cast=cast, partners=("GBR",), releasable_to_partners=True)
    bare = make_agreement(
        State.PROPOSAL,
        kind=AgreementKind.SECTION_65_LOAN,
        partners=("GBR",),
        releasable_to_partners=True,
        internal_notes="Only for us.",
    )
    Agreement.objects.filter(pk=bare.pk).update(
        action_officer=None, effective_date=None, expiration_date=None, short_title=""
    )
    User.objects.filter(pk=cast.program_office.pk).update(first_name="Pat", last_name="Doe")
    unnamed = user_create(username="navy_po", role=Role.PROGRAM_OFFICE, password=PASSWORD, organization_code="NAVY")
    # A second agreement given to the officer without a name (the row shows the username).
    Agreement.objects.filter(pk=signed.pk).update(action_officer=unnamed)
    return Agreement.objects.all()


def _serialized(user, queryset) -> list[dict]:
    """``AgreementSerializer(many=True)`` over ``queryset``, as the JSON renderer writes it."""
    request = APIRequestFactory().get("/api/v1/agreements/")
    request.user = user
    data = AgreementSerializer(queryset, many=True, context={"request": request}).data
    return json.loads(JSONRenderer().render(data))


def _listed(user, query: str = "") -> list[dict]:
    response = token_client(user).get(f"/api/v1/agreements/?page_size=200{query}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["results"])
    return body["results"]


def test_the_list_gives_what_the_serializer_gives(portfolio, reviewer, program_office, liaison):
    # The portfolio is built once (it takes a while): each caller in turn.
    for user in (reviewer, program_office, liaison):
        _compare_lists(user)


def _compare_lists(user) -> None:
    expected = _serialized(user, agreements_visible_to(user).with_list_relations().order_by("-created_at", "-pk"))
    listed = _listed(user)
    assert len(listed) == len(expected) > 3
    assert [list(row) for row in listed] == [list(row) for row in expected]  # the same keys, in order
    assert listed == expected
    # Every shape was there to compare.
    assert any(row["parent"] is None for row in listed) and any(row["parent"] for row in listed)
    assert any(len(row["participants"]) > 1 for row in listed)
    assert any(participant["signature_date"] for row in listed for participant in row["participants"])
    assert any(row["effective_date"] is None for row in listed)
    if not user.is_liaison:
        assert any(row["action_officer"] is None for row in listed)
        assert any(
            row["action_officer"] and row["action_officer"]["name"] == row["action_officer"]["username"]
            for row in listed
        )
        assert any(
            row["action_officer"] and row["action_officer"]["name"] != row["action_officer"]["username"]
            for row in listed
        )
        assert any(row["internal_notes"] for row in listed)
    else:
        assert not set(AgreementSerializer.Meta.internal_fields) & {key for row in listed for key in row}


def test_filtered_and_sorted_lists_give_what_the_serializer_gives(portfolio, reviewer):
    queryset = (
        agreements_visible_to(reviewer)
        .with_list_relations()
        .filter(participants__partner__code="FRA")
        .order_by("title", "pk")
    )
    assert _listed(reviewer, "&partner=FRA&ordering=title") == _serialized(reviewer, queryset)
    page = token_client(reviewer).get("/api/v1/agreements/?page_size=2&page=2&ordering=-created_at").json()
    assert page["count"] == Agreement.objects.count() and page["previous"] and len(page["results"]) == 2
    second_page = agreements_visible_to(reviewer).order_by("-created_at", "-pk")[2:4]
    assert page["results"] == _serialized(reviewer, second_page)


def test_rows_format_datetimes_as_drf_does_in_the_current_time_zone(portfolio, reviewer, liaison):
    Agreement.objects.filter(pk=Agreement.objects.order_by("pk").first().pk).update(
        master_lapsed_at=timezone.now() - dt.timedelta(days=3, microseconds=1)
    )
    for user, zone in itertools.product((reviewer, liaison), ("UTC", "America/New_York", "Asia/Kolkata")):
        request = APIRequestFactory().get("/api/v1/agreements/")
        request.user = user
        context = {"request": request}
        queryset = agreements_visible_to(user).order_by("-created_at", "-pk")
        rows = AgreementListRows(context)
        with timezone.override(zone):
            built = rows.build(list(rows.pageable(queryset)))
            expected = AgreementSerializer(queryset.with_list_relations(), many=True, context=context).data
        assert built == expected
        assert [list(row) for row in built] == [list(row) for row in expected]


def test_a_field_added_to_the_serializer_but_not_to_the_rows_fails_loudly(make_agreement, reviewer, monkeypatch):
    make_agreement(State.PROPOSAL)
    monkeypatch.setattr(AgreementSerializer.Meta, "fields", [*AgreementSerializer.Meta.fields, "external_reference"])
    rows = AgreementListRows({})
    with pytest.raises(ImproperlyConfigured, match="external_reference"):
        rows.build(list(rows.pageable(Agreement.objects.all())))


def test_an_empty_page_is_an_empty_list(cast, reviewer):
    body = token_client(reviewer).get("/api/v1/agreements/?q=nothing-like-this").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
