"""scripts/healthcheck.py, which the compose services run, reads the portal's health endpoints.
(What docker-compose.yml says about it is checked by `make lint`: scripts/check_repo.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_healthcheck_script_reads_the_endpoints(live_server):
    env = {"PORT": str(live_server.url.rsplit(":", 1)[1]), "READYZ_URL": f"{live_server.url}/readyz", "PATH": ""}
    web = subprocess.run([sys.executable, str(ROOT / "scripts" / "healthcheck.py"), "web"], env=env, timeout=30)
    assert web.returncode == 0
    worker = subprocess.run([sys.executable, str(ROOT / "scripts" / "healthcheck.py"), "worker"], env=env, timeout=30)
    assert worker.returncode == 1  # no worker has reported in the test database
