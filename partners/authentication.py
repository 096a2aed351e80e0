"""Personal API tokens: issue, revoke, and authenticate ``Authorization: Token <key>`` requests.

Only the SHA-256 of a key is stored (``ApiToken.key_hash``); the key itself is shown once, when
it is created, on the profile page or by ``manage.py api_token``.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import ApiToken, User

TOKEN_KEYWORD = "Token"
TOKEN_NAME_MAX = ApiToken._meta.get_field("name").max_length
# last_used_at is written at most this often per token, so a busy script does not write per call.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a new token for ``user``; returns the row and the key, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. the script that will use it."})
    if len(name) > TOKEN_NAME_MAX:
        raise ValidationError({"name": f"A token name has at most {TOKEN_NAME_MAX} characters."})
    if not user.is_active:
        raise PermissionDenied("An inactive user cannot hold API tokens.")
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=ApiToken.hash_key(key))
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user: User) -> ApiToken:
    """Revoke one of the user's own tokens. Revoking twice keeps the first revocation time."""
    if token.user_id != user.pk:
        raise PermissionDenied("You can revoke only your own tokens.")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


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
