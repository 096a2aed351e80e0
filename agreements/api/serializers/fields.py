"""Input fields the agreement serializers share: an agreement the caller can see, partners by code."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agreements.selectors import agreements_visible_to
from partners.models import Partner


def context_user(context):
    """The user of the request a serializer's context carries, or None."""
    request = context.get("request")
    return getattr(request, "user", None)


@extend_schema_field({"type": "integer", "description": "An agreement id."})
class VisibleAgreementField(serializers.PrimaryKeyRelatedField):
    """An agreement id the caller can see; any other id reads as "does not exist"."""

    def get_queryset(self):
        return agreements_visible_to(context_user(self.context))


class PartnerCodeField(serializers.SlugRelatedField):
    """A partner by its code (GBR, NATO)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        kwargs.setdefault("queryset", Partner.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.strip().upper()
        return super().to_internal_value(data)


class PartnerCodeListField(serializers.ListField):
    """A list of partner codes, checked for its length and shape before any database work and then
    looked up in one query: an oversized list is refused at once, not after a lookup per item."""

    default_error_messages = {
        **serializers.ListField.default_error_messages,
        "not_a_code": "Each partner is a code such as GBR or NATO.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField(max_length=20))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str | dict) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        if self.min_length is not None and len(data) < self.min_length:
            self.fail("min_length", min_length=self.min_length)
        malformed = {
            index: [self.error_messages["not_a_code"]]
            for index, item in enumerate(data)
            if not (isinstance(item, str) and 0 < len(item.strip()) <= 20)
        }
        if malformed:
            raise serializers.ValidationError(dict(list(malformed.items())[:10]))
        codes = [item.strip().upper() for item in data]
        found = {partner.code: partner for partner in Partner.objects.filter(code__in=set(codes))}
        unknown = {index: [f"Unknown partner code {code}."] for index, code in enumerate(codes) if code not in found}
        if unknown:
            raise serializers.ValidationError(dict(list(unknown.items())[:10]))
        return [found[code] for code in codes]
