"""scripts/check_import_cycles.py, which `make lint` runs, finds every import circle and only
circles (the project itself having none is checked by `make lint`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("check_import_cycles", ROOT / "scripts" / "check_import_cycles.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_circles_are_the_strongly_connected_components():
    script = _script()
    edges = {
        "a": {"b"},
        "b": {"c"},
        "c": {"a", "d"},  # a -> b -> c -> a
        "d": {"e"},
        "e": set(),  # d -> e goes one way only
        "f": {"f"},  # a module importing itself
    }
    components = sorted(script.strongly_connected_components(edges))
    assert components == [["a", "b", "c"], ["d"], ["e"], ["f"]]


def test_a_one_way_graph_has_no_circle(monkeypatch):
    script = _script()
    monkeypatch.setattr(script, "import_graph", lambda packages: {"low": set(), "mid": {"low"}, "top": {"mid", "low"}})
    assert script.cycles(("any",)) == []
    monkeypatch.setattr(script, "import_graph", lambda packages: {"low": {"top"}, "mid": {"low"}, "top": {"mid"}})
    assert script.cycles(("any",)) == [["low", "mid", "top"]]
