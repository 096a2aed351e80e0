"""The security log, and the certificate subjects that may sign in with a CAC/PKI certificate."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class EventKind(models.TextChoices):
    SIGN_IN = "sign_in", "Sign-in"
    SIGN_OUT = "sign_out", "Sign-out"
    SESSION_EXPIRED = "session_expired", "Session expired"
    BANNER_ACK = "banner_ack", "Consent banner acknowledged"
    LOCKOUT = "lockout", "Account locked out"
    UNLOCK = "unlock", "Account unlocked"
    ADDRESS_SLOWED = "address_slowed", "Sign-ins from an address slowed"
    PERMISSION_REFUSED = "permission_refused", "Permission refused"
    TOKEN_CREATED = "token_created", "API token created"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    TOKEN_FAILED = "token_failed", "API token authentication failed"
    TOKEN_THROTTLED = "token_throttled", "API token authentication throttled"
    DOCUMENT_DOWNLOAD = "document_download", "Document download"


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"


class SecurityEvent(models.Model):
    """One security-relevant event: who, what, when (UTC), from where, and the outcome. Never holds
    a password, a token key or a session id. Written only by ``security.events.record``."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=30, choices=EventKind.choices, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="security_events"
    )
    username = models.CharField(max_length=150, blank=True, help_text="The account named, even when it does not exist.")
    client_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=500, blank=True)
    target = models.CharField(max_length=200, blank=True, help_text="What the event concerned, e.g. a document.")
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["username", "-at"], name="security_event_user_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S}Z {self.get_kind_display()} {self.username or '-'} {self.outcome}"


class CertificateIdentity(models.Model):
    """A certificate subject (DN) the trusted TLS proxy may present, mapped to one portal user."""

    subject = models.CharField(
        max_length=500, unique=True, help_text="The certificate subject DN exactly as the proxy sends it."
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificate_identities")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["subject"]
        verbose_name = "certificate identity"
        verbose_name_plural = "certificate identities"

    def __str__(self) -> str:
        return f"{self.subject} → {self.user}"
