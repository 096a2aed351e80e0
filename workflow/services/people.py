"""Who the lifecycle's notifications go to."""

from __future__ import annotations

from django.db.models import QuerySet

from agreements.models import Agreement
from partners.models import Role, User


def _program_office_users(agreement: Agreement) -> list[User]:
    users = list(User.objects.filter(role=Role.PROGRAM_OFFICE, organization_id=agreement.lead_organization_id))
    if agreement.action_officer_id and agreement.action_officer not in users:
        users.append(agreement.action_officer)
    return users


def _reviewers() -> QuerySet[User]:
    return User.objects.filter(role=Role.REVIEWER, is_active=True)
