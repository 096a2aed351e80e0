"""Partner nations and organizations, DoD Components, coordinating offices and the portal's users."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


class PartnerKind(models.TextChoices):
    NATION = "nation", "Nation"
    ORGANIZATION = "organization", "International organization"


class Partner(models.Model):
    """A foreign nation or international organization that can take part in an ICP agreement."""

    code = models.CharField(
        max_length=12,
        unique=True,
        help_text="ISO 3166-1 alpha-3 code for a nation (GBR), acronym for an organization (NATO).",
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=PartnerKind.choices, default=PartnerKind.NATION)
    is_nato_member = models.BooleanField("NATO member", default=False)
    is_mnna = models.BooleanField("major non-NATO ally", default=False)
    is_nato_body = models.BooleanField(
        "NATO body or agency",
        default=False,
        help_text="NATO itself or one of its bodies and agencies (NSPA, NCIA, …): counts as NATO for every rule.",
    )
    is_eu_body = models.BooleanField("EU body", default=False)
    is_other_friendly = models.BooleanField("other friendly", default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~(Q(kind=PartnerKind.ORGANIZATION) & Q(is_nato_member=True)),
                name="partner_org_not_nato_member",
                violation_error_message="An international organization cannot be a NATO member.",
            ),
            models.CheckConstraint(
                condition=Q(kind=PartnerKind.ORGANIZATION) | Q(is_nato_body=False),
                name="partner_nato_body_is_organization",
                violation_error_message="Only an international organization can be a NATO body or agency.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        self.code = (self.code or "").upper()
        if self.kind == PartnerKind.NATION:
            import pycountry

            if pycountry.countries.get(alpha_3=self.code) is None:
                raise ValidationError({"code": f"{self.code} is not an ISO 3166-1 alpha-3 code."})

    @property
    def is_international_organization(self) -> bool:
        return self.kind == PartnerKind.ORGANIZATION

    @property
    def counts_as_nato(self) -> bool:
        """The one test of "NATO" every rule uses: a NATO member nation, or NATO itself and its
        bodies and agencies (NSPA, NCIA, …), which 10 USC 2350a and the AECA treat as NATO."""
        return self.is_nato_member or self.is_nato_body

    @property
    def eligible_for_section_65(self) -> bool:
        """AECA §65 loans go only to NATO (members, bodies and agencies) or major non-NATO allies."""
        return self.counts_as_nato or self.is_mnna

    @property
    def classification(self) -> str:
        """What the legal rules see the partner as, in words."""
        if self.is_nato_member:
            return "NATO member"
        if self.is_nato_body:
            return "NATO body or agency"
        if self.is_mnna:
            return "Major non-NATO ally"
        if self.is_eu_body:
            return "EU body"
        if self.is_international_organization:
            return "International organization"
        return "Other friendly"

    @property
    def only_other_friendly(self) -> bool:
        """Under 10 USC 2350a such a partner triggers congressional notice and a 30-day wait."""
        return not (self.counts_as_nato or self.is_mnna or self.is_eu_body)


class Organization(models.Model):
    """A DoD Component (Army, Navy, DARPA, …) whose program offices lead agreements."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CoordinatingOffice(models.Model):
    """An office consulted in RAD and RFA coordination rounds (Policy, General Counsel, …)."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    coordinates_by_default = models.BooleanField(
        default=True, help_text="Included in every new coordination round unless the reviewer edits the set."
    )
    is_disclosure_office = models.BooleanField(
        "disclosure office",
        default=False,
        help_text="Its coordinators decide DDL / TS&FD reviews (approve or refuse an agreement's DDL).",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    PROGRAM_OFFICE = "program_office", "Program office"
    COORDINATOR = "coordinator", "Coordinating office"
    REVIEWER = "reviewer", "OUSD(A&S) reviewer"
    LIAISON = "liaison", "Partner liaison"
    ADMIN = "admin", "Administrator"


class PortalUserManager(UserManager):
    """``create_user`` and ``create_superuser`` (and so ``createsuperuser --noinput`` with
    ``DJANGO_SUPERUSER_PASSWORD``) meet ``AUTH_PASSWORD_VALIDATORS`` too: Django's manager hashes
    the password with ``make_password`` and never calls ``set_password``. No password (``None``)
    still gives an unusable one. A superuser is an administrator: the other roles need an
    organization, office or partner that ``createsuperuser`` does not ask for."""

    def _create_user_object(self, username, email, password, **extra_fields):
        user = super()._create_user_object(username, email, None, **extra_fields)
        if password is not None:
            from django.contrib.auth.password_validation import validate_password

            validate_password(password, user=user)
            user.password = make_password(password)
        return user

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)

    async def acreate_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return await super().acreate_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A portal user with exactly one role, bound to the organization, office or partner it needs."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PROGRAM_OFFICE)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    coordinating_office = models.ForeignKey(
        CoordinatingOffice, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="liaisons")

    objects = PortalUserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.LIAISON) | Q(partner__isnull=False),
                name="user_liaison_has_partner",
                violation_error_message="A partner liaison must be bound to a partner.",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.PROGRAM_OFFICE) | Q(organization__isnull=False),
                name="user_program_office_has_organization",
                violation_error_message="A program office user must belong to a DoD organization.",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.COORDINATOR) | Q(coordinating_office__isnull=False),
                name="user_coordinator_has_office",
                violation_error_message="A coordinator must belong to a coordinating office.",
            ),
            models.CheckConstraint(
                condition=Q(role=Role.LIAISON) | Q(partner__isnull=True),
                name="user_only_liaison_has_partner",
                violation_error_message="Only a partner liaison is bound to a partner.",
            ),
        ]

    @property
    def is_liaison(self) -> bool:
        return self.role == Role.LIAISON

    @property
    def is_dod(self) -> bool:
        """Everyone but a partner liaison is a DoD user and may read every DoD record."""
        return self.role != Role.LIAISON

    @property
    def is_reviewer(self) -> bool:
        return self.role == Role.REVIEWER

    @property
    def is_program_office(self) -> bool:
        return self.role == Role.PROGRAM_OFFICE

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def is_disclosure_officer(self) -> bool:
        """A coordinator of a disclosure office (DTSA by default): may decide DDL / TS&FD reviews."""
        return (
            self.role == Role.COORDINATOR
            and self.coordinating_office_id is not None
            and self.coordinating_office.is_disclosure_office
        )

    @property
    def is_portal_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    def set_password(self, raw_password: str | None) -> None:
        """Every door that sets a password (service, command, admin, shell) meets
        ``AUTH_PASSWORD_VALIDATORS`` (at least ``PASSWORD_MIN_LENGTH`` characters). The nameless
        instance Django's ModelBackend hashes against to even out timing is not a user."""
        if raw_password is not None and self.username:
            from django.contrib.auth.password_validation import validate_password

            validate_password(raw_password, user=self)
        super().set_password(raw_password)

    def _rehash_password(self, raw_password: str) -> None:
        # The same password under a stronger hasher: no policy check, and not a password change.
        AbstractUser.set_password(self, raw_password)
        self._password = None
        self._password_rehashed = True
        self.save(update_fields=["password"])

    def check_password(self, raw_password: str) -> bool:
        from django.contrib.auth.hashers import check_password

        return check_password(raw_password, self.password, self._rehash_password)

    async def acheck_password(self, raw_password: str) -> bool:
        from django.contrib.auth.hashers import acheck_password

        async def setter(raw: str) -> None:
            AbstractUser.set_password(self, raw)
            self._password = None
            self._password_rehashed = True
            await self.asave(update_fields=["password"])

        return await acheck_password(raw_password, self.password, setter)

    @property
    def may_hold_api_tokens(self) -> bool:
        """Liaisons and administrators hold API tokens only where the deployment allows it."""
        if self.is_liaison:
            return settings.API_TOKENS_FOR_LIAISONS
        if self.is_portal_admin or self.is_staff:
            return settings.API_TOKENS_FOR_ADMINS
        return True

    def display_role(self) -> str:
        extra = self.organization or self.coordinating_office or self.partner
        return f"{self.get_role_display()} · {extra}" if extra else self.get_role_display()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        """Neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


def token_expiry_default() -> dt.datetime:
    """When a token issued now expires (``API_TOKEN_DAYS``)."""
    return timezone.now() + dt.timedelta(days=settings.API_TOKEN_DAYS)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the key is shown once when created."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=token_expiry_default)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_from = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=100, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "active"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def generate_key(cls) -> str:
        return secrets.token_hex(20)
