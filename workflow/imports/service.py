"""The import service: plan every row, then write the valid ones in chunks of a few queries
each, in one transaction, and start the clocks the imported agreements' states run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from agreements.choices import (
    REVIEW_STATES,
    ParticipantRole,
    State,
)
from agreements.models import (
    SSOI,
    Agreement,
    Contribution,
    Participant,
    ReferenceCounter,
)
from partners.models import CoordinatingOffice, Role, User

from ..models import (
    CoordinationPosition,
    CoordinationRound,
    CoordinationStage,
    ImportPhase,
    Notification,
    ReportingObligation,
    TransitionLog,
)
from ..services import _open_obligations, awaited_deadlines_refresh
from ..services.coordination import _position_message, _position_request_key, _review_request
from ..services.people import _reviewers
from ..transitions import EVENT_IMPORTED
from .planning import REFERENCE_PATTERN, _Ctx, _order, _plan_row, _Planned
from .reading import ImportFileError, ImportResult, read_rows
from .values import UNITED_STATES_CODE, _Lookups


# --- the service ------------------------------------------------------------------------------
def import_denial(user: User) -> str | None:
    """Why ``user`` may not import agreements, or None for administrators and reviewers."""
    if user.is_portal_admin or user.is_reviewer:
        return None
    return "Only administrators and OUSD(A&S) reviewers may import agreements."


def agreements_import(
    *,
    content: bytes,
    filename: str,
    user: User,
    dry_run: bool = True,
    valid_only: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportResult:
    """Read the file and create its agreements. ``dry_run`` reports what would happen and writes
    nothing; otherwise nothing is written unless every row is valid, or ``valid_only`` imports the
    valid rows and leaves the others. Raises ImportFileError when the file cannot be read.

    ``progress(phase, done, total)`` is told how far it got: while checking (every
    PROGRESS_EVERY rows, ``total`` the rows of the file), then while writing (after each chunk,
    ``total`` the rows to write)."""
    if denial := import_denial(user):
        raise PermissionDenied(denial)
    filename = (filename or "import").replace("\\", "/").rsplit("/", 1)[-1][:120]
    rows, ignored = read_rows(content, filename)
    result = ImportResult(filename=filename, rows=rows, dry_run=dry_run, ignored_columns=ignored)
    ctx = _Ctx(user, filename, _Lookups.load(rows))
    ordered = _order(rows)
    plans: list[_Planned] = []
    for checked, row in enumerate(ordered):
        if progress and checked % PROGRESS_EVERY == 0:
            progress(ImportPhase.CHECKING, checked, len(ordered))
        plan = _plan_row(row, ctx)
        if row.action == "exists":
            continue
        if row.problems or plan is None:
            row.action = "error"
            ctx.bad_keys.update(k for k in (row.values.get("reference"), row.values.get("external_reference")) if k)
            continue
        row.action = "create"
        plans.append(plan)
        for key in (plan.agreement.reference, plan.agreement.external_reference):
            if key:
                ctx.planned[key] = plan
    if progress:
        progress(ImportPhase.CHECKING, len(ordered), len(ordered))
    if dry_run or not plans or (result.errors and not valid_only):
        for plan in plans:
            plan.agreement.pk = None
        # A file whose every row is in the portal already is a successful import of nothing.
        result.committed = not dry_run and not plans and (valid_only or not result.errors)
        return result
    total = len(plans)
    if progress:
        progress(ImportPhase.WRITING, 0, total)
    try:
        with transaction.atomic():
            _reserve_references(plans)
            done = 0
            for chunk in _chunks(plans):
                _write(chunk, ctx)
                done += len(chunk)
                if progress:
                    progress(ImportPhase.WRITING, done, total)
    except IntegrityError as exc:
        # Only a concurrent change can get here (every rule was checked above): nothing is kept.
        raise ImportFileError(
            "The database refused the import, nothing was written: another change to the same agreements "
            f"happened at the same time ({exc.__class__.__name__}). Check the file again."
        ) from None
    result.committed = True
    return result


WRITE_CHUNK = 500
PROGRESS_EVERY = 25  # rows checked between two progress reports


def _chunks(plans: list[_Planned]):
    """Chunks of at most WRITE_CHUNK rows, a parent always in an earlier chunk than its children."""
    written: set[int] = set()
    chunk: list[_Planned] = []
    for plan in plans:  # already ordered parents first
        if len(chunk) >= WRITE_CHUNK or (plan.parent is not None and id(plan.parent) not in written):
            if chunk:
                yield chunk
                written.update(id(p) for p in chunk)
            chunk = []
        chunk.append(plan)
    if chunk:
        yield chunk


def _reserve_references(plans: list[_Planned]) -> None:
    """Move the reference counters past the file's own ICP-YYYY-NNNN references, so that new
    proposals never collide with imported ones."""
    highest: dict[int, int] = {}
    for plan in plans:
        match = REFERENCE_PATTERN.match(plan.agreement.reference)
        if match:
            year, number = int(match[1]), int(match[2])
            highest[year] = max(highest.get(year, 0), number)
    for year, number in highest.items():
        counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
        if counter.last < number:
            counter.last = number
            counter.save(update_fields=["last"])


def _write(plans: list[_Planned], ctx: _Ctx) -> None:
    """Write a chunk of valid rows (parents were written in an earlier chunk) in a few queries:
    the agreements, their participants, contributions, SSOIs, field history and audit rows."""
    user, now = ctx.user, timezone.now()
    missing = [p for p in plans if not p.agreement.reference]
    if missing:
        year = timezone.localdate().year
        counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
        for plan in missing:
            counter.last += 1
            plan.agreement.reference = f"ICP-{year}-{counter.last:04d}"
        counter.save(update_fields=["last"])
    agreements = []
    for plan in plans:
        plan.agreement.pk = None
        if plan.parent is not None:
            plan.agreement.parent = plan.parent.agreement  # written in an earlier chunk: a real id now
        agreements.append(plan.agreement)
    reason = f"Imported from {ctx.filename}"[:100]
    bulk_create_with_history(agreements, Agreement, default_user=user, default_change_reason=reason, default_date=now)
    participants, contributions = [], []
    for plan in plans:
        if UNITED_STATES_CODE in plan.totals:
            contributions.append(_imported_total(plan.agreement, None, plan.totals[UNITED_STATES_CODE]))
        for partner in plan.partners:
            participant = Participant(
                agreement=plan.agreement,
                partner=partner,
                role=ParticipantRole.LEAD if partner.code == plan.lead else ParticipantRole.PARTICIPANT,
                signature_date=plan.signatures.get(partner.code),
            )
            participants.append(participant)
            if partner.code in plan.totals:
                contributions.append(_imported_total(plan.agreement, participant, plan.totals[partner.code]))
    bulk_create_with_history(participants, Participant, default_user=user, default_change_reason=reason)
    for contribution in contributions:
        if contribution.participant is not None:
            contribution.participant = contribution.participant  # the participant has its id now
    bulk_create_with_history(contributions, Contribution, default_user=user, default_change_reason=reason)
    bulk_create_with_history(
        [SSOI(agreement=p.agreement) for p in plans], SSOI, default_user=user, default_change_reason=reason
    )
    who = user.get_full_name() or user.username
    TransitionLog.objects.bulk_create(
        [
            TransitionLog(
                agreement=p.agreement,
                transition=EVENT_IMPORTED,
                source="",
                target=p.agreement.state,
                user=user,
                timestamp=now,
                comment=f"Imported from {ctx.filename} row {p.row.number} by {who}.",
                data={
                    "file": ctx.filename,
                    "row": p.row.number,
                    "state_since": timezone.localtime(p.agreement.state_changed_at).date().isoformat(),
                },
            )
            for p in plans
        ]
    )
    _open_clocks([p.agreement for p in plans])
    for plan in plans:
        plan.row.action, plan.row.reference = "create", plan.agreement.reference


def _imported_total(agreement: Agreement, participant: Participant | None, amount: Decimal) -> Contribution:
    """One party's total contribution from the file (the United States' when ``participant`` is None)."""
    return Contribution(
        agreement=agreement, participant=participant, description="Total contribution (imported)", amount_usd=amount
    )


def _notify_reviews(rounds: list[CoordinationRound], offices: list[CoordinatingOffice], due: dt.datetime) -> None:
    """The notifications a submission for review sends, one per agreement: each office's
    coordinators are asked for their position on that round, the reviewers to review it. Each
    names the agreement and the round, links to it and is closed when the round closes (the same
    messages and keys as ``coordination_round_open``), written in bulk for a large file."""
    coordinators: dict[int, list[User]] = {}
    for user in User.objects.filter(role=Role.COORDINATOR, is_active=True, coordinating_office__in=offices):
        coordinators.setdefault(user.coordinating_office_id, []).append(user)
    reviewers = list(_reviewers())
    notifications = []
    for round_ in rounds:
        agreement = round_.agreement
        for office in offices:
            message = _position_message(agreement, round_, office, due)
            notifications += [
                Notification(
                    user=user,
                    kind="position_requested",
                    message=message,
                    dedupe_key=_position_request_key(round_, office),
                    agreement=agreement,
                )
                for user in coordinators.get(office.pk, [])
            ]
        message, key = _review_request(round_, agreement.state)
        notifications += [
            Notification(user=user, kind="review_requested", message=message, dedupe_key=key, agreement=agreement)
            for user in reviewers
        ]
    Notification.objects.bulk_create(notifications, batch_size=1000, ignore_conflicts=True)


def _open_clocks(agreements: list[Agreement]) -> None:
    """The clocks an agreement at its state would have running now: under review, a coordination
    round with the default offices (due after the silence period, from today); in force and
    signed within the transmittal period, the reporting obligations."""
    in_review = [a for a in agreements if a.state in REVIEW_STATES]
    if in_review:
        offices = list(CoordinatingOffice.objects.filter(coordinates_by_default=True, active=True))
        now = timezone.now()
        rounds = CoordinationRound.objects.bulk_create(
            [
                CoordinationRound(
                    agreement=a,
                    stage=CoordinationStage.RAD if a.state == State.RAD_REVIEW else CoordinationStage.RFA,
                    opened_at=now,
                )
                for a in in_review
            ]
        )
        due = now + dt.timedelta(days=settings.SILENCE_PERIOD_DAYS)
        CoordinationPosition.objects.bulk_create(
            [CoordinationPosition(round=r, office=o, due_at=due) for r in rounds for o in offices]
        )
        awaited_deadlines_refresh([a.pk for a in in_review])
        _notify_reviews(rounds, offices, due)
    cutoff = timezone.localdate() - dt.timedelta(days=settings.STATE_TRANSMITTAL_DAYS)
    for agreement in agreements:
        if agreement.state == State.IN_FORCE and agreement.entry_into_force_date >= cutoff:
            _open_obligations(agreement)
            # An obligation whose deadline passed before the portal knew the agreement is not invented.
            ReportingObligation.objects.filter(agreement=agreement, due_date__lt=timezone.localdate()).delete()
