"""Fixtures for the background-job tests: a dedicated Redis database and queue, real Celery
workers started as subprocesses against the same PostgreSQL test database, and helpers to read
PDFs."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection
from pypdf import PdfReader

from icp_portal.celery import app
from workflow.models import RenderJob, RenderStatus

ROOT = Path(__file__).resolve().parents[2]
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
DEAD_BROKER_URL = "redis://127.0.0.1:1/5"  # nothing listens on port 1
# One queue per test process, so parallel test runs never take each other's messages.
TEST_QUEUE = f"icp-test-{uuid.uuid4().hex[:12]}"


def use_broker(url: str) -> None:
    """Point this process's Celery app (and so the outbox relay) at ``url``."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


@contextlib.contextmanager
def broker_at(url: str):
    old = app.conf.broker_url
    use_broker(url)
    try:
        yield
    finally:
        use_broker(old)


@pytest.fixture(scope="session")
def redis_broker():
    """The test broker: Redis db 5, this process's own queue, emptied before and after."""
    client = redis.Redis.from_url(REDIS_TEST_URL)
    client.ping()
    client.delete(TEST_QUEUE)
    app.conf.task_default_queue = TEST_QUEUE
    use_broker(REDIS_TEST_URL)
    yield REDIS_TEST_URL
    client.delete(TEST_QUEUE)


@pytest.fixture(scope="session")
def job_media_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture
def job_settings(settings, job_media_root):
    """The test process writes and reads files where the worker does."""
    settings.MEDIA_ROOT = str(job_media_root)
    return settings


class WorkerProcess:
    """A ``celery -A icp_portal worker`` subprocess on the test database and queue."""

    def __init__(self, log_path: Path, env: dict[str, str]):
        self.log_path = log_path
        self.log = open(log_path, "wb")  # closed in stop()
        self.proc = subprocess.Popen(
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
                "1",
                "-P",
                "prefork",
                "-Q",
                TEST_QUEUE,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_for_log("ready.", timeout=60)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"Celery worker exited:\n{self.output()[-4000:]}")
            time.sleep(0.2)
        raise TimeoutError(f"Celery worker did not log {text!r}:\n{self.output()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children): no warm shutdown, no ack."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self.log.close()


@pytest.fixture
def start_worker(redis_broker, job_settings, tmp_path):
    """``start_worker(**env)`` starts a worker (extra environment variables allowed); every
    worker started is stopped at the end of the test."""
    workers: list[WorkerProcess] = []
    database = connection.settings_dict

    def start(**extra_env: str) -> WorkerProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "icp_portal.settings.test",
            "DATABASE_URL": (
                f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"
            ),
            "CELERY_BROKER_URL": redis_broker,
            "CELERY_TASK_DEFAULT_QUEUE": TEST_QUEUE,
            "MEDIA_ROOT": str(job_settings.MEDIA_ROOT),
            "PYTHONPATH": str(ROOT),
            **extra_env,
        }
        worker = WorkerProcess(tmp_path / f"worker-{len(workers)}.log", env)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for_job(job: RenderJob, *, status=RenderStatus.READY, timeout: float = 60, worker=None) -> RenderJob:
    """Poll the database until the job reaches ``status`` (or fail with the worker's log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == status:
            return job
        if job.status == RenderStatus.FAILED and status != RenderStatus.FAILED:
            break
        time.sleep(0.25)
    log = worker.output()[-4000:] if worker else ""
    raise AssertionError(f"job {job.pk} is {job.status} ({job.error!r}), expected {status}\n{log}")


def pdf_text(content: bytes) -> str:
    """All the text of a PDF, page by page, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def pdf_pages(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def write_sample(name: str, content: bytes) -> None:
    """With ICP_WRITE_SAMPLES=1, keep the PDF and a PNG of its first page in docs/samples/."""
    if os.environ.get("ICP_WRITE_SAMPLES") != "1":
        return
    samples = ROOT / "docs" / "samples"
    samples.mkdir(parents=True, exist_ok=True)
    (samples / f"{name}.pdf").write_bytes(content)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(samples / f"{name}.pdf"),
            str(samples / name),
        ],
        check=True,
    )
