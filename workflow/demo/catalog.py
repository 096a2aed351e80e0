"""What the demo holds: its users, the SSOI text every demo agreement carries, how long each
lifecycle step takes and the agreements it shows. Data only; ``driver.py`` runs it through the
services."""

from __future__ import annotations

from dataclasses import dataclass, field

from agreements.choices import AgreementKind, LegalAuthority, State
from partners.models import Role


@dataclass(frozen=True)
class DemoUser:
    """One demo user per role; they all sign in with ``DEMO_PASSWORD``."""

    username: str
    role: str
    organization: str | None
    office: str | None
    partner: str | None
    first_name: str
    last_name: str


DEMO_USERS = (
    DemoUser("program_office", Role.PROGRAM_OFFICE, "ARMY", None, None, "Pat", "Morgan"),
    DemoUser("coordinator", Role.COORDINATOR, None, "OGC", None, "Casey", "Reed"),
    DemoUser("reviewer", Role.REVIEWER, None, None, None, "Robin", "Hale"),
    DemoUser("liaison", Role.LIAISON, None, None, "GBR", "Alex", "Whitfield"),
    DemoUser("admin", Role.ADMIN, None, None, None, "Sam", "Admin"),
)

# Names of the demo coordinators created for the offices that have no user yet.
COORDINATOR_NAMES = {
    "POLICY": ("Jordan", "Ellis"),
    "COMPT": ("Morgan", "Price"),
    "DTSA": ("Avery", "Quinn"),
    "IPO": ("Taylor", "Brooks"),
    "OGC": ("Riley", "Stone"),
}

SSOI_TEXT = {
    "objectives": "Mature and jointly evaluate the technology described in the scope of work to TRL 6.",
    "scope_of_work": "Joint design, modelling and simulation, prototype fabrication and field trials.",
    "benefits_to_dod": "Access to partner test ranges and expertise; shared cost of prototype development.",
    "benefits_to_partners": "Access to U.S. test data and shared development of interoperable capability.",
    "management_structure": "A steering committee of one member per participant; project officers run day-to-day work.",
    "in_kind_valuation": "Personnel at fully burdened labour rates; facilities at published range rates.",
    "cost_share_rationale": "Each participant contributes in proportion to its expected use of the results.",
    "contracting_approach": "Each participant contracts under its own national procedures.",
    "project_equipment": "Prototype hardware remains the property of the providing participant.",
    "disclosure_and_use": "Project information shared for the purposes of the project and defence purposes.",
    "security_classification": "Up to SECRET; CUI handled under the agreement's CUI section.",
    "ddl_notes": "DDL approved by the Component's foreign disclosure office.",
    "third_party_transfer": "No transfer to third parties without the prior written consent of all participants.",
    "duration": "Five years from entry into force, extendable by amendment.",
    "congressional_notice": "Notice applies where the authority or a partner requires it.",
    "nato_mnna_confirmation": "The recipient is a NATO member / major non-NATO ally.",
    "loan_period": "Three years from delivery.",
    "return_terms": "Returned in the same condition, less fair wear and tear, at the borrower's expense.",
    "consumption_determination": "Test rounds may be consumed in the course of the project.",
}

# Days a demo agreement spends in each state before its next step (coordination answers come
# before the 21-day silence deadline).
STEP_DAYS = {
    State.PROPOSAL: 12,
    State.SSOI_DRAFTING: 45,
    State.RAD_REVIEW: 18,
    State.NEGOTIATION: 150,
    State.RFA_REVIEW: 19,
    State.CONGRESSIONAL_WAIT: 1,
    State.APPROVED: 9,
    State.SIGNING: 6,
    State.SIGNED: 0,  # only with a fixed entry-into-force date, which the sweep then meets
    State.IN_FORCE: 240,
}


@dataclass(frozen=True)
class DemoAgreement:
    """One agreement of the demo, proposed by the Army program office and driven to ``target``."""

    title: str
    short_title: str
    kind: str
    partners: tuple[str, ...]
    authority: str
    target: str
    years: int = 10  # from the effective date to the expiration date
    dwell: int = 7  # days since the last step
    parent: str | None = None  # short title of the master agreement
    returned: str | None = None  # a reviewer's return-for-revision comment
    entry_into_force_in: int | None = None  # days from today to a fixed entry into force
    fields: dict = field(default_factory=dict)  # further fields of the proposal


DEMO_AGREEMENTS = (
    DemoAgreement(
        "Master Research, Development, Test and Evaluation Agreement with the United Kingdom",
        "UK RDT&E MOU",
        AgreementKind.MASTER,
        ("GBR",),
        LegalAuthority.USC_2350A,
        State.IN_FORCE,
        dwell=420,
        fields={"releasable_to_partners": True},
    ),
    DemoAgreement(
        "Master RDT&E Agreement with Australia",
        "AUS RDT&E MOU",
        AgreementKind.MASTER,
        ("AUS",),
        LegalAuthority.USC_2350A,
        State.IN_FORCE,
        dwell=380,
    ),
    DemoAgreement(
        "Hypersonic Flight Test Cooperation Project Arrangement",
        "HyFliTE PA",
        AgreementKind.PROJECT_ARRANGEMENT,
        ("GBR",),
        LegalAuthority.USC_2350A,
        State.RAD_REVIEW,
        parent="UK RDT&E MOU",
        fields={"releasable_to_partners": True},
    ),
    DemoAgreement(
        "Counter-UAS Sensor Fusion Project Arrangement",
        "C-UAS Fusion PA",
        AgreementKind.PROJECT_ARRANGEMENT,
        ("GBR",),
        LegalAuthority.USC_2350A,
        State.NEGOTIATION,
        parent="UK RDT&E MOU",
        fields={"releasable_to_partners": True},
    ),
    DemoAgreement(
        "Quantum Navigation Project Arrangement",
        "Q-NAV PA",
        AgreementKind.PROJECT_ARRANGEMENT,
        ("AUS",),
        LegalAuthority.USC_2350A,
        State.SSOI_DRAFTING,
        parent="AUS RDT&E MOU",
    ),
    DemoAgreement(
        "Next Generation Rotorcraft Production MOU",
        "NGR Production MOU",
        AgreementKind.SYSTEM_LEVEL,
        ("GBR", "ITA", "NLD"),
        LegalAuthority.AECA_27,
        State.CONGRESSIONAL_WAIT,
        fields={"phase": "production", "releasable_to_partners": True},
    ),
    DemoAgreement(
        "Maritime Unmanned Systems Development MOU",
        "MUS Development MOU",
        AgreementKind.SYSTEM_LEVEL,
        ("NOR", "DNK"),
        LegalAuthority.AECA_27,
        State.RFA_REVIEW,
        dwell=25,
        fields={"phase": "development"},
    ),
    DemoAgreement(
        "Loan of Radar Test Equipment to Japan",
        "JPN Radar Loan",
        AgreementKind.SECTION_65_LOAN,
        ("JPN",),
        LegalAuthority.AECA_65,
        State.SIGNING,
    ),
    DemoAgreement(
        "Logistics Support Cooperation Agreement with the NATO Support and Procurement Agency",
        "NSPA Logistics MOU",
        AgreementKind.MASTER,
        ("NSPA",),
        LegalAuthority.USC_2350A,
        State.SIGNED,
        entry_into_force_in=45,
    ),
    DemoAgreement(
        "Cooperative Space Situational Awareness Sensor Sustainment MOU",
        "SSA Sustainment MOU",
        AgreementKind.SYSTEM_LEVEL,
        ("GBR", "CAN", "AUS"),
        LegalAuthority.USC_2350A,
        State.APPROVED,
        fields={"phase": "sustainment", "releasable_to_partners": True},
    ),
    DemoAgreement(
        "Counter-Drone Electronic Warfare Research MOU",
        "C-Drone EW MOU",
        AgreementKind.MASTER,
        ("SWE",),
        LegalAuthority.USC_2350A,
        State.RAD_REVIEW,
        dwell=3,
        returned="Quantify Sweden's in-kind test-range contribution and restate the cost-share "
        "rationale; the Comptroller cannot concur as drafted.",
    ),
    DemoAgreement(
        "Directed Energy Cooperative Research with India",
        "IND DE Research",
        AgreementKind.MASTER,
        ("IND",),
        LegalAuthority.USC_2350A,
        State.PROPOSAL,
    ),
    DemoAgreement(
        "Armoured Vehicle Protection Follow-on Development MOU",
        "AVP FoD MOU",
        AgreementKind.SYSTEM_LEVEL,
        ("DEU", "FRA"),
        LegalAuthority.AECA_27,
        State.WITHDRAWN,
        fields={"phase": "follow_on_development"},
    ),
    DemoAgreement(
        "Undersea Acoustics Research MOU",
        "Undersea Acoustics MOU",
        AgreementKind.MASTER,
        ("NOR",),
        LegalAuthority.USC_2350A,
        State.DISAPPROVED,
    ),
    DemoAgreement(
        "Legacy Munitions Research MOU",
        "Legacy Munitions MOU",
        AgreementKind.MASTER,
        ("ESP",),
        LegalAuthority.USC_2350A,
        State.TERMINATED,
    ),
    DemoAgreement(
        "Cold Weather Mobility Research MOU",
        "Cold Weather MOU",
        AgreementKind.MASTER,
        ("FIN",),
        LegalAuthority.USC_2350A,
        State.EXPIRED,
        years=1,
    ),
)
