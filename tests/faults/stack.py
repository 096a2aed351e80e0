"""The production shape on throwaway servers, for the fault suite: a PostgreSQL cluster made with
pg_ctl, a redis-server, the fault SMTP server, gunicorn, a Celery worker and beat, each on its own
port and folder, each stopped at the end. Nothing here touches the shared PostgreSQL or Redis."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import requests

from .smtp import FaultySMTPServer

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "5440"))
REDIS_PORT = int(os.environ.get("FAULTS_REDIS_PORT", "6441"))
WEB_PORT = int(os.environ.get("FAULTS_WEB_PORT", "8140"))
SMTP_PORT = int(os.environ.get("FAULTS_SMTP_PORT", "2540"))
DB_NAME = "icp_faults"
PASSWORD = "faults-password-1"


def inherited_server_setting(name: str) -> bool:
    """Whether an inherited environment variable could point the stack at a server other than its
    own (the shared PostgreSQL or Redis, a mail relay, a bucket): every URL (DATABASE_URL,
    MIGRATION_DATABASE_URL, REDIS_URL, CACHE_URL, CELERY_BROKER_URL, EMAIL_URL, TEST_REDIS_URL …),
    Celery's and S3's settings, the storage backend and libpq's PG* variables are dropped; the
    stack sets its own."""
    return (
        name.endswith("_URL")
        or name.startswith(("CELERY_", "AWS_", "PG", "REDIS", "DATABASE", "CACHE"))
        or name in ("STORAGE_BACKEND", "DJANGO_SETTINGS_MODULE")
    )


def say(text: str) -> None:
    """Print a measured figure (make faults runs pytest with -s)."""
    print(f"[faults] {text}", flush=True)


def wait_until(predicate, *, timeout: float, interval: float = 0.25, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            last = predicate()
            if last:
                return last
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def as_pg_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the ``postgres`` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", os.environ.get("FAULTS_PG_USER", "postgres"), "--", *args]
    return args


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


class Process:
    """A child process in its own session, with its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}-{int(time.time() * 1000)}.log"
        self.log = open(self.log_path, "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self.log.close()

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self.log.close()


class Stack:
    """Everything the suite runs against; see the module note."""

    def __init__(self, base: Path):
        self.base = base
        self.logs = base / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.pg_home = base / "pg"
        self.pgdata = self.pg_home / "data"
        self.media = base / "media"
        self.media.mkdir(exist_ok=True)
        self.redis: Process | None = None
        self.web: Process | None = None
        self.worker: Process | None = None
        self.beat: Process | None = None
        self.smtp = FaultySMTPServer(SMTP_PORT)
        self.url = f"http://127.0.0.1:{WEB_PORT}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not inherited_server_setting(k)},
            "DJANGO_SETTINGS_MODULE": "tests.faults.settings",
            "PYTHONPATH": str(ROOT),
            "SECRET_KEY": "faults-only-not-secret",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PG_PORT}/{DB_NAME}",
            "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
            "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
            "EMAIL_TIMEOUT": "2",
            "EMAIL_MAX_ATTEMPTS": "60",
            "EMAIL_RETRY_BASE_SECONDS": "1",
            "EMAIL_RETRY_MAX_SECONDS": "3",
            "EMAIL_SWEEP_SECONDS": "1",
            "OUTBOX_RELAY_SECONDS": "2",
            # Every write tries the broker (no pause after a failure): the worst case is measured.
            "BROKER_PUBLISH_PAUSE_SECONDS": "0",
            "RENDER_SWEEP_SECONDS": "2",
            "CELERY_TASK_TIME_LIMIT": "30",
            "CELERY_TASK_SOFT_TIME_LIMIT": "25",
            "CELERY_RENDER_SOFT_TIME_LIMIT": "15",
            "CELERY_RENDER_TIME_LIMIT": "20",
            "CELERY_VISIBILITY_TIMEOUT": "40",
            "RENDER_STALE_SECONDS": "25",
            "RENDER_QUEUED_STALE_SECONDS": "15",
            "HEARTBEAT_SECONDS": "2",
            "READYZ_WORKER_MAX_AGE": "15",
            "READYZ_BEAT_MAX_AGE": "15",
            "API_THROTTLE_USER": "1000000/min",
            "API_THROTTLE_ANON": "1000000/min",
            "AXES_ENABLED": "false",
            "MEDIA_ROOT": str(self.media),
            "PORTAL_BASE_URL": self.url,
            "DIGEST_HOUR_UTC": "3",
            "LOG_LEVEL": "INFO",
        }
        self.seed: dict = {}

    # --- PostgreSQL -------------------------------------------------------------------------------
    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            as_pg_user([str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), *args]),
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def postgres_start(self) -> None:
        options = f"-p {PG_PORT} -k {self.pg_home} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self.pg_ctl("-w", "-t", "60", "-l", str(self.pg_home / "postgres.log"), "-o", options, "start")

    def postgres_stop(self, mode: str = "immediate") -> None:
        self.pg_ctl("-w", "-m", mode, "stop", check=False)

    def sql(self, query: str, params=None) -> list[tuple]:
        with psycopg.connect(
            host="127.0.0.1", port=PG_PORT, user="postgres", dbname=DB_NAME, connect_timeout=5
        ) as connection:
            with connection.cursor() as cursor:
                cursor.execute(query, params)
                return cursor.fetchall() if cursor.description else []

    # --- Redis ------------------------------------------------------------------------------------
    def redis_start(self) -> None:
        self.redis = Process(
            "redis",
            ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            self.env,
            self.logs,
        )
        wait_until(lambda: port_open(REDIS_PORT), timeout=20, what="redis")

    def redis_stop(self) -> None:
        if self.redis is not None:
            self.redis.kill()  # no persistence: its queue is lost, as in an unplanned restart
            self.redis = None
        wait_until(lambda: not port_open(REDIS_PORT), timeout=10, what="redis to stop")

    # --- the application ------------------------------------------------------------------------------
    def manage(self, *args: str, stdin: str | None = None, timeout: float = 300) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result.stdout

    def web_start(self) -> None:
        self.web = Process(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "icp_portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{WEB_PORT}",
                "--workers",
                "3",
                "--threads",
                "4",
                "--timeout",
                "30",
            ],
            self.env,
            self.logs,
        )
        wait_until(lambda: requests.get(f"{self.url}/healthz", timeout=2).status_code == 200, timeout=60, what="web")

    def worker_start(self, **extra_env: str) -> Process:
        self.worker = Process(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "icp_portal",
                "worker",
                "-l",
                "info",
                "-c",
                "2",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"faults-{int(time.time() * 1000)}@%h",
            ],
            {**self.env, **extra_env},
            self.logs,
        )
        worker = self.worker
        wait_until(lambda: "ready." in worker.output() or not worker.alive(), timeout=90, what="worker")
        if not worker.alive():
            raise RuntimeError(f"worker exited:\n{worker.output()[-3000:]}")
        return worker

    def beat_start(self) -> None:
        self.beat = Process(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "icp_portal",
                "beat",
                "-l",
                "info",
                "--schedule",
                str(self.base / "celerybeat-schedule"),
            ],
            self.env,
            self.logs,
        )

    def start(self) -> Stack:
        started = time.monotonic()
        shutil.rmtree(self.pg_home, ignore_errors=True)
        self.pg_home.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.pg_home, user=os.environ.get("FAULTS_PG_USER", "postgres"))
            os.chmod(self.base, 0o755)
        subprocess.run(
            as_pg_user(
                [str(PG_BIN / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.postgres_start()
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", DB_NAME],
            check=True,
            timeout=60,
        )
        self.redis_start()
        self.smtp.start()
        self.manage("migrate", "--noinput")
        self.seed = json.loads(
            self.manage("shell", stdin=(Path(__file__).parent / "seed.py").read_text()).strip().splitlines()[-1]
        )
        self.web_start()
        self.worker_start()
        self.beat_start()
        wait_until(lambda: self.ready()["status"] == "ok", timeout=90, what="/readyz to be ok")
        say(
            f"stack ready in {time.monotonic() - started:.1f} s (PostgreSQL :{PG_PORT}, Redis :{REDIS_PORT}, "
            f"web :{WEB_PORT}, SMTP :{SMTP_PORT})"
        )
        return self

    def ready(self) -> dict:
        return requests.get(f"{self.url}/readyz", timeout=5).json()

    def stop(self) -> None:
        for process in (self.beat, self.worker, self.web, self.redis):
            if process is not None:
                process.stop(timeout=10)
        self.smtp.stop()
        if self.pgdata.exists():
            self.postgres_stop("fast")

    # --- clients ------------------------------------------------------------------------------------
    def api(self, token: str) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        return session

    def browser(self, username: str) -> requests.Session:
        session = requests.Session()
        session.get(f"{self.url}/accounts/login/", timeout=10)
        response = session.post(
            f"{self.url}/accounts/login/",
            data={
                "username": username,
                "password": PASSWORD,
                "consent": "on",  # the DoD Notice and Consent Banner
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            timeout=10,
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text[:500]
        return session

    def browser_post(self, session: requests.Session, path: str, data: dict, **kwargs) -> requests.Response:
        return session.post(
            f"{self.url}{path}",
            data={**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            allow_redirects=False,
            **kwargs,
        )
