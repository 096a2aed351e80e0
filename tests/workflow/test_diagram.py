"""The lifecycle diagram in docs/ is generated from the transition definitions and kept current."""

import io

from django.core.management import call_command

from agreements.choices import State
from workflow.diagram import lifecycle_edges, lifecycle_svg
from workflow.transitions import TRANSITION_NAMES


def test_every_transition_and_state_is_drawn():
    edges = lifecycle_edges()
    assert {e.name for e in edges} == set(TRANSITION_NAMES)
    assert ("rad_review", "ssoi_drafting", "return_for_revision") in {(e.source, e.target, e.name) for e in edges}
    assert {("rfa_review", State.CONGRESSIONAL_WAIT), ("rfa_review", State.APPROVED)} <= {
        (e.source, e.target) for e in edges if e.name == "approve_conclusion"
    }
    svg = lifecycle_svg()
    for state in State:
        assert f">{state.label}<" in svg


def test_committed_diagram_is_up_to_date():
    out = io.StringIO()
    call_command("lifecycle_diagram", "--check", stdout=out)
    assert "up to date" in out.getvalue()
