"""Doing a write once however often it is sent.

API: a POST, PATCH, PUT or DELETE with an ``Idempotency-Key`` header is recorded with a
fingerprint of the request (method, path, body) and the response it got, scoped to the caller.
A replay with the same key gets the first response again (``Idempotent-Replayed: true``) and
changes nothing; the same key with a different request is a 422. Requests that race with one key
wait for the first (the unique index holds them) and then get its response. A 5xx is not
recorded: the key can be used again. Records expire after IDEMPOTENCY_KEY_TTL_HOURS.

Browser: every POST form carries a one-time ``form_token``: the forms that create records render
it on the server (``{% form_token %}``, icp_portal/form_tokens.py), so it works without
JavaScript, and static/js/portal.js adds one to any other POST form. The
first submission that saves something (answers with a redirect) uses it up; a second submission
of the same form (a double click, a reload) is sent to what the first one made, with a note."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework import exceptions, status

from workflow.models import FormSubmission, IdempotencyRecord

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Location",)


class IdempotencyKeyInvalid(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "The Idempotency-Key header must be 1 to 255 printable ASCII characters without spaces."


class IdempotencyKeyReused(exceptions.APIException):
    """The key was used before for a different request (422)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used for a different request. Use a new key for a new request."


class IdempotentReplay(Exception):
    """Raised inside DRF's dispatch to answer with the recorded response."""

    def __init__(self, record: IdempotencyRecord):
        super().__init__(record.key)
        self.record = record


def _canonical(value):
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    if hasattr(value, "lists"):  # QueryDict / MultiValueDict
        return {key: [_canonical(v) for v in values] for key, values in sorted(value.lists())}
    if isinstance(value, dict):
        return {str(key): _canonical(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def request_fingerprint(request) -> str:
    """sha256 over the method, the path with its query and the parsed body (files by content)."""
    body = json.dumps(_canonical(request.data), sort_keys=True, default=str)
    text = f"{request.method}\n{request.get_full_path()}\n{body}"
    return hashlib.sha256(text.encode()).hexdigest()


def _expired_before() -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def replay_response(record: IdempotencyRecord) -> HttpResponse:
    """The stored first response of an idempotent request, as it was sent."""
    response = HttpResponse(record.body, status=record.status_code, content_type=record.content_type or None)
    for name, value in (record.headers or {}).items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


class IdempotentAPIMixin:
    """For DRF views: honours the ``Idempotency-Key`` header on writes (see the module note)."""

    _idempotency_record: IdempotencyRecord | None = None

    def dispatch(self, request, *args, **kwargs):
        if request.method not in WRITE_METHODS or "Idempotency-Key" not in request.headers:
            return super().dispatch(request, *args, **kwargs)
        # The record, the write and the stored response commit together: a crash in between
        # leaves no record, so a retry does the write (once).
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            record = self._idempotency_record
            if record is not None:
                if response.status_code >= 500 or transaction.get_connection().needs_rollback:
                    transaction.set_rollback(True)
                else:
                    self._idempotency_store(record, response)
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method not in WRITE_METHODS or "Idempotency-Key" not in request.headers:
            return
        key = request.headers["Idempotency-Key"]
        if not KEY_PATTERN.match(key):
            raise IdempotencyKeyInvalid()
        fingerprint = request_fingerprint(request)
        for _ in range(2):
            try:
                with transaction.atomic():
                    self._idempotency_record = IdempotencyRecord.objects.create(
                        user=request.user,
                        key=key,
                        fingerprint=fingerprint,
                        method=request.method,
                        path=request.get_full_path()[:500],
                    )
                return
            except IntegrityError:
                # Another request with this key committed first (a concurrent one waited here
                # for it to finish).
                existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if existing is None:
                continue
            if existing.created_at < _expired_before():
                existing.delete()
                continue
            if existing.fingerprint != fingerprint:
                raise IdempotencyKeyReused()
            raise IdempotentReplay(existing)
        raise exceptions.APIException("The Idempotency-Key could not be recorded. Try again.")

    def handle_exception(self, exc):
        if isinstance(exc, IdempotentReplay):
            return replay_response(exc.record)
        return super().handle_exception(exc)

    @staticmethod
    def _idempotency_store(record: IdempotencyRecord, response) -> None:
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        content = b"" if getattr(response, "streaming", False) else response.content
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=content.decode("utf-8", errors="replace"),
            headers={name: response[name] for name in KEPT_HEADERS if response.has_header(name)},
        )


# --- browser forms ------------------------------------------------------------------------------
class FormTokenMiddleware:
    """One-time form tokens for signed-in browser POSTs (not the API, which has Idempotency-Key).
    Placed last, so CSRF, authentication and the other checks have run before the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.path.startswith("/api/"):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        token = request.POST.get("form_token", "")
        if not TOKEN_PATTERN.match(token):
            return None
        with transaction.atomic():
            try:
                with transaction.atomic():
                    submission = FormSubmission.objects.create(user=user, token=token, path=request.path[:500])
            except IntegrityError:
                return self._already_submitted(request, user, token)
            response = view_func(request, *view_args, **view_kwargs)
            target = response.get("HX-Redirect") or (
                response.get("Location") if 300 <= response.status_code < 400 else None
            )
            if target and response.status_code < 500:
                FormSubmission.objects.filter(pk=submission.pk).update(redirect_to=target[:1000])
            else:
                # Nothing was saved (the form came back with its errors): the token stays usable.
                FormSubmission.objects.filter(pk=submission.pk).delete()
        return response

    @staticmethod
    def _already_submitted(request, user, token) -> HttpResponse:
        submission = FormSubmission.objects.filter(user=user, token=token).first()
        target = submission.redirect_to if submission else ""
        if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = request.path
        note = "This form was already submitted; here is what it saved."
        storage = messages.get_messages(request)
        queued = [str(message) for message in storage]
        storage.used = False  # reading them must not drop them
        if note not in queued:
            messages.info(request, note)
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)


def idempotency_records_expire() -> int:
    """Forget API keys and form tokens older than IDEMPOTENCY_KEY_TTL_HOURS."""
    cutoff = _expired_before()
    keys, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    tokens, _ = FormSubmission.objects.filter(created_at__lt=cutoff).delete()
    return keys + tokens
