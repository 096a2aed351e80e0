"""Account lockout (STIG V-222432) on django-axes, and the address-based slow-down.

* An account is locked after ``AXES_FAILURE_LIMIT`` (3) failed sign-ins within
  ``LOCKOUT_WINDOW_MINUTES`` (15), keyed on the account name only, until an administrator unlocks
  it or ``LOCKOUT_COOLOFF_HOURS`` (3) pass. While locked, even the right password is refused and
  further attempts do not extend the lock.
* Failures from one client address only ever *slow* sign-ins from that address: past
  ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures in the window, one attempt per
  ``LOGIN_ADDRESS_DELAY_SECONDS`` is accepted from it. Nobody else's account is locked by them.

All of it lives in the shared cache (Redis in production), so every web process sees the same
counts.
"""

from __future__ import annotations

import math
import time

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_cache, get_client_cache_keys, get_client_username, get_failure_limit
from axes.signals import user_locked_out
from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

from icp_portal.addresses import client_address


def _window_seconds() -> int:
    return max(1, int(settings.LOCKOUT_WINDOW_MINUTES * 60))


def cooloff_seconds() -> int | None:
    """Seconds an account stays locked, or None: until an administrator unlocks it."""
    hours = settings.LOCKOUT_COOLOFF_HOURS
    return int(hours * 3600) if hours else None


def lockout_cooloff(request=None):
    """``AXES_COOLOFF_TIME``: the configured cool-off as a timedelta (None: until unlocked)."""
    import datetime as dt

    seconds = cooloff_seconds()
    return dt.timedelta(seconds=seconds) if seconds else None


class AccountLockoutHandler(AxesCacheHandler):
    """axes' cache handler with a failure window: failures count for ``LOCKOUT_WINDOW_MINUTES``
    from the first one; the failure that reaches the limit locks the account for the cool-off."""

    def __init__(self):
        pass  # the cache is looked up on each use (below), never kept from the first request

    @property
    def cache(self):
        return get_cache()

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None:
            return
        if getattr(request, "axes_locked_out", False):
            # Refused because the account is already locked: the lock stands as it was.
            request.axes_credentials = credentials
            return
        username = get_client_username(request, credentials)
        if not username or self.is_whitelisted(request, credentials):
            return
        limit = get_failure_limit(request, credentials)
        failures = 0
        locked = False
        for key in get_client_cache_keys(request, credentials):
            if self.cache.add(key, 1, timeout=_window_seconds()):
                count = 1
            else:
                try:
                    count = self.cache.incr(key)
                except ValueError:  # expired between add() and incr()
                    self.cache.set(key, 1, timeout=_window_seconds())
                    count = 1
            if count >= limit:
                self.cache.set(key, count, timeout=cooloff_seconds())
                locked = True
            failures = max(failures, count)
        request.axes_failures_since_start = failures
        if locked:
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=username, ip_address=request.axes_ip_address)


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: the sign-in page saying the account is locked (429)."""
    hours = settings.LOCKOUT_COOLOFF_HOURS
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_hours": hours, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


def account_unlock(*, username: str) -> int:
    """Clear the lock and the failure count of one account name (the admin's "unlock")."""
    from axes.utils import reset

    return reset(username=username)


def account_is_locked(username: str) -> bool:
    """Whether sign-ins to this account name are refused right now."""
    from axes.helpers import get_cache
    from axes.models import AccessAttempt

    keys = get_client_cache_keys(AccessAttempt(username=username))
    failures = max((get_cache().get(key) or 0 for key in keys), default=0)
    return failures >= settings.AXES_FAILURE_LIMIT


# --- the address-based slow-down ----------------------------------------------------------------


def _address_keys(request) -> tuple[str, str]:
    address = client_address(request) or "unknown"
    return f"signin:address-failures:{address}", f"signin:address-last:{address}"


def address_wait_seconds(request) -> int:
    """Seconds this address must still wait before its next sign-in attempt (0: go ahead)."""
    failures_key, last_key = _address_keys(request)
    if (cache.get(failures_key) or 0) < settings.LOGIN_ADDRESS_FAILURE_LIMIT:
        return 0
    last = cache.get(last_key)
    if last is None:
        return 0
    remaining = settings.LOGIN_ADDRESS_DELAY_SECONDS - (time.time() - last)
    return math.ceil(remaining) if remaining > 0 else 0


def address_attempt(request) -> None:
    """Note the time of a sign-in attempt from this address (used once it is being slowed)."""
    _, last_key = _address_keys(request)
    cache.set(last_key, time.time(), timeout=max(1, settings.LOGIN_ADDRESS_DELAY_SECONDS))


def address_failed(request) -> int:
    """Count one failed sign-in from this address; returns the count in the current window."""
    failures_key, _ = _address_keys(request)
    if cache.add(failures_key, 1, timeout=_window_seconds()):
        return 1
    try:
        return cache.incr(failures_key)
    except ValueError:
        cache.set(failures_key, 1, timeout=_window_seconds())
        return 1
