"""What every API v1 view shares: the schema inspector that documents the error responses and
the fields partner liaisons never get, pagination, the liaison read-only rule at the API door,
and the serializer mixin that drops internal fields for liaisons."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import permissions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import PageNumberPagination

from agreements.choices import State
from icp_portal.idempotency import IdempotentAPIMixin
from partners.authentication import ApiTokenAuthentication

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error the API returns has this shape.",
    "properties": {
        "detail": {"type": "string", "description": "A sentence the user can read."},
        "code": {
            "type": "string",
            "description": "Machine-readable kind of error, e.g. invalid, refused, "
            "permission_denied, not_found, conflict, too_large, throttled.",
        },
        "errors": {
            "type": "object",
            "description": "On a 400: the messages per field ('non_field_errors' for the rest; "
            "nested fields as 'field.0.sub').",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "reasons": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Why a lifecycle action was refused, one condition per sentence.",
        },
        "current_state": {
            "type": "string",
            "enum": list(State.values),
            "description": "On a 409 from a lifecycle action: the agreement's state now.",
        },
        "retry_after_seconds": {
            "type": "integer",
            "description": "On a 429 or 503: seconds to wait (also in the Retry-After header).",
        },
    },
    "required": ["detail", "code"],
}

ERROR_DESCRIPTIONS = {
    "400": "Invalid input: a message per field in `errors`, or the unmet conditions in `reasons`.",
    "401": "No credentials, or an invalid or revoked token.",
    "403": "The caller may not do this to an object it can see (partner liaisons are read only).",
    "404": "No such object, or it is outside what the caller may see (existence is not revealed).",
    "409": "The record changed meanwhile (a lost race, or the agreement's state moved on): "
    "`current_state` says where it is now.",
    "413": "The upload is larger than the server's limit (MAX_UPLOAD_MB).",
    "415": "The request body's media type is not accepted here.",
    "422": "The Idempotency-Key was already used for a different request.",
    "429": "Too many requests: wait `Retry-After` seconds.",
    "503": "The database or the message broker is unavailable: retry after `Retry-After` seconds "
    "(with the same Idempotency-Key, a write is then done once).",
}
READ_ERRORS = ("400", "401", "403", "404", "429")
WRITE_ERRORS = ("400", "401", "403", "404", "409", "413", "415", "422", "429", "503")


class PortalAutoSchema(AutoSchema):
    """drf-spectacular inspector: adds the error responses to every operation and leaves the
    fields partner liaisons never receive out of ``required``."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        component = ResolvedComponent(name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA)
        registry.register_on_missing(component)
        codes = READ_ERRORS if method.upper() in ("GET", "HEAD", "OPTIONS") else WRITE_ERRORS
        responses = operation.setdefault("responses", {})
        for code in codes:
            responses.setdefault(
                code,
                {
                    "description": ERROR_DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": component.ref}},
                },
            )
        return operation

    def _map_basic_serializer(self, serializer, direction):
        result = super()._map_basic_serializer(serializer, direction)
        internal = set(getattr(getattr(serializer, "Meta", None), "internal_fields", ()))
        if internal and result.get("required"):
            result["required"] = [name for name in result["required"] if name not in internal]
            if not result["required"]:
                del result["required"]
        return result


class BoundedListField(serializers.ListField):
    """A ListField that checks the list's length before validating any item (DRF checks it after,
    so an oversized list of lookups would cost a query per item before its 400)."""

    def to_internal_value(self, data):
        if isinstance(data, str | dict) or not hasattr(data, "__len__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class PortalPagination(PageNumberPagination):
    """``?page=N&page_size=M`` (M up to 200; 50 by default)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class LiaisonReadOnly(permissions.BasePermission):
    """Partner liaisons read; they never write (the services refuse too). Checked on the object
    after it is found, so an object outside the liaison's scope stays a 404."""

    message = "Partner liaisons have read-only access."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if request.method in permissions.SAFE_METHODS or not getattr(user, "is_liaison", False):
            return True
        # Writes on a collection (no object to find first) are refused at once.
        return bool(getattr(view, "detail", False))

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return not getattr(request.user, "is_liaison", False)


def is_liaison(context: dict) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and getattr(user, "is_liaison", False))


class LiaisonSafeMixin:
    """Serializer mixin: fields named in ``Meta.internal_fields`` do not exist at all in what a
    partner liaison receives (absent, not null)."""

    def get_fields(self):
        fields = super().get_fields()
        if is_liaison(self.context):
            for name in getattr(self.Meta, "internal_fields", ()):
                fields.pop(name, None)
        return fields


class PortalViewMixin(IdempotentAPIMixin):
    """Schema, pagination, the liaison rule and Idempotency-Key for every v1 view."""

    schema = PortalAutoSchema()
    # The token scheme first: it names itself in WWW-Authenticate, so a missing or bad
    # credential is a 401 (with the session scheme first DRF would answer 403).
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    pagination_class = PortalPagination
    permission_classes = [permissions.IsAuthenticated, LiaisonReadOnly]
