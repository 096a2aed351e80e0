"""The register of the portal's rules: what each says, the one place it lives, and the doors a
user could try to break it through. docs/architecture.md lists the same rules, and
tests/workflow/test_door_matrix.py tries every rule at every door named here (a rule or a door
added without a row there makes that test fail)."""

from __future__ import annotations

from dataclasses import dataclass

# The ways into the portal that can change a record.
DOORS = ("service", "form", "api", "admin", "amendment", "sweep")


@dataclass(frozen=True)
class Rule:
    key: str
    statement: str
    home: str


RULES: tuple[Rule, ...] = (
    # --- the whole agreement ------------------------------------------------------------------
    Rule(
        "section_65_partner",
        "A Section 65 loan is made only to NATO (a member, body or agency) or a major non-NATO ally.",
        "agreements.validation.partner_eligibility_error (via agreement_violations and Participant.clean)",
    ),
    Rule(
        "pa_partners_in_master",
        "A project arrangement's partners take part in its master agreement.",
        "agreements.validation.partner_eligibility_error",
    ),
    Rule(
        "lead_partner_among_partners",
        "The lead partner is one of the agreement's partners.",
        "agreements.validation.agreement_violations",
    ),
    Rule(
        "parent_candidate",
        "A project arrangement's parent is a master that has not ended; an amendment's parent is signed "
        "or in force and is not itself an amendment.",
        "agreements.validation.parent_candidate_q / parent_candidacy_error; agreements.selectors.parent_candidates",
    ),
    Rule(
        "pa_within_master_term",
        "A project arrangement neither takes effect before its master nor outlives it.",
        "agreements.models.Agreement.clean",
    ),
    Rule(
        "dates_ordered",
        "An agreement's expiration date comes after its effective date (and after a fixed entry-into-force date).",
        "agreements.models.Agreement.clean + check constraint agreement_expiration_after_effective; "
        "an extension: agreements.validation.amendment_result_errors",
    ),
    Rule(
        "extension_keeps_pas",
        "An extension may lengthen a master but not end it before its project arrangements in force.",
        "agreements.validation.project_arrangements_outliving (via amendment_result_errors)",
    ),
    Rule(
        "amendment_result_valid",
        "An amendment is refused at creation, at submit_rad and when it applies if the amended agreement "
        "would break a rule.",
        "agreements.validation.amendment_result_errors; agreements.lifecycle.agreement_valid; "
        "workflow.services.lifecycle._apply_amendment",
    ),
    Rule(
        "pa_master_in_force",
        "A project arrangement is submitted, signed and enters into force only while its master is in "
        "force and its term covers the arrangement's dates.",
        "agreements.lifecycle.master_in_force + agreements.lifecycle.agreement_valid",
    ),
    Rule(
        "signed_until_fixed_date",
        "With a fixed entry-into-force date after the last signature the agreement is signed, not in "
        "force, until the portal brings it into force on that date.",
        "agreements.models.Agreement.record_signature / enter_into_force; "
        "agreements.lifecycle.fixed_entry_into_force_date_reached + is_system; "
        "workflow.services.entry_into_force_sweep",
    ),
    Rule(
        "nato_bodies_are_nato",
        "NATO bodies and agencies count as NATO: never 'other friendly', eligible for Section 65 loans.",
        "partners.models.Partner.counts_as_nato",
    ),
    Rule(
        "keeps_a_partner",
        "An agreement keeps at least one partner.",
        "agreements.services.participant_remove",
    ),
    Rule(
        "pen_holder_edits",
        "Only the lead program office edits the record, and its substance only while it holds the pen "
        "(checked on the locked row).",
        "agreements.services.agreement_edit_denial / _require_edit",
    ),
    Rule(
        "admin_read_only",
        "Lifecycle records are read-only in the admin: every change goes through the services.",
        "agreements.admin.ReadOnlyMixin, workflow.admin.ReadOnlyAdmin",
    ),
    Rule(
        "audit_append_only",
        "The audit trail and the liaison access log are append-only, on PostgreSQL and SQLite.",
        "workflow migration 0002 (database triggers) + workflow.models.AppendOnlyQuerySet",
    ),
    Rule(
        "silence_is_final",
        "An office deemed to concur by silence cannot then non-concur (or revise) in that round.",
        "workflow.services.position_silence_denial",
    ),
    # --- the lifecycle of domain.md -----------------------------------------------------------
    Rule(
        "transition_role",
        "Each transition is done only by its role: the lead program office, a reviewer, or the portal.",
        "agreements.lifecycle permissions is_lead_program_office, is_reviewer, is_system, is_system_or_reviewer",
    ),
    Rule(
        "comment_required",
        "Returns, disapprovals, withdrawals and terminations need a comment.",
        "workflow.services.agreement_transition (TransitionInfo.comment_required)",
    ),
    Rule(
        "rad_package_complete",
        "Submitting the RAD needs a complete SSOI, the draft text and every participant's contribution.",
        "agreements.lifecycle.ssoi_complete / draft_text_attached / contributions_entered",
    ),
    Rule(
        "rfa_needs_ddl",
        "Submitting the RFA needs the negotiated text, an updated SSOI and an approved DDL.",
        "agreements.lifecycle.negotiated_text_attached / ssoi_updated_since_negotiation / ddl_approved",
    ),
    Rule(
        "ssoi_reviewed_for_rfa",
        "Submitting the RFA needs the SSOI updated, or deliberately confirmed as reviewed, since negotiation began.",
        "agreements.lifecycle.ssoi_updated_since_negotiation / agreements.services.ssoi_confirm_reviewed",
    ),
    Rule(
        "coordination_complete",
        "Authorization and approval need every office's concurrence (or silence past its deadline) and "
        "no open non-concurrence.",
        "agreements.lifecycle.coordination_complete",
    ),
    Rule(
        "congressional_wait",
        "Where the authority demands notice, signature waits until the notice date plus 30 days.",
        "agreements.lifecycle.congressional_wait_over; Agreement.needs_congressional_notice",
    ),
    Rule(
        "start_ssoi_ready",
        "The SSOI is started only once the agreement has at least one partner and its legal authority.",
        "agreements.lifecycle.has_participants / has_authority",
    ),
    Rule(
        "terminate_needs_notice",
        "A reviewer terminates an agreement only with the termination notice attached.",
        "agreements.lifecycle.termination_notice_attached",
    ),
    Rule(
        "expiry_on_date",
        "An agreement expires only on or after its expiration date, and only by the portal itself.",
        "agreements.lifecycle.expiration_date_reached + is_system; workflow.services.expiry_sweep",
    ),
    Rule(
        "master_lapse_flags_pas",
        "A master that expires or is terminated flags every open project arrangement under it.",
        "workflow.services.lifecycle._flag_project_arrangements",
    ),
    Rule(
        "coordinator_own_office",
        "A coordinator records (or revises) only its own office's position.",
        "workflow.services.coordination_position_record",
    ),
    Rule(
        "non_concurrence_needs_comment",
        "A non-concurrence, or a comment without a position, says why: it needs a comment.",
        "workflow.services.coordination_position_record",
    ),
    Rule(
        "program_office_own_organization",
        "Only a program office proposes an agreement, and only for its own organization: the lead "
        "organization is always the proposer's, never chosen; an amendment only to an agreement its "
        "organization leads.",
        "agreements.services.agreement_create; agreements.validation.amendment_lead_error",
    ),
    Rule(
        "ddl_decided_by_disclosure_office",
        "Only a disclosure office (a coordinating office flagged as one) records the DDL / TS&FD decision, "
        "never the program office; an approval names the office and date and carries the letter.",
        "agreements.services.ddl_decision_denial / ddl_decide; DdlDecision check constraints",
    ),
    Rule(
        "release_needs_ddl",
        "A document is released to partners only once the agreement's DDL is approved.",
        "agreements.models.document_release_denial (Document.clean); agreements.selectors.documents_visible_to",
    ),
    Rule(
        "internal_pdf_never_releasable",
        "Generated SSOI and summary PDFs carry internal content and are never releasable to partners; a "
        "liaison gets the partner summary.",
        "agreements.models.document_release_denial; workflow.pdf.render_permission_denial",
    ),
    Rule(
        "liaison_scope",
        "A partner liaison sees only its own partner's releasable agreements and may change nothing.",
        "agreements.selectors.agreements_visible_to",
    ),
    Rule(
        "liaison_views_logged",
        "Every request a partner liaison makes (page, API, download, calendar feed), refused ones "
        "included, is logged in the append-only access log.",
        "icp_portal.middleware.LiaisonAccessLogMiddleware; workflow.views.calendar_pages.calendar_feed",
    ),
)

RULE_KEYS: tuple[str, ...] = tuple(rule.key for rule in RULES)
