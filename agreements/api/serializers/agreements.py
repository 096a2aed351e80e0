"""Serializers of the agreement record itself: as lists show it, in detail, the proposal and the
edit, and its SSOI. Fields partner liaisons never receive are in ``Meta.internal_fields``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from agreements.choices import AgreementKind, AmendmentType, LegalAuthority, Marking, SystemPhase
from agreements.models import SSOI, Agreement, Participant
from agreements.partner_status import PartnerStatus, partner_status
from agreements.services import SSOI_FIELDS
from icp_portal.pagination import CountedRows
from partners.api.common import LiaisonSafeMixin, is_liaison
from partners.api.serializers import UserSummarySerializer
from partners.models import Role, User
from workflow.models import CoordinationRound, PositionStatus

from .fields import PartnerCodeField, PartnerCodeListField, VisibleAgreementField


class ParticipantBriefSerializer(serializers.ModelSerializer):
    partner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)

    class Meta:
        model = Participant
        fields = ["id", "partner", "partner_name", "role", "signature_date"]
        read_only_fields = fields


class AgreementSerializer(LiaisonSafeMixin, serializers.ModelSerializer):
    """An agreement as lists show it. Fields in ``internal_fields`` are absent for partner
    liaisons."""

    lead_organization = serializers.SlugRelatedField(slug_field="code", read_only=True)
    parent_reference = serializers.CharField(source="parent.reference", read_only=True, allow_null=True)
    participants = ParticipantBriefSerializer(many=True, read_only=True)
    action_officer = UserSummarySerializer(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()
    phase = serializers.ChoiceField(choices=SystemPhase.choices, allow_blank=True, read_only=True)
    authority = serializers.ChoiceField(choices=LegalAuthority.choices, allow_blank=True, read_only=True)
    amendment_type = serializers.ChoiceField(choices=AmendmentType.choices, allow_blank=True, read_only=True)
    partner_status = serializers.SerializerMethodField(
        help_text="What partners are told of where the agreement stands (all a liaison receives: no internal state)."
    )
    partner_status_label = serializers.SerializerMethodField()

    class Meta:
        model = Agreement
        fields = [
            "id",
            "reference",
            "url",
            "title",
            "short_title",
            "kind",
            "phase",
            "parent",
            "parent_reference",
            "amendment_type",
            "new_expiration_date",
            "lead_organization",
            "participants",
            "authority",
            "authority_text",
            "state",
            "state_changed_at",
            "partner_status",
            "partner_status_label",
            "effective_date",
            "fixed_entry_into_force_date",
            "entry_into_force_date",
            "expiration_date",
            "marking",
            "releasable_to_partners",
            "master_lapsed_at",
            "us_signatory_name",
            "us_signatory_title",
            "us_signature_date",
            "congressional_notice_date",
            "internal_notes",
            "action_officer",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        internal_fields = (
            "internal_notes",
            "action_officer",
            "releasable_to_partners",
            "congressional_notice_date",
            # The internal stage and when it changed would reveal U.S.-internal steps and delays.
            "state",
            "state_changed_at",
            "master_lapsed_at",
        )

    @extend_schema_field(serializers.ChoiceField(choices=PartnerStatus.choices))
    def get_partner_status(self, agreement: Agreement) -> str:
        return partner_status(agreement.state).value

    def get_partner_status_label(self, agreement: Agreement) -> str:
        return partner_status(agreement.state).label

    def get_url(self, agreement: Agreement) -> str:
        request = self.context.get("request")
        path = f"/api/v1/agreements/{agreement.pk}/"
        return request.build_absolute_uri(path) if request else path


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


class PositionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    office = serializers.CharField(source="office.code")
    office_name = serializers.CharField(source="office.name")
    status = serializers.ChoiceField(choices=PositionStatus.choices)
    due_at = serializers.DateTimeField()
    comment = serializers.CharField()
    responded_at = serializers.DateTimeField(allow_null=True)


class CoordinationBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stage = serializers.CharField()
    opened_at = serializers.DateTimeField()
    positions = PositionBriefSerializer(many=True)


class AgreementDetailSerializer(AgreementSerializer):
    """One agreement with its SSOI progress and (DoD only) the open coordination round."""

    ssoi_completed_sections = serializers.SerializerMethodField()
    ssoi_total_sections = serializers.SerializerMethodField()
    needs_congressional_notice = serializers.BooleanField(read_only=True)
    is_multilateral = serializers.BooleanField(read_only=True)
    coordination = serializers.SerializerMethodField()

    class Meta(AgreementSerializer.Meta):
        fields = [
            *AgreementSerializer.Meta.fields,
            "ssoi_completed_sections",
            "ssoi_total_sections",
            "needs_congressional_notice",
            "is_multilateral",
            "coordination",
        ]
        read_only_fields = fields
        internal_fields = (
            *AgreementSerializer.Meta.internal_fields,
            "coordination",
            "ssoi_completed_sections",
            "ssoi_total_sections",
            "needs_congressional_notice",
        )

    def _ssoi(self, agreement):
        return getattr(agreement, "ssoi", None)

    def get_ssoi_completed_sections(self, agreement: Agreement) -> int | None:
        ssoi = self._ssoi(agreement)
        return ssoi.completeness()[0] if ssoi else None

    def get_ssoi_total_sections(self, agreement: Agreement) -> int | None:
        ssoi = self._ssoi(agreement)
        return ssoi.completeness()[1] if ssoi else None

    @extend_schema_field(CoordinationBriefSerializer(allow_null=True))
    def get_coordination(self, agreement: Agreement) -> dict | None:
        round_ = CoordinationRound.objects.current_for(agreement)
        if round_ is None:
            return None
        positions = round_.positions.select_related("office").order_by("office__name")
        return CoordinationBriefSerializer(
            {"id": round_.pk, "stage": round_.stage, "opened_at": round_.opened_at, "positions": positions}
        ).data


class AgreementCreateSerializer(serializers.Serializer):
    """A proposal, logged by a program office for its own organization."""

    kind = serializers.ChoiceField(choices=AgreementKind.choices)
    title = serializers.CharField(max_length=300)
    short_title = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    partners = PartnerCodeListField(
        min_length=1,
        max_length=60,
        help_text="Partner codes (GBR, FRA, NATO …); the first is the lead unless lead_partner is given.",
    )
    lead_partner = PartnerCodeField(required=False, allow_null=True, default=None)
    parent = VisibleAgreementField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A project arrangement's master agreement, or the agreement an amendment amends.",
    )
    phase = serializers.ChoiceField(choices=SystemPhase.choices, required=False, allow_blank=True, default="")
    authority = serializers.ChoiceField(choices=LegalAuthority.choices, required=False, allow_blank=True, default="")
    authority_text = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    effective_date = serializers.DateField(required=False, allow_null=True, default=None)
    expiration_date = serializers.DateField(required=False, allow_null=True, default=None)
    marking = serializers.ChoiceField(choices=Marking.choices, required=False, allow_null=True, default=None)
    releasable_to_partners = serializers.BooleanField(default=False)
    internal_notes = serializers.CharField(max_length=20_000, required=False, allow_blank=True, default="")
    amendment_type = serializers.ChoiceField(
        choices=AmendmentType.choices, required=False, allow_blank=True, default=""
    )
    new_expiration_date = serializers.DateField(required=False, allow_null=True, default=None)


class AgreementUpdateSerializer(serializers.Serializer):
    """The record's editable fields (substance only while the program office holds the pen)."""

    title = serializers.CharField(max_length=300, required=False)
    short_title = serializers.CharField(max_length=80, required=False, allow_blank=True)
    phase = serializers.ChoiceField(choices=SystemPhase.choices, required=False, allow_blank=True)
    authority = serializers.ChoiceField(choices=LegalAuthority.choices, required=False, allow_blank=True)
    authority_text = serializers.CharField(max_length=200, required=False, allow_blank=True)
    effective_date = serializers.DateField(required=False, allow_null=True)
    fixed_entry_into_force_date = serializers.DateField(required=False, allow_null=True)
    expiration_date = serializers.DateField(required=False, allow_null=True)
    marking = serializers.ChoiceField(choices=Marking.choices, required=False)
    releasable_to_partners = serializers.BooleanField(required=False)
    internal_notes = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    action_officer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.PROGRAM_OFFICE, is_active=True),
        required=False,
        allow_null=True,
        help_text="A program office user's id.",
    )
    amendment_type = serializers.ChoiceField(choices=AmendmentType.choices, required=False, allow_blank=True)
    new_expiration_date = serializers.DateField(required=False, allow_null=True)


class SsoiSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    complete = serializers.BooleanField()


class SsoiSerializer(serializers.ModelSerializer):
    """The Summary Statement of Intent, with the sections that apply to the agreement's kind and
    which of them are still empty."""

    sections = serializers.SerializerMethodField()
    completed_sections = serializers.SerializerMethodField()
    total_sections = serializers.SerializerMethodField()

    class Meta:
        model = SSOI
        fields = [
            "agreement",
            *SSOI_FIELDS,
            "updated_at",
            "reviewed_at",
            "sections",
            "completed_sections",
            "total_sections",
        ]
        read_only_fields = fields

    @extend_schema_field(SsoiSectionSerializer(many=True))
    def get_sections(self, ssoi: SSOI) -> list[dict]:
        return [{"key": s.key, "label": s.label, "complete": s.is_complete(ssoi)} for s in ssoi.sections()]

    def get_completed_sections(self, ssoi: SSOI) -> int:
        return ssoi.completeness()[0]

    def get_total_sections(self, ssoi: SSOI) -> int:
        return ssoi.completeness()[1]


def _ssoi_input_fields() -> dict:
    fields = {}
    for name in SSOI_FIELDS:
        model_field = SSOI._meta.get_field(name)
        fields[name] = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=20_000,
            help_text=str(model_field.verbose_name).capitalize() + ".",
        )
    return fields


SsoiUpdateSerializer = type(
    "SsoiUpdateSerializer",
    (serializers.Serializer,),
    {"__doc__": "SSOI sections to save; a draft may be saved incomplete.", **_ssoi_input_fields()},
)
