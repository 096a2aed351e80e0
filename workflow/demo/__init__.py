"""Demo data: ``catalog`` says what the demo holds, ``driver`` moves it through the real services.
Used by ``manage.py seed_demo``; tests build their data with ``tests/factories.py``."""

from .catalog import COORDINATOR_NAMES, DEMO_AGREEMENTS, DEMO_USERS, SSOI_TEXT, STEP_DAYS, DemoAgreement, DemoUser
from .driver import (
    Cast,
    ClockFactory,
    DemoClock,
    approve_ddl,
    attach,
    concur_all,
    days_to_reach,
    disclosure_officer,
    drive_to,
    ensure_cast,
    fill_ssoi,
    program_office_for,
    propose,
    seed_demo,
)

__all__ = [
    "COORDINATOR_NAMES",
    "DEMO_AGREEMENTS",
    "DEMO_USERS",
    "SSOI_TEXT",
    "STEP_DAYS",
    "Cast",
    "ClockFactory",
    "DemoAgreement",
    "DemoClock",
    "DemoUser",
    "approve_ddl",
    "attach",
    "concur_all",
    "days_to_reach",
    "disclosure_officer",
    "drive_to",
    "ensure_cast",
    "fill_ssoi",
    "program_office_for",
    "propose",
    "seed_demo",
]
