"""Shared fixtures: the reference data, one user per role, and agreements in any state, all made
through the project's own services."""

from __future__ import annotations

import pytest

from agreements.choices import AgreementKind
from partners.models import Partner, Role, User
from partners.services import user_create
from tests.factories import PASSWORD, AgreementFactory, demo_cast
from workflow.demo import Cast


@pytest.fixture(autouse=True)
def _tokens_for_every_role(settings):
    """The suite drives every role, liaisons and administrators included, through personal API
    tokens, as a deployment that allows them (API_TOKENS_FOR_LIAISONS/ADMINS) would. The default
    refusal is proven in tests/security/test_tokens.py, which switches them off again."""
    settings.API_TOKENS_FOR_LIAISONS = True
    settings.API_TOKENS_FOR_ADMINS = True


@pytest.fixture(autouse=True)
def _fresh_shared_cache():
    """Lockouts, the sign-in slow-down, token failure counts, cached token lookups and dashboard
    figures live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cast(db) -> Cast:
    """Reference data, the demo users and one coordinator per default office."""
    return demo_cast()


@pytest.fixture
def program_office(cast) -> User:
    return cast.program_office  # Department of the Army


@pytest.fixture
def other_program_office(cast) -> User:
    return user_create(username="navy_po", role=Role.PROGRAM_OFFICE, password=PASSWORD, organization_code="NAVY")


@pytest.fixture
def reviewer(cast) -> User:
    return cast.reviewer


@pytest.fixture
def coordinator(cast) -> User:
    return User.objects.get(username="coordinator")  # DoD General Counsel


@pytest.fixture
def coordinators(cast) -> list[User]:
    return cast.coordinators


@pytest.fixture
def liaison(cast) -> User:
    return User.objects.get(username="liaison")  # United Kingdom


@pytest.fixture
def other_liaison(cast) -> User:
    return user_create(username="fra_liaison", role=Role.LIAISON, password=PASSWORD, partner_code="FRA")


@pytest.fixture
def admin_user(cast) -> User:
    return User.objects.get(username="admin")


@pytest.fixture
def partner(cast):
    def get(code: str) -> Partner:
        return Partner.objects.get(code=code)

    return get


@pytest.fixture
def make_agreement(cast):
    """``make_agreement(state="negotiation", kind=..., partners=("GBR",), **fields)``: a proposal by
    the Army program office, driven to ``state`` through the real services."""

    def make(
        state: str = "proposal",
        *,
        kind: str = AgreementKind.MASTER,
        partners=("GBR",),
        authority: str | None = None,
        user: User | None = None,
        **fields,
    ):
        if authority is not None:
            fields["authority"] = authority
        return AgreementFactory(
            state=state, cast=cast, kind=kind, partners=partners, user=user or cast.program_office, **fields
        )

    return make
