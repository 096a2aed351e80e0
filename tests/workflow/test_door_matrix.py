"""Every rule × every door. For each rule of workflow.rulebook (the integrity rules and the
lifecycle rules of the domain), each door that could break it — the service, the browser form,
the REST API, the admin, amendment application, a sweep — is tried, and each refuses with the same
sentence and changes nothing. A door that cannot touch the rule says why in its row.

The test fails when a rule is added to the rulebook without its rows here, and when a new door
appears (a service, a browser route, an API route, an admin registration, a sweep) without being
listed below."""

from __future__ import annotations

import dataclasses
import inspect
import pkgutil
import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from tests.workflow.door_matrix import CHECKS, SETUPS, World
from tests.workflow.door_matrix.discovery import project_commands, project_tasks, record_writers
from workflow import services as workflow_services
from workflow.rulebook import DOORS, RULE_KEYS, RULES
from workflow.transitions import TRANSITION_NAMES, TransitionInfo

pytestmark = pytest.mark.django_db


# --- the tests ------------------------------------------------------------------------------------
def test_every_rule_has_a_row_for_every_door():
    assert set(CHECKS) == set(RULE_KEYS), "a rule of workflow.rulebook has no rows here"
    assert set(SETUPS) == set(RULE_KEYS)
    for key, doors in CHECKS.items():
        missing = set(DOORS) - set(doors)
        assert not missing, f"{key}: no row for the door(s) {sorted(missing)}"
        tried = [d for d, row in doors.items() if callable(row)]
        assert tried, f"{key}: no door is tried"


@pytest.mark.parametrize("rule", RULE_KEYS)
def test_rule_holds_at_every_door(rule, cast, make_agreement):
    world = World(cast, make_agreement)
    ctx = SETUPS[rule](world)
    for door_name in DOORS:
        row = CHECKS[rule][door_name]
        if callable(row):
            row(world, ctx)


# --- the doors themselves: a new one fails here until it has its rows -----------------------------
# Every write service, and the rules of the register it must pass (through the one home of each).
SERVICE_DOORS = {
    "agreements.services": {
        "agreement_create": "section_65_partner pa_partners_in_master lead_partner_among_partners parent_candidate "
        "pa_within_master_term dates_ordered extension_keeps_pas program_office_own_organization",
        "agreement_update": "pen_holder_edits pa_within_master_term dates_ordered",
        "participant_add": "section_65_partner pa_partners_in_master pen_holder_edits",
        "participant_update": "pen_holder_edits",
        "participant_remove": "keeps_a_partner pen_holder_edits",
        "contribution_add": "pen_holder_edits",
        "contribution_update": "pen_holder_edits",
        "contribution_delete": "pen_holder_edits",
        "loan_item_add": "pen_holder_edits",
        "loan_item_delete": "pen_holder_edits",
        "ssoi_update": "pen_holder_edits",
        "ssoi_confirm_reviewed": "pen_holder_edits ssoi_reviewed_for_rfa",
        "document_upload": "pen_holder_edits release_needs_ddl internal_pdf_never_releasable",
        "document_update": "pen_holder_edits release_needs_ddl internal_pdf_never_releasable",
        "document_withdraw": "pen_holder_edits",
        # The two halves of document_upload (also used for the DDL letter and rendered PDFs): the
        # file stored with no lock held, then the row under the lock, where the rules are decided
        # again; the rows try them through document_upload.
        "document_file_store": "",
        "document_create": "pen_holder_edits release_needs_ddl internal_pdf_never_releasable",
        "ddl_review_request": "pen_holder_edits",
        "ddl_decide": "ddl_decided_by_disclosure_office",
        # A saved view is a user's bookmark of list filters: it touches no agreement rule.
        "saved_view_create": "",
        "saved_view_delete": "",
    },
    "workflow.services": {
        "agreement_transition": "transition_role comment_required rad_package_complete rfa_needs_ddl "
        "coordination_complete congressional_wait pa_master_in_force signed_until_fixed_date "
        "amendment_result_valid start_ssoi_ready terminate_needs_notice expiry_on_date",
        "coordination_round_open": "coordination_complete",
        "coordination_offices_set": "transition_role",
        "coordination_reminder_send": "transition_role",
        "coordination_position_record": "silence_is_final coordinator_own_office non_concurrence_needs_comment",
        "silence_sweep": "silence_is_final",
        "congressional_notice_record": "congressional_wait",
        "obligation_complete": "transition_role",
        "congressional_wait_sweep": "congressional_wait",
        "entry_into_force_sweep": "signed_until_fixed_date",
        "expiry_sweep": "master_lapse_flags_pas expiry_on_date",
        "render_job_request": "liaison_scope",
        "audit_event": "audit_append_only",
        # Recomputes the review queue's derived deadline from the coordination rows (called by the
        # coordination doors above, in their transaction): it decides nothing, so guards no rule.
        "awaited_deadlines_refresh": "",
    },
}
# Functions of those modules that read or decide but write nothing.
NOT_DOORS = {
    "agreement_edit_denial",
    "document_edit_denial",
    "available_transitions",
    "obligation_complete_denial",
    "position_silence_denial",
    "position_reminder_denial",
    "position_reminder_key",
    "participant_last_denial",
    "validate_agreement",
    "agreement_violations",
    "ddl_for",
    "ddl_request_denial",
    "ddl_decision_denial",
}


def test_every_write_service_is_a_known_door():
    import importlib

    for module_name, known in SERVICE_DOORS.items():
        package = importlib.import_module(module_name)
        # The services are a package: every module in it (a service not re-exported is found too).
        modules = [package] + [
            importlib.import_module(f"{module_name}.{info.name}") for info in pkgutil.iter_modules(package.__path__)
        ]
        public = {
            name
            for module in modules
            for name, fn in inspect.getmembers(module, inspect.isfunction)
            if fn.__module__.startswith(module_name) and not name.startswith("_")
        }
        unknown = public - set(known) - NOT_DOORS
        assert not unknown, f"new service(s) in {module_name}: add them to SERVICE_DOORS: {sorted(unknown)}"
        for name, rules in known.items():
            assert set(rules.split()) <= set(RULE_KEYS), name


# The agreement rules an imported row is refused by (tests/workflow/test_import_rules.py, a case each).
IMPORT_AGREEMENT_RULES = (
    "section_65_partner nato_bodies_are_nato pa_partners_in_master lead_partner_among_partners keeps_a_partner "
    "parent_candidate pa_within_master_term dates_ordered extension_keeps_pas amendment_result_valid "
    "pa_master_in_force start_ssoi_ready expiry_on_date"
)


# Browser routes that accept a POST, and the rows above that try them (the rest only read).
BROWSER_WRITE_ROUTES = {
    "agreement_create": "section_65_partner pa_partners_in_master lead_partner_among_partners parent_candidate "
    "program_office_own_organization",
    "agreement_detail": "pen_holder_edits",
    "agreement_ssoi": "pen_holder_edits",
    "agreement_ssoi_section": "pen_holder_edits",
    "agreement_ssoi_confirm_review": "pen_holder_edits ssoi_reviewed_for_rfa",
    # The changes on the participants, documents and coordination tabs, one route each.
    "participant_add": "pa_partners_in_master",
    "participant_remove": "keeps_a_partner",
    "document_update": "release_needs_ddl internal_pdf_never_releasable",
    "ddl_decide": "ddl_decided_by_disclosure_office",
    "agreement_transition": "transition_role comment_required rad_package_complete pa_master_in_force "
    "start_ssoi_ready terminate_needs_notice expiry_on_date",
    "position_record": "silence_is_final coordinator_own_office non_concurrence_needs_comment",
    # The import creates agreements: tests/workflow/test_import_rules.py tries each agreement rule through it
    # (who may import: the form row of program_office_own_organization).
    "import_upload": f"{IMPORT_AGREEMENT_RULES} program_office_own_organization",
    "import_run": f"{IMPORT_AGREEMENT_RULES} program_office_own_organization",
    # No row tries these routes: each calls the service of the same name (or its recorder),
    # whose rules the rows try at the service and API doors.
    "participant_update": "",
    "contribution_add": "",
    "contribution_delete": "",
    "loan_item_add": "",
    "loan_item_delete": "",
    "document_upload": "",
    "document_withdraw": "",
    "ddl_request": "",
    "coordination_offices": "",
    "congressional_notice": "",
    "position_remind": "",
    "obligation_complete": "",
    # Reminders, saved views and calendar feeds write no agreement rule's data.
    "review_queue_remind": "",
    "saved_view_create": "",
    "saved_view_delete": "",
    "calendar_feed_create": "",
    "calendar_feed_revoke": "",
}


def _route_names(resolver: URLResolver, prefix: str = "") -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern) in ("admin/", "api/v1/", "accounts/"):
                continue
            names |= _route_names(pattern)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_browser_route_is_a_known_door():
    known_read_only = {
        "home",
        "agreement_list",
        "agreement_export",
        "document_download",
        # The tabs only show (405 on a POST); their changes have the routes above.
        "agreement_participants",
        "agreement_documents",
        "agreement_coordination",
        "agreement_history",
        "review_queue",
        "positions_due",
        "dashboard",
        "liaison_dashboard",
        "render_panel",
        "render_request",
        "render_status",
        "render_download",
        "render_retry",
        "register_pdf",
        "notifications",
        "search",
        "calendar",
        "calendar_feed",
        "import_batch",
        "import_progress",
        "import_template",
        "document_compare",
        "ssoi_compare",
    }
    routes = _route_names(get_resolver())
    unknown = routes - set(BROWSER_WRITE_ROUTES) - known_read_only - PARTNER_ROUTES
    assert not unknown, f"new browser route(s): add them to BROWSER_WRITE_ROUTES or the read-only set: {unknown}"


# The person's own profile and API tokens (partners.services.api_token_create / _revoke).
PARTNER_ROUTES = {"profile", "api-token-create", "api-token-revoke"}
# Signing in and keeping a session alive (security app): no lifecycle record is written.
PARTNER_ROUTES |= {"login", "certificate_sign_in", "session_keepalive", "session_status"}
# Signing out and changing one's own password (through the password validators): no lifecycle record.
PARTNER_ROUTES |= {"logout", "password_change", "password_change_done"}


# API routes (router basenames) and what writes them.
API_ROUTES = {
    "partner": "reference data (read-only)",
    "organization": "reference data (read-only)",
    "coordinating-office": "reference data (read-only)",
    "agreement": "agreement_create agreement_update agreement_transition ddl_review_request ddl_decide",
    "participant": "participant_add participant_update participant_remove",
    "contribution": "contribution_add contribution_update contribution_delete",
    "loan-item": "loan_item_add loan_item_delete",
    "document": "document_upload document_update document_withdraw",
    "coordination-round": "coordination_offices_set",
    "coordination-position": "coordination_position_record coordination_reminder_send",
    "obligation": "obligation_complete",
    "audit-log": "read-only",
    "render-job": "render_job_request",
}


def test_every_api_route_is_a_known_door():
    from icp_portal.api_urls import router

    basenames = {basename for _prefix, _viewset, basename in router.registry}
    assert basenames == set(API_ROUTES), f"API routes changed: {basenames ^ set(API_ROUTES)}"


# Models the admin may still edit, and why that is not a lifecycle door.
ADMIN_WRITABLE = {
    "partners.partner": "reference data",
    "partners.organization": "reference data",
    "partners.coordinatingoffice": "reference data",
    "partners.user": "accounts",
    "partners.apitoken": "accounts",
    "workflow.notification": "a person's own notifications",
    "auth.group": "accounts",
    "security.certificateidentity": "accounts: the certificates bound to users",
}
# Whole apps whose admin is not a lifecycle door.
ADMIN_WRITABLE_APPS = {"axes": "login lockouts kept by django-axes"}


def test_every_admin_registration_is_read_only_or_known(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    for model, model_admin in admin.site._registry.items():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if label in ADMIN_WRITABLE or model._meta.app_label in ADMIN_WRITABLE_APPS:
            continue
        assert not model_admin.has_add_permission(request), label
        assert not model_admin.has_change_permission(request), label
        assert not model_admin.has_delete_permission(request), label
        for inline in model_admin.get_inline_instances(request):
            assert not inline.has_add_permission(request, None), (label, inline)
            assert not inline.has_change_permission(request, None), (label, inline)
            assert not inline.has_delete_permission(request, None), (label, inline)


def test_every_sweep_is_a_known_door():
    sweeps = {name for name in dir(workflow_services) if name.endswith("_sweep")}
    assert sweeps == {"silence_sweep", "congressional_wait_sweep", "entry_into_force_sweep", "expiry_sweep"}
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks <= {
        "workflow.tasks.outbox_relay",
        "workflow.tasks.lifecycle_sweeps",
        "workflow.tasks.reminders_run",
        "workflow.tasks.render_jobs_requeue_stale",
        "workflow.tasks.import_batches_requeue_stale",
        # Not lifecycle doors: they expire idempotency records and send queued e-mail.
        "workflow.tasks.idempotency_records_expire",
        "workflow.tasks.emails_send_due",
    }, f"new scheduled task(s): {tasks}"


# --- the lifecycle's guards: each condition and permission is named by a rule --------------------
def _named_by_a_rule(name: str) -> bool:
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    return any(pattern.search(rule.home) for rule in RULES)


def test_every_lifecycle_guard_is_named_by_a_rule():
    """Every condition and permission of a transition of the Agreement model, and every one
    agreements.lifecycle defines, is named in the home of a rulebook rule (which has its rows)."""
    from agreements import lifecycle
    from agreements.models import Agreement

    state = Agreement._meta.get_field("state")
    transitions = list(state.get_all_transitions(Agreement))
    guards = {c.__name__ for t in transitions for c in t.conditions} | {
        t.permission.__name__ for t in transitions if t.permission
    }
    defined = {
        name
        for name, member in vars(lifecycle).items()
        if isinstance(member, lifecycle.Condition | lifecycle.Permission)
    }
    assert guards <= defined, f"a transition is guarded outside agreements.lifecycle: {sorted(guards - defined)}"
    unnamed = sorted(name for name in defined if not _named_by_a_rule(name))
    assert not unnamed, (
        f"lifecycle condition(s) no rule of workflow.rulebook names (add a rule and its rows): {unnamed}"
    )
    # The portal's side of the same transitions: one TransitionInfo per django-fsm-2 transition, and
    # each flag that refuses something is a rule.
    assert {t.name for t in transitions} == set(TRANSITION_NAMES)
    flags = {f.name for f in dataclasses.fields(TransitionInfo)} - {"name", "label"}
    assert flags == set(TRANSITION_FLAGS), f"TransitionInfo flag(s) changed: {flags ^ set(TRANSITION_FLAGS)}"
    for flag, rule in TRANSITION_FLAGS.items():
        assert rule in RULE_KEYS or rule.startswith("refuses nothing:"), flag
        if rule in RULE_KEYS:
            assert f"TransitionInfo.{flag}" in next(r.home for r in RULES if r.key == rule)


# What each flag of workflow.transitions.TransitionInfo means for the rules.
TRANSITION_FLAGS = {
    "comment_required": "comment_required",
    "system_only": "refuses nothing: it hides the button; the is_system permission refuses (transition_role)",
    "destructive": "refuses nothing: the browser asks to confirm",
}


# --- doors outside the services, routes and admin -------------------------------------------------
# What each declaration may name: rule keys, or services of SERVICE_DOORS (whose rules they pass).
SERVICE_RULES = {name: rules for doors in SERVICE_DOORS.values() for name, rules in doors.items()}
IMPORT_RULES = BROWSER_WRITE_ROUTES["import_run"]
NO_RULE = "writes no rule-bearing record: "
# The daily run: the four sweeps first, then reminders (notifications, audited when sent to an office).
REMINDERS_RULES = "silence_sweep congressional_wait_sweep entry_into_force_sweep expiry_sweep audit_event"

# manage.py commands of the project's apps.
COMMAND_DOORS = {
    # The browser's import (tests/workflow/test_import_rules.py tries each agreement rule through it).
    "import_agreements": IMPORT_RULES,
    # workflow.demo drives every agreement through the services, as its users would.
    "seed_demo": "agreement_create contribution_add loan_item_add ssoi_update document_upload ddl_review_request "
    "ddl_decide agreement_transition coordination_position_record congressional_notice_record obligation_complete",
    # Partners' classification flags, which counts_as_nato reads (tests/partners/test_classification.py).
    "load_reference_data": "nato_bodies_are_nato",
    "create_user": NO_RULE + "an account (partners.services.user_create).",
    "api_token": NO_RULE + "an API token (partners.services.api_token_create).",
    "backup": NO_RULE + "it reads the database and files into a backup folder.",
    "restore": NO_RULE + "it replaces the whole database with a verified backup taken through these doors.",
    "db_roles": NO_RULE + "database roles and grants (the audit's append-only privileges: audit_append_only).",
    "lifecycle_diagram": NO_RULE + "docs/lifecycle.svg.",
    "documents_extract_text": NO_RULE + "the searchable text of stored documents (empty text only).",
}

# Every Celery task the project registers, on the beat schedule or queued by a door.
TASK_DOORS = {
    "workflow.tasks.lifecycle_sweeps": "silence_sweep congressional_wait_sweep entry_into_force_sweep expiry_sweep",
    "workflow.tasks.import_batch_run": IMPORT_RULES,
    "workflow.tasks.import_batch_check": NO_RULE + "an import batch's dry run (the import's rules, rolled back).",
    "workflow.tasks.import_batches_requeue_stale": NO_RULE + "import batches only.",
    # Stores generated PDFs, never releasable (tests/workflow/test_pdf*.py, the rule's rows).
    "workflow.tasks.render_job_run": "internal_pdf_never_releasable",
    "workflow.tasks.reminders_run": REMINDERS_RULES,
    "workflow.tasks.outbox_relay": NO_RULE + "it hands committed events to the queue.",
    "workflow.tasks.render_jobs_requeue_stale": NO_RULE + "render jobs only.",
    "workflow.tasks.email_send": NO_RULE + "the outgoing e-mail queue.",
    "workflow.tasks.emails_send_due": NO_RULE + "the outgoing e-mail queue.",
    "workflow.tasks.idempotency_records_expire": NO_RULE + "stored replies to repeated requests.",
}

# Code outside the services, routes, admin, commands and tasks that writes records.
WRITER_DOORS = {
    "workflow.imports.service.agreements_import": IMPORT_RULES,
    "workflow.imports.batches.import_batch_preview": NO_RULE + "an import batch (a dry run).",
    "workflow.imports.batches.import_batch_start": NO_RULE + "an import batch, queued.",
    "workflow.imports.batches.import_batch_run": IMPORT_RULES,
    "workflow.imports.batches.import_batch_check": NO_RULE + "an import batch's dry run.",
    "workflow.imports.batches.import_batches_requeue_stale": NO_RULE + "import batches only.",
    "workflow.pdf.jobs.render_job_run": "internal_pdf_never_releasable",
    "workflow.pdf.jobs.render_job_fail": NO_RULE + "a render job's failure.",
    "workflow.pdf.queueing.render_job_retry": "render_job_request",
    "workflow.pdf.queueing.render_jobs_requeue_stale": NO_RULE + "render jobs only.",
    "workflow.calendar.calendar_feed_create": NO_RULE + "a person's secret calendar address.",
    "workflow.calendar.calendar_feed_revoke": NO_RULE + "a person's secret calendar address.",
    "workflow.calendar.calendar_feed_for_token": NO_RULE + "when the address was last used.",
    "workflow.reminders.reminders_run": REMINDERS_RULES,
    "workflow.reminders.digest_send": NO_RULE + "notifications marked e-mailed, and the e-mail.",
    "workflow.reminders.digests_send": NO_RULE + "notifications marked e-mailed, and the e-mail.",
    "workflow.reminders.digests_compose": NO_RULE + "notifications marked e-mailed, and the e-mail.",
    "workflow.notifications.notify": NO_RULE + "a person's notifications.",
    "workflow.emails.email_enqueue": NO_RULE + "the outgoing e-mail queue.",
    "workflow.emails.email_claim": NO_RULE + "the outgoing e-mail queue.",
    "workflow.emails.email_send": NO_RULE + "the outgoing e-mail queue.",
    "workflow.emails.emails_deliver": NO_RULE + "the outgoing e-mail queue.",
    "workflow.emails.emails_send_due": NO_RULE + "the outgoing e-mail queue.",
    "workflow.outbox.outbox_enqueue": NO_RULE + "events waiting for the queue.",
    "workflow.outbox.outbox_relay_one": NO_RULE + "events waiting for the queue.",
    "workflow.outbox.outbox_relay_pending": NO_RULE + "events waiting for the queue.",
    "partners.services.reference_data_load": "nato_bodies_are_nato",
    "partners.services.user_create": NO_RULE + "accounts.",
    "partners.services.api_token_create": NO_RULE + "accounts' API tokens.",
    "partners.services.api_token_revoke": NO_RULE + "accounts' API tokens.",
    "partners.services.api_tokens_revoke_all": NO_RULE + "accounts' API tokens.",
    "partners.authentication.api_token_user": NO_RULE + "when a token was last used.",
    "partners.authentication.ApiTokenAuthentication": NO_RULE + "when a token was last used.",
    "icp_portal.middleware.LiaisonAccessLogMiddleware": "liaison_views_logged",
    "icp_portal.model_update.model_update": NO_RULE + "of its own: the services call it after their checks.",
    "icp_portal.idempotency.idempotency_records_expire": NO_RULE + "stored replies to repeated requests.",
    "icp_portal.idempotency.IdempotentAPIMixin": NO_RULE + "stored replies to repeated requests.",
    "icp_portal.idempotency.FormTokenMiddleware": NO_RULE + "stored replies to repeated requests.",
    "icp_portal.celery.heartbeat_record": NO_RULE + "worker and scheduler heartbeats.",
    "icp_portal.celery.HeartbeatScheduler": NO_RULE + "worker and scheduler heartbeats.",
    "icp_portal.celery.WorkerHeartbeat": NO_RULE + "worker and scheduler heartbeats.",
    "icp_portal.security.events.record": NO_RULE + "the security event log.",
    "icp_portal.security.events.document_download": NO_RULE + "the security event log.",
}


def _check_declarations(kind: str, found: set[str], declared: dict[str, str]) -> None:
    assert found == set(declared), (
        f"{kind} changed: declare each new one with the rules it passes through (or why it writes no "
        f"rule-bearing record); new {sorted(found - set(declared))}, gone {sorted(set(declared) - found)}"
    )
    for name, rules in declared.items():
        if rules.startswith(NO_RULE):
            assert len(rules) > len(NO_RULE) + 5, f"{name}: say why"
            continue
        tokens = set(rules.split())
        assert tokens, name
        unknown = tokens - set(RULE_KEYS) - set(SERVICE_RULES)
        assert not unknown, f"{name}: neither rules nor services: {sorted(unknown)}"


def test_every_management_command_is_a_known_door():
    _check_declarations("manage.py commands", project_commands(), COMMAND_DOORS)


def test_every_task_is_a_known_door():
    _check_declarations("Celery tasks", project_tasks(), TASK_DOORS)
    for scheduled in (entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()):
        assert scheduled in TASK_DOORS, scheduled


def test_every_record_writer_outside_the_services_is_a_known_door():
    _check_declarations("writers outside the services", record_writers(), WRITER_DOORS)
