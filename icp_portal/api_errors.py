"""How the REST API reports errors: one JSON shape for every failure, mapped from the exceptions
services raise, so no rule has to be re-checked in a view to get the right status code.

Every error body is ``{"detail": str, "code": str}``, plus ``errors`` (field → messages) on a 400
with field errors, ``reasons`` when a lifecycle action was refused, and ``current_state`` on a 409.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from workflow.exceptions import TransitionConflict, TransitionForbidden, TransitionRefused

logger = logging.getLogger(__name__)

NON_FIELD = "non_field_errors"


class UploadTooLarge(exceptions.APIException):
    """A file over ``settings.MAX_UPLOAD_MB`` (413)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, detail: str | None = None):
        super().__init__(detail or f"The file is larger than {settings.MAX_UPLOAD_MB} MB.")


class Conflict(exceptions.APIException):
    """The request lost a race with another change, or the object moved on (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The record changed while you were working: reload it and try again."


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field" | "field.0.sub": [messages]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = NON_FIELD if key in ("__all__", NON_FIELD) and not prefix else str(key)
            for k, v in _flatten(value, f"{prefix}.{name}" if prefix else name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list | tuple):
        if all(not isinstance(item, dict | list | tuple) for item in detail):
            out.setdefault(prefix or NON_FIELD, []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if item:
                    for k, v in _flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                        out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix or NON_FIELD, []).append(str(detail))
    return out


def _django_validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD if field == "__all__" else field): list(messages) for field, messages in exc.message_dict.items()
        }
    return {NON_FIELD: list(exc.messages)}


def validation_response(errors: dict[str, list[str]]) -> Response:
    """A 400 with a message per field and a one-line summary."""
    summary = " ".join(
        messages[0] if field == NON_FIELD else f"{field}: {messages[0]}"
        for field, messages in errors.items()
        if messages
    )
    return Response(
        {"detail": summary or "The request is invalid.", "code": "invalid", "errors": errors},
        status=status.HTTP_400_BAD_REQUEST,
    )


def _body(detail: str, code: str, **extra) -> dict:
    return {"detail": str(detail), "code": code, **extra}


def api_exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every failure as the one error shape."""
    from icp_portal.health import outage_kind, outage_response

    if kind := outage_kind(exc):
        logger.warning("API request answered with 503: %s unavailable (%r)", kind, exc)
        request = context.get("request")
        outage = outage_response(request._request if request is not None else None, kind)
        response = Response(json.loads(outage.content), status=503)
        response["Retry-After"] = outage["Retry-After"]
        return response
    if isinstance(exc, TransitionConflict):
        return Response(
            _body(exc.message, "conflict", reasons=exc.reasons, current_state=exc.current_state),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, TransitionForbidden):
        return Response(
            _body(exc.message, "permission_denied", reasons=exc.reasons),
            status=status.HTTP_403_FORBIDDEN,
        )
    if isinstance(exc, TransitionRefused):
        return Response(
            _body(exc.message, "refused", reasons=exc.reasons, errors={NON_FIELD: exc.reasons}),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        return validation_response(_django_validation_errors(exc))
    if isinstance(exc, RequestDataTooBig):
        exc = UploadTooLarge("The request body is larger than this server accepts outside file uploads.")
    if isinstance(exc, IntegrityError):
        logger.info("Integrity error answered with 409: %s", exc)
        exc = Conflict()
    if isinstance(exc, DataError):
        logger.info("Data error answered with 400: %s", exc)
        return validation_response({NON_FIELD: ["A value is out of the range this field accepts."]})
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or exceptions.PermissionDenied.default_detail)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        replacement = validation_response(errors)
        response.data = replacement.data
        return response
    detail = getattr(exc, "detail", None)
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    code = codes if isinstance(codes, str) else "error"
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response.data = _body(detail, code, retry_after_seconds=int(exc.wait))
    else:
        response.data = _body(detail if detail is not None else str(exc), code)
    return response
