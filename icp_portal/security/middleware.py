"""Request-level controls: malformed addresses, the Permissions-Policy header, session idle and
absolute time-outs (STIG V-222389/V-222390), and the log of refused requests."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import reverse

from . import events
from .models import EventKind, Outcome

LAST_ACTIVITY = "security.last_activity"
SIGNED_IN_AT = "security.signed_in_at"
BACKGROUND_HEADER = "X-Portal-Background"
# The session is written at most this often just to move its last-activity time.
ACTIVITY_RESOLUTION_SECONDS = 15


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


class RequestSanityMiddleware:
    """Refuses addresses a view cannot take (a NUL byte in the path or query: 400), and adds
    Permissions-Policy to every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            message = "The address contains a character that is not allowed (NUL)."
            if _is_api(request):
                response = JsonResponse({"detail": message, "code": "invalid"}, status=400)
            else:
                response = HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        else:
            response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def idle_limit_seconds(user) -> int:
    """Idle time-out of this user's session: shorter for administrators."""
    if getattr(user, "is_staff", False) or getattr(user, "is_portal_admin", False):
        return int(settings.ADMIN_SESSION_IDLE_TIMEOUT_MINUTES * 60)
    return int(settings.SESSION_IDLE_TIMEOUT_MINUTES * 60)


def session_remaining_seconds(request) -> int:
    """Seconds before this session ends, idle or absolute, whichever comes first."""
    now = time.time()
    session = request.session
    idle_end = session.get(LAST_ACTIVITY, now) + idle_limit_seconds(request.user)
    absolute_end = session.get(SIGNED_IN_AT, now) + settings.SESSION_ABSOLUTE_TIMEOUT_HOURS * 3600
    return max(0, int(min(idle_end, absolute_end) - now))


class SessionTimeoutMiddleware:
    """Ends a signed-in session on the server after ``SESSION_IDLE_TIMEOUT_MINUTES`` without
    activity (``ADMIN_SESSION_IDLE_TIMEOUT_MINUTES`` for administrators) or
    ``SESSION_ABSOLUTE_TIMEOUT_HOURS`` after sign-in. Requests sent with ``X-Portal-Background``
    (status polling) do not count as activity."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            expired = self._check(request, user)
            if expired is not None:
                return expired
        return self.get_response(request)

    def _check(self, request, user):
        session = request.session
        now = time.time()
        last = session.get(LAST_ACTIVITY)
        started = session.get(SIGNED_IN_AT)
        if started is None:
            session[SIGNED_IN_AT] = started = now
        reason = ""
        if last is not None and now - last > idle_limit_seconds(user):
            reason = f"idle for more than {idle_limit_seconds(user) // 60} minutes"
        elif now - started > settings.SESSION_ABSOLUTE_TIMEOUT_HOURS * 3600:
            reason = f"signed in for more than {settings.SESSION_ABSOLUTE_TIMEOUT_HOURS} hours"
        if reason:
            events.record(EventKind.SESSION_EXPIRED, request=request, user=user, outcome=Outcome.SUCCESS, detail=reason)
            logout(request)  # flushes the session row: the old cookie is worthless from now on
            return self._expired_response(request, reason)
        background = request.headers.get(BACKGROUND_HEADER) == "1"
        resolution = min(ACTIVITY_RESOLUTION_SECONDS, idle_limit_seconds(user) / 10)
        keepalive = request.path == reverse("session_keepalive")
        if keepalive or (not background and (last is None or now - last >= resolution)):
            session[LAST_ACTIVITY] = now
        return None

    def _expired_response(self, request, reason: str):
        text = f"You were signed out: {reason}. Sign in again to continue."
        if _is_api(request) or request.path.startswith("/session/"):
            return JsonResponse({"detail": text, "code": "session_expired"}, status=401)
        login_url = settings.LOGIN_URL
        if request.headers.get("HX-Request") == "true":
            from django.shortcuts import resolve_url

            response = HttpResponse(status=204)
            response["HX-Redirect"] = resolve_url(login_url)
            return response
        messages.warning(request, text)
        return redirect_to_login(request.get_full_path(), login_url)


class RefusalLogMiddleware:
    """Writes every refused request (403) to the security log: who, from where, which path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            events.record(
                EventKind.PERMISSION_REFUSED,
                request=request,
                outcome=Outcome.FAILURE,
                detail=f"{request.method} answered 403",
            )
        return response
