"""Authenticate ``Authorization: Token <key>`` requests with the portal's personal API tokens.

Only the SHA-256 of a key is stored (``ApiToken.key_hash``); tokens are issued and revoked by
``partners.services.api_token_create`` / ``api_token_revoke``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import ApiToken, User

TOKEN_KEYWORD = "Token"
# last_used_at is written at most this often per token, so a busy script does not write per call.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


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


def api_token_user(key: str) -> tuple[User, ApiToken] | None:
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
    if not _token_still_valid(token, now) or not token.user.is_active:
        cache.delete(_cache_key(key_hash))
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        cached = None
    if cached is None:
        cache.set(_cache_key(key_hash), token, timeout=settings.API_TOKEN_CACHE_SECONDS)
    return token.user, token


class ApiTokenAuthentication(BaseAuthentication):
    """DRF authentication for ``Authorization: Token <key>`` with the portal's hashed tokens."""

    keyword = TOKEN_KEYWORD

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid token header: send 'Authorization: Token <key>' with one key and no spaces."
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                "Invalid token header: the key has characters a key never has."
            ) from None
        found = api_token_user(key)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired token.")
        return found

    def authenticate_header(self, request) -> str:
        return self.keyword
