"""What every API v1 view shares, at the project level where the apps meet: the error shape and
the schema inspector that documents it, the authentication, pagination and liaison rule of each
view, Idempotency-Key, and the ViewSet mixin whose writes go through the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import permissions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response

from agreements.choices import State
from icp_portal.idempotency import IdempotentAPIMixin
from partners.api.common import LiaisonReadOnly, PortalPagination
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


class PortalFilterBackend(DjangoFilterBackend):
    """``DjangoFilterBackend`` that leaves the query set as it is when the request names none of
    the FilterSet's parameters (a plain ``?page_size=100``): the FilterSet would filter nothing,
    and building it and its form costs more than the SQL of a small page. A parameter that begins
    with a filter's name (``created_after``, a range's ``_min``) builds the FilterSet as before,
    so every filter, its validation and its 400 stay as they were."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            names = tuple(filterset_class.base_filters)
            if not any(param.startswith(names) for param in request.query_params):
                return queryset
        return super().filter_queryset(request, queryset, view)


class PortalViewMixin(IdempotentAPIMixin):
    """Schema, pagination, the liaison rule and Idempotency-Key for every v1 view."""

    schema = PortalAutoSchema()
    # The token scheme first: it names itself in WWW-Authenticate, so a missing or bad
    # credential is a 401 (with the session scheme first DRF would answer 403).
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    pagination_class = PortalPagination
    permission_classes = [permissions.IsAuthenticated, LiaisonReadOnly]

    def service_input(self, serializer_class: type) -> dict:
        """The request body, shaped and typed by ``serializer_class`` (a 400 when it is not)."""
        payload = serializer_class(data=self.request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        return payload.validated_data


@dataclass(frozen=True)
class ServiceDoors:
    """The services behind a ViewSet's writes. ``create`` is called as
    ``create(user=, **input)``; ``update`` and ``destroy`` take the object by the keyword
    ``object_name`` (``participant_update(participant=, user=, **input)``)."""

    object_name: str
    create: Callable[..., Model] | None = None
    update: Callable[..., Model] | None = None
    destroy: Callable[..., Any] | None = None


class ServiceViewSetMixin:
    """Create, update and destroy through the service that owns the rule: the input serializer
    only shapes and types the request, the service decides, and the answer is the output
    serializer of what the service returned. PUT is PATCH (only the fields sent change). Used
    with :class:`PortalViewMixin`, whose ``service_input`` shapes the body."""

    service_doors: ServiceDoors
    create_serializer_class: type | None = None
    update_serializer_class: type | None = None

    def service_response(self, instance: Model, status_code: int = status.HTTP_200_OK) -> Response:
        """What a write answers: the object as the output serializer shows it."""
        return Response(self.get_serializer(instance).data, status=status_code)

    def perform_service_create(self, data: dict) -> Model:
        return self.service_doors.create(user=self.request.user, **data)

    def perform_service_update(self, instance: Model, data: dict) -> Model:
        doors = self.service_doors
        return doors.update(**{doors.object_name: instance}, user=self.request.user, **data)

    def perform_service_destroy(self, instance: Model) -> None:
        doors = self.service_doors
        doors.destroy(**{doors.object_name: instance}, user=self.request.user)

    def create(self, request, *args, **kwargs):
        instance = self.perform_service_create(self.service_input(self.create_serializer_class))
        return self.service_response(instance, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        data = self.service_input(self.update_serializer_class)
        if data:
            instance = self.perform_service_update(instance, data)
        return self.service_response(instance)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        self.perform_service_destroy(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
