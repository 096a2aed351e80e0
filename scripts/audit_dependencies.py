"""`make lint`: pip-audit over the pinned requirements, or a clear message why it was skipped.

pip-audit asks an online vulnerability service (PyPI's JSON API) about every pin; no package
ships that database. When the service cannot answer for a pin of ours within a few seconds, this
says so and skips (exit 0), so a machine without the internet can still lint, but never silently.
When it answers, any known vulnerability fails the run, and any pin it could not audit is named.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = [ROOT / "requirements.txt", ROOT / "requirements-dev.txt"]
TIMEOUT_SECONDS = 5
AUDIT_TIMEOUT_SECONDS = 300


def probe_url() -> str:
    """The service's answer for the Django we pin: exactly the kind of request pip-audit makes."""
    version = re.search(r"^Django==(\S+)$", LOCKS[0].read_text(), re.MULTILINE)[1]
    return f"https://pypi.org/pypi/django/{version}/json"


def service_unreachable(url: str) -> str | None:
    """None when the vulnerability service answers, else why not. Runs in a thread with a hard
    deadline, because a name lookup that hangs is not covered by the socket timeout."""
    outcome: list[str | None] = []

    def probe() -> None:
        try:
            # A fixed https URL built above, never from input.
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310  # nosec B310
                json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            outcome.append(str(getattr(exc, "reason", exc)))
        else:
            outcome.append(None)

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(TIMEOUT_SECONDS * 2)
    return outcome[0] if outcome else f"no answer within {TIMEOUT_SECONDS * 2} s"


def main() -> int:
    url = probe_url()
    why = service_unreachable(url)
    if why is not None:
        print(
            f"make lint: pip-audit SKIPPED: its vulnerability service cannot be reached from here "
            f"({url}: {why}). Run `make lint` where it can.",
            flush=True,
        )
        return 0
    with tempfile.TemporaryDirectory() as folder:
        report_path = Path(folder) / "audit.json"
        command = [sys.executable, "-m", "pip_audit", "--no-deps", "--disable-pip", "--progress-spinner", "off"]
        for lock in LOCKS:
            command += ["-r", str(lock)]
        command += ["--format", "json", "--output", str(report_path)]
        try:
            # Our own interpreter and arguments, no shell.
            finished = subprocess.run(  # nosec B603
                command, timeout=AUDIT_TIMEOUT_SECONDS, check=False, capture_output=True, text=True
            )
        except subprocess.TimeoutExpired:
            print(f"make lint: pip-audit did not finish within {AUDIT_TIMEOUT_SECONDS} s.", file=sys.stderr)
            return 1
        if not report_path.exists():
            print(finished.stdout + finished.stderr, file=sys.stderr)
            return finished.returncode or 1
        report = json.loads(report_path.read_text())
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"pip-audit: {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed})")
    if skipped:
        names = ", ".join(sorted(d["name"] for d in skipped))
        print(f"make lint: pip-audit could not audit {len(skipped)} of {len(dependencies)} pins: {names}")
    audited = len(dependencies) - len(skipped)
    print(f"make lint: pip-audit audited {audited} pins, {len(vulnerable)} with known vulnerabilities.")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
