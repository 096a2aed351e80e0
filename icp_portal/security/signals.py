"""Security log entries for sign-in events, and token revocation on password change and
deactivation (whichever door changed the user: admin, command, service, shell)."""

from __future__ import annotations

import time

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from . import events
from .lockout import address_failed
from .middleware import LAST_ACTIVITY, SIGNED_IN_AT
from .models import EventKind, Outcome

User = get_user_model()


@receiver(user_logged_in, dispatch_uid="security_signed_in")
def _signed_in(sender, request, user, **kwargs):
    if request is None:
        return
    session = getattr(request, "session", None)
    if session is not None:
        now = time.time()
        session[SIGNED_IN_AT] = now
        session[LAST_ACTIVITY] = now
    method = getattr(request, "sign_in_method", "password")
    events.record(EventKind.SIGN_IN, request=request, user=user, detail=f"signed in with {method}")


@receiver(user_login_failed, dispatch_uid="security_sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in ``credentials``; only the user name is kept.
    username = str((credentials or {}).get("username") or "")
    locked = bool(getattr(request, "axes_locked_out", False))
    events.record(
        EventKind.SIGN_IN,
        request=request,
        user=None,
        username=username,
        outcome=Outcome.FAILURE,
        detail="refused: the account is locked" if locked else "wrong user name or password",
    )
    if request is not None:
        address_failed(request)


@receiver(user_logged_out, dispatch_uid="security_signed_out")
def _signed_out(sender, request, user, **kwargs):
    if request is not None and user is not None:
        events.record(EventKind.SIGN_OUT, request=request, user=user)


@receiver(user_locked_out, dispatch_uid="security_locked_out")
def _locked_out(sender, request, username, ip_address=None, **kwargs):
    events.record(
        EventKind.LOCKOUT,
        request=request,
        user=None,
        username=username or "",
        outcome=Outcome.FAILURE,
        detail="too many failed sign-ins",
    )


@receiver(pre_save, sender=User, dispatch_uid="security_user_changes")
def _note_credential_changes(sender, instance, update_fields=None, **kwargs):
    """Notes a new password or a deactivation, so post_save can revoke the user's tokens."""
    instance._revoke_tokens_because = ""
    if instance.pk is None or getattr(instance, "_password_rehashed", False):
        instance._password_rehashed = False
        return
    if update_fields is not None and not ({"password", "is_active"} & set(update_fields)):
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["password"] != instance.password:
        instance._revoke_tokens_because = "password changed"
    elif before["is_active"] and not instance.is_active:
        instance._revoke_tokens_because = "account deactivated"


@receiver(post_save, sender=User, dispatch_uid="security_revoke_tokens")
def _revoke_tokens(sender, instance, created, **kwargs):
    reason = getattr(instance, "_revoke_tokens_because", "")
    if reason:
        from partners.services import api_tokens_revoke_all

        api_tokens_revoke_all(user=instance, reason=reason)
