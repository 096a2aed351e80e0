"""Serializers of the reference data (partners, organizations, coordinating offices) and of the
caller itself."""

from __future__ import annotations

from rest_framework import serializers

from partners.models import CoordinatingOffice, Organization, Partner, Role, User


class PartnerSerializer(serializers.ModelSerializer):
    """A partner nation or international organization, with the flags the legal rules read."""

    counts_as_nato = serializers.BooleanField(read_only=True)
    eligible_for_section_65 = serializers.BooleanField(read_only=True)
    only_other_friendly = serializers.BooleanField(read_only=True)

    class Meta:
        model = Partner
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "is_nato_member",
            "is_nato_body",
            "is_mnna",
            "is_eu_body",
            "is_other_friendly",
            "active",
            "counts_as_nato",
            "eligible_for_section_65",
            "only_other_friendly",
        ]
        read_only_fields = fields


class OrganizationSerializer(serializers.ModelSerializer):
    """A DoD Component whose program offices lead agreements."""

    class Meta:
        model = Organization
        fields = ["id", "code", "name"]
        read_only_fields = fields


class CoordinatingOfficeSerializer(serializers.ModelSerializer):
    """An office consulted in RAD and RFA coordination rounds."""

    class Meta:
        model = CoordinatingOffice
        fields = ["id", "code", "name", "coordinates_by_default", "active"]
        read_only_fields = fields


class UserSummarySerializer(serializers.ModelSerializer):
    """Who did something: enough to name a DoD user, nothing more."""

    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name", "role"]
        read_only_fields = fields

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.username


class MeSerializer(serializers.ModelSerializer):
    """The caller: its role and what it is bound to."""

    name = serializers.SerializerMethodField()
    email = serializers.CharField(read_only=True, help_text="May be empty.")
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    organization = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    coordinating_office = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    partner = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "name",
            "email",
            "role",
            "organization",
            "coordinating_office",
            "partner",
        ]
        read_only_fields = fields

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.username

    def to_representation(self, user: User) -> dict:
        # The fields above describe the schema; the answer is built directly, since building a
        # ModelSerializer's fields costs more than the rest of this most frequent request.
        def code(related_id, name):
            return getattr(user, name).code if related_id is not None else None

        return {
            "id": user.pk,
            "username": user.username,
            "name": self.get_name(user),
            "email": user.email,
            "role": user.role,
            "organization": code(user.organization_id, "organization"),
            "coordinating_office": code(user.coordinating_office_id, "coordinating_office"),
            "partner": code(user.partner_id, "partner"),
        }
