"""Shared fixtures: the reference data, one user per role, and agreements in any state, all made
through the project's own services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agreements.choices import AgreementKind, LegalAuthority, State
from partners.models import Partner, Role, User
from partners.services import user_create
from workflow import demo

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fresh_shared_cache():
    """Lockouts, the sign-in slow-down, token failure counts, cached token lookups and dashboard
    figures live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cast(db) -> demo.Cast:
    """Reference data, the demo users and one coordinator per default office."""
    return demo.ensure_cast(password=PASSWORD)


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
        if authority is None:
            authority = LegalAuthority.AECA_65 if kind == AgreementKind.SECTION_65_LOAN else LegalAuthority.USC_2350A
        if state == State.SIGNED:  # signed and waiting: the text fixes a later entry into force
            fields.setdefault("fixed_entry_into_force_date", timezone.localdate() + dt.timedelta(days=30))
        agreement = demo.propose(
            user=user or cast.program_office, kind=kind, partners=partners, authority=authority, **fields
        )
        return demo.drive_to(agreement, state, cast)

    return make
