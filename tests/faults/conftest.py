"""The fault suite's one stack, started once for the whole run and always stopped."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from .stack import Stack, say


def pytest_collection_modifyitems(config, items):
    """The suite starts and kills servers: it runs only under `make faults` (ICP_RUN_FAULTS=1),
    whatever -m expression another run passes."""
    if os.environ.get("ICP_RUN_FAULTS") == "1":
        return
    skip = pytest.mark.skip(reason="the fault suite runs with `make faults`")
    for item in items:
        if "tests/faults/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def stack():
    base = Path(tempfile.mkdtemp(prefix="icp-faults-"))
    running = Stack(base)
    try:
        running.start()
        yield running
    except Exception:
        for log in sorted(running.logs.glob("*.log")):
            say(f"--- {log.name} (last lines) ---\n{log.read_text(errors='replace')[-2500:]}")
        raise
    finally:
        running.stop()
        # Keep the servers' logs of the last run for whoever reads a failure.
        kept = Path(tempfile.gettempdir()) / "icp-faults-last-logs"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(running.logs, kept, dirs_exist_ok=True)
        shutil.rmtree(base, ignore_errors=True)
