"""`make lint`'s pip-audit step: skipped with a message when its service is out of reach, never
silently, and failing on a known vulnerability."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import urllib.error
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("audit_dependencies", ROOT / "scripts" / "audit_dependencies.py")
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)


def test_an_unreachable_service_is_a_loud_skip(monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(audit.urllib.request, "urlopen", refuse)
    assert audit.main() == 0
    out = capsys.readouterr().out
    assert "pip-audit SKIPPED" in out and "Name or service not known" in out


def test_a_known_vulnerability_fails_and_unaudited_pins_are_named(monkeypatch, capsys):
    monkeypatch.setattr(audit, "service_unreachable", lambda url: None)

    def fake_run(command, **kwargs):
        output = Path(command[command.index("--output") + 1])
        output.write_text(
            json.dumps(
                {
                    "dependencies": [
                        {
                            "name": "django",
                            "version": "5.2.19",
                            "vulns": [{"id": "PYSEC-0", "fix_versions": ["5.2.20"]}],
                        },
                        {"name": "ruff", "version": "0.17.6", "skip_reason": "not found"},
                        {"name": "celery", "version": "5.7.0", "vulns": []},
                    ]
                }
            )
        )
        return subprocess.CompletedProcess(command, 1, "", "")

    monkeypatch.setattr(audit.subprocess, "run", fake_run)
    assert audit.main() == 1
    out = capsys.readouterr().out
    assert "django 5.2.19: PYSEC-0 (fixed in 5.2.20)" in out
    assert "could not audit 1 of 3 pins: ruff" in out
