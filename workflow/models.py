"""Coordination rounds, the append-only audit trail, reporting obligations, the outbox,
notifications and PDF render jobs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from agreements.choices import State

if TYPE_CHECKING:
    from agreements.models import Agreement


class CoordinationStage(models.TextChoices):
    RAD = "rad", "RAD (authority to negotiate)"
    RFA = "rfa", "RFA (final approval)"


class CoordinationRoundQuerySet(models.QuerySet):
    def open(self) -> CoordinationRoundQuerySet:
        return self.filter(closed_at__isnull=True)

    def current_for(self, agreement: Agreement) -> CoordinationRound | None:
        return self.open().filter(agreement=agreement).order_by("-opened_at").first()


class CoordinationRound(models.Model):
    """One RAD or RFA coordination among the consulted offices; closes on a decision or return."""

    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.CASCADE, related_name="coordination_rounds")
    stage = models.CharField(max_length=3, choices=CoordinationStage.choices)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=40, blank=True, help_text="The transition that closed the round.")

    objects = CoordinationRoundQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement"], condition=Q(closed_at__isnull=True), name="one_open_round_per_agreement"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} round for {self.agreement.reference}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class PositionStatus(models.TextChoices):
    PENDING = "pending", "Awaiting position"
    CONCUR = "concur", "Concur"
    NON_CONCUR = "non_concur", "Non-concur"
    COMMENT = "comment", "Comment"
    CONCURRED_BY_SILENCE = "silence", "Concurred by silence"


# Positions still awaited: no answer yet, or only a comment (a comment is not a position).
AWAITED_POSITION_STATUSES = (PositionStatus.PENDING, PositionStatus.COMMENT)


class CoordinationPosition(models.Model):
    """One office's position in a round, due at its silence deadline."""

    round = models.ForeignKey(CoordinationRound, on_delete=models.CASCADE, related_name="positions")
    office = models.ForeignKey("partners.CoordinatingOffice", on_delete=models.PROTECT, related_name="positions")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=PositionStatus.choices, default=PositionStatus.PENDING)
    comment = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="positions"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    # Derived: whether its round is still open, copied when the round closes (services/lifecycle),
    # so an office's open positions have an index of their own (positions due).
    round_open = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ["due_at", "office__name"]
        indexes = [
            # Overdue and due positions (dashboard, positions due) among the few still unanswered.
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=["pending", "comment"]),
                name="position_unanswered_due",
            ),
            models.Index(fields=["office", "due_at"], name="position_office_due"),
            # Positions due: an office's positions in open rounds, not settled by silence, in order.
            models.Index(
                fields=["office", "due_at", "id"],
                include=["status"],
                condition=Q(round_open=True) & ~Q(status="silence"),
                name="position_open_office_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["round", "office"], name="position_unique_office_per_round"),
            models.CheckConstraint(
                condition=~Q(status=PositionStatus.NON_CONCUR) | ~Q(comment=""),
                name="position_non_concur_has_comment",
                violation_error_message="A non-concurrence needs a comment.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office}: {self.get_status_display()}"

    @property
    def is_non_concurrence(self) -> bool:
        return self.status == PositionStatus.NON_CONCUR

    @property
    def is_answered(self) -> bool:
        return self.status in (PositionStatus.CONCUR, PositionStatus.NON_CONCUR, PositionStatus.CONCURRED_BY_SILENCE)

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        return not self.is_answered and self.due_at <= (now or timezone.now())

    def is_silent_concurrence(self, now: dt.datetime | None = None) -> bool:
        """Unanswered past the deadline: deemed to concur at once, before the sweep records it."""
        return self.status == PositionStatus.CONCURRED_BY_SILENCE or (
            self.status in (PositionStatus.PENDING, PositionStatus.COMMENT) and self.is_overdue(now)
        )

    def effective_status(self, now: dt.datetime | None = None) -> str:
        """The status as it counts now: an unanswered position past its deadline is "silence"."""
        return PositionStatus.CONCURRED_BY_SILENCE if self.is_silent_concurrence(now) else self.status

    def status_label(self, now: dt.datetime | None = None) -> str:
        """The position as people should read it now (computed "Concurred by silence")."""
        if self.is_silent_concurrence(now):
            return PositionStatus.CONCURRED_BY_SILENCE.label
        return self.get_status_display()

    def counts_as_concurrence(self, now: dt.datetime | None = None) -> bool:
        if self.status in (PositionStatus.CONCUR, PositionStatus.CONCURRED_BY_SILENCE):
            return True
        return self.status in (PositionStatus.PENDING, PositionStatus.COMMENT) and self.is_overdue(now)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("The audit trail is append-only.")

    def delete(self) -> NoReturn:
        raise PermissionError("The audit trail is append-only.")


class TransitionLog(models.Model):
    """The audit trail: one row per lifecycle event. Append-only (a PostgreSQL trigger enforces it)."""

    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.PROTECT, related_name="transition_logs")
    transition = models.CharField(max_length=40)
    source = models.CharField(max_length=30, choices=State.choices, blank=True)
    target = models.CharField(max_length=30, choices=State.choices, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="transition_logs"
    )
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["timestamp", "pk"]
        indexes = [models.Index(fields=["agreement", "timestamp"])]

    def __str__(self) -> str:
        return f"{self.agreement_id}: {self.transition} {self.source}→{self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("The audit trail is append-only.")

    @property
    def actor(self) -> str:
        if self.user is None:
            return "ICP Portal (system)"
        return self.user.get_full_name() or self.user.username


class ObligationKind(models.TextChoices):
    STATE_TRANSMITTAL = "state_transmittal", "Text to the State Department treaty office"
    CONGRESSIONAL_REPORT = "congressional_report", "Monthly report to Congress"


class ReportingObligation(models.Model):
    """A clock started by entry into force (22 CFR 181.7 transmittal, the monthly report)."""

    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.CASCADE, related_name="obligations")
    kind = models.CharField(max_length=30, choices=ObligationKind.choices)
    due_date = models.DateField()
    completed_date = models.DateField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["due_date"]
        indexes = [
            models.Index(fields=["due_date"], condition=Q(completed_date__isnull=True), name="obligation_open_due"),
        ]
        constraints = [models.UniqueConstraint(fields=["agreement", "kind"], name="obligation_unique_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.agreement.reference}"

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.completed_date is None and self.due_date < (today or timezone.localdate())


class OutboxMessage(models.Model):
    """A side effect recorded in the same transaction as its cause, relayed to Celery afterwards."""

    task = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.task}({self.kwargs})"


class Notification(models.Model):
    """An in-app notification; gathered into one e-mail digest per person per day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    agreement = models.ForeignKey(
        "agreements.Agreement", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    message = models.TextField()
    dedupe_key = models.CharField(max_length=200, help_text="The same reminder is never made twice.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="notification_user_newest")]
        constraints = [
            models.UniqueConstraint(fields=["user", "dedupe_key"], name="notification_unique_per_user"),
        ]

    def __str__(self) -> str:
        return self.message


class EmailDigest(models.Model):
    """Marks the one daily digest sent to a person."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests")
    date = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    item_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "date"], name="digest_one_per_user_per_day")]

    def __str__(self) -> str:
        return f"Digest for {self.user} on {self.date}"


class RenderKind(models.TextChoices):
    SSOI = "ssoi", "SSOI"
    SUMMARY = "summary", "Agreement summary"
    REGISTER = "register", "Register of agreements in force"
    PARTNER_SUMMARY = "partner_summary", "Partner summary"
    EXPORT = "export", "Agreement list export"


# The Celery task that renders a job (workflow.tasks.render_job_run), named in its outbox messages.
RENDER_TASK = "workflow.tasks.render_job_run"


class RenderStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class RenderJob(models.Model):
    """A PDF someone asked for: its progress, and the document (or file) it produced."""

    kind = models.CharField(max_length=20, choices=RenderKind.choices)
    agreement = models.ForeignKey(
        "agreements.Agreement", null=True, blank=True, on_delete=models.CASCADE, related_name="render_jobs"
    )
    params = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="render_jobs"
    )
    status = models.CharField(max_length=12, choices=RenderStatus.choices, default=RenderStatus.QUEUED)
    document = models.ForeignKey(
        "agreements.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="render_jobs"
    )
    file = models.FileField(upload_to="renders/", blank=True, max_length=500)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} PDF ({self.get_status_display()})"

    @property
    def is_stuck(self) -> bool:
        """Queued or rendering, but no longer progressing (its worker died): the user may retry."""
        return self.stuck()

    def stuck(self, *, now: dt.datetime | None = None) -> bool:
        """Whether a job that is not finished can no longer be progressing: it started rendering
        longer ago than the render's hard time limit allows (its worker died), or its message went
        to the broker RENDER_QUEUED_STALE_SECONDS ago and no worker has started it (a lost message)."""
        now = now or timezone.now()
        if self.status == RenderStatus.RENDERING:
            return self.started_at is None or self.started_at < now - dt.timedelta(
                seconds=settings.RENDER_STALE_SECONDS
            )
        if self.status == RenderStatus.QUEUED:
            handed_over = self._last_handover()
            return handed_over is not None and handed_over < now - dt.timedelta(
                seconds=settings.RENDER_QUEUED_STALE_SECONDS
            )
        return False

    def _last_handover(self) -> dt.datetime | None:
        """When the job's newest message went to the broker (None while it still waits in the
        outbox: the outbox relay is in charge of it then)."""
        message = (
            OutboxMessage.objects.filter(task=RENDER_TASK, kwargs__job_id=self.pk)
            .order_by("-created_at", "-pk")
            .first()
        )
        if message is None:
            return dt.datetime.min.replace(tzinfo=dt.UTC)
        return message.dispatched_at


class AccessLog(models.Model):
    """Every page, API call and download a partner liaison makes, kept for accountability."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_logs")
    agreement = models.ForeignKey(
        "agreements.Agreement", null=True, blank=True, on_delete=models.PROTECT, related_name="access_logs"
    )
    document = models.ForeignKey(
        "agreements.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="access_logs"
    )
    method = models.CharField(max_length=10, default="GET")
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    request_id = models.CharField(max_length=64, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-timestamp"]

    def __str__(self) -> str:
        return f"{self.user} {self.method} {self.path}"


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboundEmail(models.Model):
    """One e-mail message in the outbox. Written in the transaction that decides to send it,
    sent afterwards by a worker (never inside a transaction), and marked sent only once the mail
    server has accepted it (its 250 reply). ``message_id`` is fixed when the row is made, so a
    resend after a lost acknowledgement carries the same Message-ID and the recipient's mail
    system can drop the copy."""

    dedupe_key = models.CharField(max_length=200, unique=True, help_text="The same message is never made twice.")
    message_id = models.CharField(max_length=250, unique=True)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=500)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outboundemail_due")]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)} ({self.get_status_display()})"


class IdempotencyRecord(models.Model):
    """An API write made with an ``Idempotency-Key`` header: the request's fingerprint and the
    response it got, so a replay with the same key gets the same response and changes nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class FormSubmission(models.Model):
    """A browser form's one-time token, used once: a second submission of the same form (a double
    click, a reload) is sent to what the first one made instead of making it again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    path = models.CharField(max_length=500)
    redirect_to = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="form_token_used_once_per_user")]

    def __str__(self) -> str:
        return f"{self.path} [{self.token}]"


class ServiceHeartbeat(models.Model):
    """When a background process (a Celery worker, beat) last said it was alive; /readyz reads it."""

    name = models.CharField(max_length=200, primary_key=True)
    kind = models.CharField(max_length=20)
    last_seen = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_seen:%Y-%m-%d %H:%M:%S}"


class ImportStatus(models.TextChoices):
    CHECKING = "checking", "Checking the file (nothing written)"
    PREVIEWED = "previewed", "Previewed (nothing written)"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    REFUSED = "refused", "Nothing imported"
    FAILED = "failed", "Failed"


class ImportPhase(models.TextChoices):
    """What an import batch's ``processed_rows`` counts while it runs."""

    CHECKING = "checking", "Checking"
    WRITING = "writing", "Writing"


class ImportBatch(models.Model):
    """One uploaded import file: its dry-run preview, then the import itself and its progress."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_batches")
    filename = models.CharField(max_length=120)
    file = models.FileField(upload_to="imports/", max_length=300)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED)
    valid_only = models.BooleanField(default=False)
    total_rows = models.PositiveIntegerField(default=0)
    phase = models.CharField(max_length=10, choices=ImportPhase.choices, blank=True)
    processed_rows = models.PositiveIntegerField(default=0, help_text="Rows the phase has gone through.")
    phase_rows = models.PositiveIntegerField(default=0, help_text="Rows the phase goes through.")
    preview = models.JSONField(default=dict, blank=True, help_text="The dry run's row-by-row report.")
    result = models.JSONField(default=dict, blank=True, help_text="The import's row-by-row report.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the worker was last asked to check or import the file."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def report(self) -> dict:
        return self.result or self.preview

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.processed_rows / self.phase_rows)) if self.phase_rows else 0

    @property
    def in_progress(self) -> bool:
        """The worker has it (or will): the page polls its progress."""
        return self.status in (ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.RUNNING)


class CalendarFeed(models.Model):
    """A personal iCalendar feed. The secret token is in the feed's URL; only its SHA-256 is
    stored, and revoking the feed makes the URL answer 404."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Calendar feed {self.prefix}… of {self.user}"
