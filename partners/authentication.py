"""Authenticate ``Authorization: Token <key>`` requests with the portal's personal API tokens.

Only the SHA-256 of a key is stored (``ApiToken.key_hash``); tokens are issued and revoked by
``partners.services.api_token_create`` / ``api_token_revoke``. Failed attempts are counted per
client address and per key prefix in the shared cache; past ``API_TOKEN_FAILURE_LIMIT`` in
``API_TOKEN_FAILURE_WINDOW_MINUTES`` further token requests from that address (or with that
prefix) are answered 429, and every failure and refusal is written to the security log.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from icp_portal.addresses import client_address

from .models import ApiToken, User

TOKEN_KEYWORD = "Token"
# last_used_at is written at most this often per token, so a busy script does not write per call.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
PREFIX_LENGTH = 8


def _cache_key(key_hash: str) -> str:
    return f"api-token:{key_hash}"


def api_token_cache_forget(key_hashes) -> None:
    """Drop cached lookups of these tokens: called whenever a token or its user changes
    (revocation, expiry, deactivation), so a revoked token stops working at once."""
    cache.delete_many([_cache_key(h) for h in key_hashes])


def _token_still_valid(token: ApiToken, now: dt.datetime) -> bool:
    """The checks a cached lookup repeats on every request: not revoked, not expired."""
    if token.revoked_at is not None:
        return False
    expires_at = getattr(token, "expires_at", None)
    return expires_at is None or expires_at > now


def api_token_user(key: str, *, address: str | None = None) -> tuple[User, ApiToken] | None:
    """The active user an unrevoked, unexpired key belongs to, or None.

    A verified token is remembered (with its user) for API_TOKEN_CACHE_SECONDS under its hash,
    so a script's every call does not join four tables; any change to the token or its user
    (revocation, expiry, deactivation) deletes the entry at once (``api_token_cache_forget``,
    called from the model signals in partners.apps), and expiry is checked again on every hit."""
    key = (key or "").strip()
    if not key or len(key) > 200:
        return None
    key_hash = ApiToken.hash_key(key)
    now = timezone.now()
    cached = cache.get(_cache_key(key_hash))
    if cached is not None:
        token = cached
    else:
        token = (
            ApiToken.objects.active()
            .select_related(
                "user",
                "user__organization",
                "user__coordinating_office",
                "user__partner",
            )
            .filter(key_hash=key_hash)
            .first()
        )
        if token is None:
            return None
    if not _token_still_valid(token, now) or not token.user.is_active or not token.user.may_hold_api_tokens:
        cache.delete(_cache_key(key_hash))
        return None
    if (
        token.last_used_at is None
        or now - token.last_used_at >= LAST_USED_RESOLUTION
        or token.last_used_from != address
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_from=address)
        token.last_used_at, token.last_used_from = now, address
        cached = None
    if cached is None:
        cache.set(_cache_key(key_hash), token, timeout=settings.API_TOKEN_CACHE_SECONDS)
    return token.user, token


def _failure_keys(address: str | None, prefix: str) -> list[str]:
    return [f"token-failures:address:{address or 'unknown'}", f"token-failures:prefix:{prefix or '-'}"]


def _window_seconds() -> int:
    return max(1, int(settings.API_TOKEN_FAILURE_WINDOW_MINUTES * 60))


def _count_failure(keys: list[str]) -> None:
    for key in keys:
        if not cache.add(key, 1, timeout=_window_seconds()):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=_window_seconds())


class ApiTokenAuthentication(BaseAuthentication):
    """DRF authentication for ``Authorization: Token <key>`` with the portal's hashed tokens."""

    keyword = TOKEN_KEYWORD

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        address = client_address(request)
        prefix = ""
        if len(parts) == 2:
            prefix = parts[1][:PREFIX_LENGTH].decode("ascii", "replace")
        keys = _failure_keys(address, prefix)
        # Both counters in one round trip to the cache: this runs on every token request.
        if max(cache.get_many(keys).values(), default=0) >= settings.API_TOKEN_FAILURE_LIMIT:
            self._log(request, "token_throttled", prefix, "too many failed token authentications")
            raise exceptions.Throttled(
                wait=_window_seconds(),
                detail="Too many failed token authentications from this address or with this key. Wait and try again.",
            )
        if len(parts) != 2:
            self._fail(request, keys, prefix, "malformed header")
            raise exceptions.AuthenticationFailed(
                "Invalid token header: send 'Authorization: Token <key>' with one key and no spaces."
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            self._fail(request, keys, prefix, "non-ASCII key")
            raise exceptions.AuthenticationFailed(
                "Invalid token header: the key has characters a key never has."
            ) from None
        found = api_token_user(key, address=address)
        if found is None:
            self._fail(request, keys, prefix, "unknown, revoked or expired key")
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired token.")
        return found

    def _fail(self, request, keys: list[str], prefix: str, why: str) -> None:
        _count_failure(keys)
        self._log(request, "token_failed", prefix, why)

    @staticmethod
    def _log(request, kind: str, prefix: str, why: str) -> None:
        from icp_portal.security.events import Outcome, record

        # Only the first characters of the presented key are kept: enough to recognise a token
        # from its owner's profile page, never enough to use it.
        record(
            kind,
            request=request._request if hasattr(request, "_request") else request,
            user=None,
            outcome=Outcome.FAILURE,
            target=f"key starting {prefix}…" if prefix else "",
            detail=why,
        )

    def authenticate_header(self, request) -> str:
        return self.keyword
