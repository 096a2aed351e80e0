"""The production compose file and Dockerfile point at code and settings that really exist."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("postgres", "redis", "web", "worker", "beat")
APP_SERVICES = ("web", "worker", "beat")
# `${VAR}`, `${VAR:-default}`, `${VAR:?error}`; `$${VAR}` is escaped for the container's shell.
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def command_text(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def test_the_five_services_exist(compose):
    assert set(SERVICES) <= set(compose["services"])


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_has_a_healthcheck(compose, name):
    healthcheck = compose["services"][name].get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert healthcheck.get("test"), f"{name}'s healthcheck has no test"
    assert not healthcheck.get("disable"), f"{name}'s healthcheck is disabled"


@pytest.mark.parametrize("name", SERVICES)
def test_dependencies_wait_until_healthy(compose, name):
    services = compose["services"]
    depends_on = services[name].get("depends_on") or {}
    assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions, not a bare list"
    for dependency, spec in depends_on.items():
        assert spec.get("condition") == "service_healthy", f"{name} -> {dependency}"
        assert services[dependency].get("healthcheck"), f"{dependency} cannot become healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_application_services_read_the_env_file(compose, name):
    env_file = compose["services"][name].get("env_file")
    env_files = [env_file] if isinstance(env_file, str) else env_file or []
    assert ".env" in env_files


def test_web_serves_the_wsgi_application_that_exists(compose):
    command = command_text(compose["services"]["web"])
    assert "gunicorn" in command
    assert "icp_portal.wsgi:application" in command
    assert importlib.util.find_spec("icp_portal.wsgi") is not None


def test_web_migrates_and_collects_static_before_serving(compose):
    command = command_text(compose["services"]["web"])
    assert command.index("migrate") < command.index("gunicorn")
    assert command.index("collectstatic") < command.index("gunicorn")


@pytest.mark.parametrize(("name", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_celery_services_use_the_project_app(compose, name, subcommand):
    words = command_text(compose["services"][name]).split()
    assert words[0] == "celery"
    assert words[words.index("-A") + 1] == "icp_portal"
    assert subcommand in words


def test_the_celery_module_defines_app():
    from celery import Celery

    module = importlib.import_module("icp_portal.celery")
    assert isinstance(module.app, Celery)


def test_settings_modules_named_in_compose_and_dockerfile_exist(compose):
    named = {
        environment(service)["DJANGO_SETTINGS_MODULE"]
        for service in compose["services"].values()
        if "DJANGO_SETTINGS_MODULE" in environment(service)
    }
    named |= set(re.findall(r"DJANGO_SETTINGS_MODULE=(\S+)", (ROOT / "Dockerfile").read_text()))
    assert named, "DJANGO_SETTINGS_MODULE is set nowhere"
    for module in named:
        assert importlib.util.find_spec(module) is not None, f"{module} does not exist"
    for name in APP_SERVICES:
        value = environment(compose["services"][name]).get("DJANGO_SETTINGS_MODULE")
        assert value == "icp_portal.settings.production", name


def test_every_interpolated_variable_is_in_env_example(env_example):
    used = set(INTERPOLATION.findall((ROOT / "docker-compose.yml").read_text()))
    assert used, "expected ${VAR} substitutions (e.g. POSTGRES_PASSWORD)"
    missing = sorted(used - set(env_example))
    assert not missing, f"not in .env.example: {missing}"


def test_env_example_documents_every_setting(env_example):
    settings = {
        "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS",
        "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL", "DEFAULT_FROM_EMAIL",
        "PORTAL_MARKING", "DEMO_PASSWORD", "SILENCE_PERIOD_DAYS", "SILENCE_REMINDER_DAYS",
        "STATE_TRANSMITTAL_DAYS", "CONGRESSIONAL_WAIT_DAYS", "MEDIA_ROOT", "STORAGE_BACKEND",
        "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "MAX_UPLOAD_MB", "PORT",
    }  # fmt: skip
    assert not sorted(settings - set(env_example))
    assert env_example["DEBUG"].lower() in {"false", "0", "off", "no"}


def test_named_volumes_are_declared(compose):
    declared = set(compose.get("volumes") or {})
    assert {"pgdata", "media", "static"} <= declared
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source")
            if source and not source.startswith((".", "/", "~")):
                assert source in declared, f"{name} uses undeclared volume {source}"


def test_postgres_keeps_its_data_in_the_pgdata_volume(compose):
    volumes = compose["services"]["postgres"].get("volumes") or []
    assert "pgdata:/var/lib/postgresql/data" in volumes


def test_dockerfile_installs_the_runtime_lock_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim-bookworm", dockerfile, re.MULTILINE)
    assert re.search(r"^COPY .*requirements\.txt", dockerfile, re.MULTILINE)
    assert "pip install -r requirements.txt" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    for library in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"):
        assert library in dockerfile


def test_healthcheck_script_used_by_compose_exists(compose):
    for service in compose["services"].values():
        test = service["healthcheck"]["test"]
        text = " ".join(test) if isinstance(test, list) else test
        for script in re.findall(r"scripts/\S+\.py", text):
            assert (ROOT / script).is_file(), script


def test_dockerignore_keeps_local_state_and_secrets_out():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".git/", ".venv/", "node_modules/", ".env"):
        assert entry in ignored


def test_application_healthchecks_use_healthz_and_readyz(compose):
    """web's check is liveness (/healthz); worker's and beat's read their heartbeat from /readyz."""
    script = (ROOT / "scripts" / "healthcheck.py").read_text()
    assert "/healthz" in script and "/readyz" in script
    expected = {"web": "web", "worker": "worker", "beat": "beat"}
    for name, mode in expected.items():
        test = compose["services"][name]["healthcheck"]["test"]
        words = test if isinstance(test, list) else test.split()
        assert "scripts/healthcheck.py" in words and words[-1] == mode, name
        assert "GET /" not in " ".join(words)


def test_the_healthcheck_script_reads_the_endpoints(live_server, monkeypatch):
    import subprocess
    import sys

    env = {"PORT": str(live_server.url.rsplit(":", 1)[1]), "READYZ_URL": f"{live_server.url}/readyz", "PATH": ""}
    web = subprocess.run([sys.executable, str(ROOT / "scripts" / "healthcheck.py"), "web"], env=env, timeout=30)
    assert web.returncode == 0
    worker = subprocess.run([sys.executable, str(ROOT / "scripts" / "healthcheck.py"), "worker"], env=env, timeout=30)
    assert worker.returncode == 1  # no worker has reported in the test database
