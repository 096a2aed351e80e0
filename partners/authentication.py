"""Authenticate ``Authorization: Token <key>`` requests with the portal's personal API tokens.

Only the SHA-256 of a key is stored (``ApiToken.key_hash``); tokens are issued and revoked by
``partners.services.api_token_create`` / ``api_token_revoke``.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import ApiToken, User

TOKEN_KEYWORD = "Token"
# last_used_at is written at most this often per token, so a busy script does not write per call.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def api_token_user(key: str) -> tuple[User, ApiToken] | None:
    """The active user an unrevoked key belongs to, or None."""
    key = (key or "").strip()
    if not key or len(key) > 200:
        return None
    token = (
        ApiToken.objects.active()
        .select_related(
            "user",
            "user__organization",
            "user__coordinating_office",
            "user__partner",
        )
        .filter(key_hash=ApiToken.hash_key(key))
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
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
