"""Writes on partners, organizations, offices and users."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

import pycountry
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from . import reference_data as ref
from .models import ApiToken, CoordinatingOffice, Organization, Partner, PartnerKind, Role, User

M = TypeVar("M", bound=models.Model)

TOKEN_NAME_MAX = ApiToken._meta.get_field("name").max_length


def _nation_name(code: str) -> str:
    if code in ref.NAME_OVERRIDES:
        return ref.NAME_OVERRIDES[code]
    country = pycountry.countries.get(alpha_3=code)
    if country is None:
        raise ValueError(f"{code} is not an ISO 3166-1 alpha-3 code")
    return getattr(country, "common_name", None) or country.name


@transaction.atomic
def reference_data_load() -> dict[str, int]:
    """Create or refresh partners, DoD organizations and coordinating offices. Idempotent."""
    counts = {"partners": 0, "organizations": 0, "offices": 0}
    nations = (
        [(c, {"is_nato_member": True}) for c in ref.NATO_MEMBERS]
        + [(c, {"is_mnna": True}) for c in ref.MAJOR_NON_NATO_ALLIES]
        + [(c, {"is_other_friendly": True}) for c in ref.OTHER_FRIENDLY]
    )
    for code, flags in nations:
        defaults = {
            "name": _nation_name(code),
            "kind": PartnerKind.NATION,
            "is_nato_member": False,
            "is_mnna": False,
            "is_eu_body": False,
            "is_other_friendly": False,
            **flags,
        }
        Partner.objects.update_or_create(code=code, defaults=defaults)
        counts["partners"] += 1
    for code, name, is_nato_body, is_eu in ref.INTERNATIONAL_ORGANIZATIONS:
        Partner.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": PartnerKind.ORGANIZATION,
                "is_nato_body": is_nato_body,
                "is_eu_body": is_eu,
            },
        )
        counts["partners"] += 1
    for code, name in ref.DOD_ORGANIZATIONS:
        Organization.objects.update_or_create(code=code, defaults={"name": name})
        counts["organizations"] += 1
    for code, name, by_default in ref.COORDINATING_OFFICES:
        CoordinatingOffice.objects.update_or_create(
            code=code,
            defaults={"name": name, "coordinates_by_default": by_default},
            create_defaults={
                "name": name,
                "coordinates_by_default": by_default,
                "is_disclosure_office": code in ref.DISCLOSURE_OFFICES,
            },
        )
        counts["offices"] += 1
    return counts


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    organization_code: str | None = None,
    office_code: str | None = None,
    partner_code: str | None = None,
) -> User:
    """Create a portal user with its role and the organization, office or partner it needs."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}; choose one of {', '.join(Role.values)}."})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f"A user named {username!r} already exists."})
    user = User(
        username=username,
        role=role,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=(role == Role.ADMIN),
        is_superuser=(role == Role.ADMIN),
    )
    if organization_code:
        user.organization = _get_by_code(Organization, organization_code, "organization")
    if office_code:
        user.coordinating_office = _get_by_code(CoordinatingOffice, office_code, "coordinating office")
    if partner_code:
        user.partner = _get_by_code(Partner, partner_code, "partner")
    required = {
        Role.PROGRAM_OFFICE: ("organization", "--organization"),
        Role.COORDINATOR: ("coordinating_office", "--office"),
        Role.LIAISON: ("partner", "--partner"),
    }
    if role in required:
        attr, flag = required[role]
        if getattr(user, f"{attr}_id") is None:
            raise ValidationError({attr: f"A {Role(role).label.lower()} user needs {flag}."})
    if role != Role.LIAISON and partner_code:
        raise ValidationError({"partner": "Only a partner liaison is bound to a partner."})
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def _get_by_code(model: type[M], code: str, label: str) -> M:
    try:
        return model.objects.get(code__iexact=code)
    except model.DoesNotExist:
        known = ", ".join(model.objects.order_by("code").values_list("code", flat=True)[:60])
        raise ValidationError({label: f"Unknown {label} code {code!r}. Known codes: {known}."}) from None


def api_token_denial(user: User) -> str | None:
    """Why ``user`` may not hold API tokens, or None."""
    if not user.is_active:
        return "An inactive user cannot hold API tokens."
    if not user.may_hold_api_tokens:
        role = "partner liaisons" if user.is_liaison else "administrators"
        return f"API tokens are not issued to {role} on this portal."
    return None


@transaction.atomic
def api_token_create(*, user: User, name: str, request: HttpRequest | None = None) -> tuple[ApiToken, str]:
    """Issue a new token for ``user``, valid for ``settings.API_TOKEN_DAYS``; returns the row and
    the key, which is never stored."""
    from icp_portal.security.events import EventKind, record

    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. the script that will use it."})
    if len(name) > TOKEN_NAME_MAX:
        raise ValidationError({"name": f"A token name has at most {TOKEN_NAME_MAX} characters."})
    denial = api_token_denial(user)
    if denial:
        raise PermissionDenied(denial)
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:8],
        key_hash=ApiToken.hash_key(key),
        expires_at=timezone.now() + dt.timedelta(days=settings.API_TOKEN_DAYS),
    )
    record(EventKind.TOKEN_CREATED, request=request, user=user, target=str(token))
    return token, key


@transaction.atomic
def api_token_revoke(
    *, token: ApiToken, user: User, request: HttpRequest | None = None, reason: str = "revoked by its owner"
) -> ApiToken:
    """Revoke one of the user's own tokens. Revoking twice keeps the first revocation time."""
    from icp_portal.security.events import EventKind, record

    if token.user_id != user.pk:
        raise PermissionDenied("You can revoke only your own tokens.")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_reason = reason[:100]
        token.save(update_fields=["revoked_at", "revoked_reason"])
        record(EventKind.TOKEN_REVOKED, request=request, user=user, target=str(token), detail=reason)
    return token


@transaction.atomic
def api_tokens_revoke_all(*, user: User, reason: str) -> int:
    """Revoke every live token of ``user`` (password changed, account deactivated)."""
    from icp_portal.security.events import EventKind, record

    tokens = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    now = timezone.now()
    for token in tokens:
        token.revoked_at = now
        token.revoked_reason = reason[:100]
        token.save(update_fields=["revoked_at", "revoked_reason"])
        record(EventKind.TOKEN_REVOKED, user=user, target=str(token), detail=reason)
    return len(tokens)
