"""The API's agreement list, built from plain rows: what ``AgreementSerializer(many=True)`` gives,
without building a model instance and running DRF's fields for each row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from agreements.models import Agreement, Participant
from agreements.partner_status import partner_status
from icp_portal.pagination import CountedRows
from partners.api.common import is_liaison

from .agreements import AgreementSerializer


class AgreementListRows:
    """What ``AgreementSerializer(many=True)`` gives for a page of agreements, built from plain
    rows: the page read with ``.values()`` (its relations through joins) and its participants in
    one more query, then a dict per agreement. The API's list answers with it: building 100 model
    instances and running DRF's field machinery over 34 fields a row cost ten times the SQL.

    Key for key and value for value the serializer's output (a test compares them): the keys of
    ``AgreementSerializer.Meta.fields`` in their order, without ``Meta.internal_fields`` for a
    partner liaison (as ``LiaisonSafeMixin``); dates and datetimes as DRF's fields format them;
    choices as stored. A field added to the serializer but not here fails loudly.

        rows = AgreementListRows(serializer_context)
        page = paginate(rows.pageable(agreements))  # filtered and ordered
        data = rows.build(page)
    """

    serializer_class = AgreementSerializer
    # The columns read: the agreement's own, shown as read (choices as stored), its dates and
    # datetimes, and through joins its parent, lead organization and action officer.
    PLAIN = (
        "id",
        "reference",
        "title",
        "short_title",
        "kind",
        "phase",
        "amendment_type",
        "authority",
        "authority_text",
        "state",
        "marking",
        "releasable_to_partners",
        "us_signatory_name",
        "us_signatory_title",
        "internal_notes",
    )
    DATES = (
        "new_expiration_date",
        "effective_date",
        "fixed_entry_into_force_date",
        "entry_into_force_date",
        "expiration_date",
        "us_signature_date",
        "congressional_notice_date",
    )
    DATETIMES = ("state_changed_at", "master_lapsed_at", "created_at", "updated_at")
    RELATED = {
        "parent": "parent_id",
        "parent_reference": "parent__reference",
        "lead_organization": "lead_organization__code",
    }
    ACTION_OFFICER = (
        "action_officer_id",
        "action_officer__username",
        "action_officer__first_name",
        "action_officer__last_name",
        "action_officer__role",
    )
    PARTICIPANT_COLUMNS = ("id", "agreement_id", "partner__code", "partner__name", "role", "signature_date")
    # ``Participant.Meta.ordering`` within an agreement (no ties: a partner takes part once).
    PARTICIPANT_ORDER = ("agreement_id", "-role", "partner__name", "pk")

    def __init__(self, context: dict):
        self.request = context.get("request")
        internal = frozenset(self.serializer_class.Meta.internal_fields) if is_liaison(context) else frozenset()
        # The serializer's keys, in its order, as LiaisonSafeMixin leaves them.
        self.fields = tuple(name for name in self.serializer_class.Meta.fields if name not in internal)
        self.internal = tuple(internal)
        self.with_action_officer = "action_officer" not in internal

    def columns(self) -> list[str]:
        """The ``.values()`` columns the rows need: no internal column for a liaison, but the
        state always (the partner-facing status is derived from it)."""
        wanted = [*self.PLAIN, *self.DATES, *self.DATETIMES]
        columns = [name for name in wanted if name not in self.internal or name == "state"]
        columns += self.RELATED.values()
        if self.with_action_officer:
            columns += self.ACTION_OFFICER
        return columns

    def pageable(self, agreements: QuerySet[Agreement], *, known_count: int | None = None) -> CountedRows:
        """``agreements`` (filtered and ordered) as the rows to page through: read with their
        joins, counted without them (or ``known_count``, when the caller knows it)."""
        agreements = agreements.select_related(None).prefetch_related(None)
        return CountedRows(agreements, agreements.values(*self.columns()), known_count=known_count)

    def participants(self, agreement_ids: list[int]) -> dict[int, list[dict]]:
        """Each agreement's participants as ``ParticipantBriefSerializer`` gives them."""
        date = _date_format()
        by_agreement: dict[int, list[dict]] = {pk: [] for pk in agreement_ids}
        rows = (
            Participant.objects.filter(agreement_id__in=agreement_ids)
            .order_by(*self.PARTICIPANT_ORDER)
            .values_list(*self.PARTICIPANT_COLUMNS)
        )
        for pk, agreement_id, code, name, role, signature_date in rows:
            by_agreement[agreement_id].append(
                {
                    "id": pk,
                    "partner": code,
                    "partner_name": name,
                    "role": role,
                    "signature_date": date(signature_date),
                }
            )
        return by_agreement

    def build(self, page: list[dict]) -> list[dict]:
        """The serializer's output for ``page`` (rows of ``pageable``)."""
        if not page:
            return []
        participants = self.participants([row["id"] for row in page])
        date, datetime = _date_format(), _datetime_format()
        # AgreementSerializer.get_url's address, its absolute prefix built once.
        prefix = "/api/v1/agreements/"
        if self.request is not None:
            prefix = self.request.build_absolute_uri(prefix)
        statuses = {}
        internal = self.internal
        result = []
        for row in page:
            pk, state = row["id"], row["state"]
            if state not in statuses:
                status = partner_status(state)
                statuses[state] = (status.value, status.label)
            status_value, status_label = statuses[state]
            # Every field of Meta.fields, in its order; a liaison's row has no internal column
            # (``get``), and loses the internal fields below.
            values = {
                "id": pk,
                "reference": row["reference"],
                "url": f"{prefix}{pk}/",
                "title": row["title"],
                "short_title": row["short_title"],
                "kind": row["kind"],
                "phase": row["phase"],
                "parent": row["parent_id"],
                "parent_reference": row["parent__reference"],
                "amendment_type": row["amendment_type"],
                "new_expiration_date": date(row["new_expiration_date"]),
                "lead_organization": row["lead_organization__code"],
                "participants": participants[pk],
                "authority": row["authority"],
                "authority_text": row["authority_text"],
                "state": state,
                "state_changed_at": datetime(row.get("state_changed_at")),
                "partner_status": status_value,
                "partner_status_label": status_label,
                "effective_date": date(row["effective_date"]),
                "fixed_entry_into_force_date": date(row["fixed_entry_into_force_date"]),
                "entry_into_force_date": date(row["entry_into_force_date"]),
                "expiration_date": date(row["expiration_date"]),
                "marking": row["marking"],
                "releasable_to_partners": row.get("releasable_to_partners"),
                "master_lapsed_at": datetime(row.get("master_lapsed_at")),
                "us_signatory_name": row["us_signatory_name"],
                "us_signatory_title": row["us_signatory_title"],
                "us_signature_date": date(row["us_signature_date"]),
                "congressional_notice_date": date(row.get("congressional_notice_date")),
                "internal_notes": row.get("internal_notes"),
                "action_officer": _action_officer(row) if self.with_action_officer else None,
                "created_at": datetime(row["created_at"]),
                "updated_at": datetime(row["updated_at"]),
            }
            for name in internal:
                del values[name]
            result.append(values)
        if tuple(result[0]) != self.fields:
            # A field added to (or moved in) AgreementSerializer.Meta.fields but not here.
            raise ImproperlyConfigured(
                f"AgreementListRows gives {tuple(result[0])}, AgreementSerializer gives {self.fields}."
            )
        return result


def _date_format() -> Callable[[dt.date | None], str | None]:
    """DRF's ``DateField.to_representation`` (None for None)."""
    if str(api_settings.DATE_FORMAT).lower() != ISO_8601:
        return serializers.DateField().to_representation

    def iso(value: dt.date | None) -> str | None:
        return None if value is None else value.isoformat()

    return iso


def _datetime_format() -> Callable[[dt.datetime | None], str | None]:
    """DRF's ``DateTimeField.to_representation`` of an aware datetime (None for None), in the
    current time zone. In the ISO 8601 format, its steps with the time zone looked up once a page
    instead of once a value (the page's 300 datetimes cost as much as its SQL otherwise)."""
    if not settings.USE_TZ or str(api_settings.DATETIME_FORMAT).lower() != ISO_8601:
        return serializers.DateTimeField().to_representation
    zone = timezone.get_current_timezone()

    def iso(value: dt.datetime | None) -> str | None:
        if value is None:
            return None
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return iso


def _action_officer(row: dict) -> dict | None:
    """``UserSummarySerializer`` of the action officer read in ``row`` (None for none)."""
    pk = row["action_officer_id"]
    if pk is None:
        return None
    username = row["action_officer__username"]
    # AbstractUser.get_full_name(), or the username.
    name = f"{row['action_officer__first_name']} {row['action_officer__last_name']}".strip()
    return {"id": pk, "username": username, "name": name or username, "role": row["action_officer__role"]}
