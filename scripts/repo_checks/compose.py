"""The repository checks of docker-compose.yml, the Dockerfile and the health-check script (run by
scripts/check_repo.py, formerly tests/test_compose.py)."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
from functools import cache

from . import ROOT, check, require, text

SERVICES = ("postgres", "redis", "web", "worker", "beat")
APP_SERVICES = ("web", "worker", "beat")
# `${VAR}`, `${VAR:-default}`, `${VAR:?error}`; `$${VAR}` is escaped for the container's shell.
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


@cache
def compose() -> dict:
    import yaml

    return yaml.safe_load(text("docker-compose.yml"))


@cache
def env_example() -> dict[str, str]:
    values = {}
    for line in text(".env.example").splitlines():
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


@check
def compose_has_the_five_services() -> None:
    missing = sorted(set(SERVICES) - set(compose()["services"]))
    require(not missing, f"docker-compose.yml lacks the services {missing}")


@check
def compose_services_have_a_healthcheck() -> None:
    for name in SERVICES:
        healthcheck = compose()["services"][name].get("healthcheck")
        require(healthcheck, f"docker-compose.yml: {name} has no healthcheck")
        require(healthcheck.get("test"), f"docker-compose.yml: {name}'s healthcheck has no test")
        require(not healthcheck.get("disable"), f"docker-compose.yml: {name}'s healthcheck is disabled")


@check
def compose_dependencies_wait_until_healthy() -> None:
    services = compose()["services"]
    for name in SERVICES:
        depends_on = services[name].get("depends_on") or {}
        require(isinstance(depends_on, dict), f"docker-compose.yml: {name}: depends_on needs conditions, not a list")
        for dependency, spec in depends_on.items():
            require(
                spec.get("condition") == "service_healthy",
                f"docker-compose.yml: {name} -> {dependency} does not wait for service_healthy",
            )
            require(services[dependency].get("healthcheck"), f"docker-compose.yml: {dependency} cannot become healthy")


@check
def compose_application_services_read_the_env_file() -> None:
    for name in APP_SERVICES:
        env_file = compose()["services"][name].get("env_file")
        env_files = [env_file] if isinstance(env_file, str) else env_file or []
        require(".env" in env_files, f"docker-compose.yml: {name} does not read .env")


@check
def compose_web_serves_the_wsgi_application_that_exists() -> None:
    command = command_text(compose()["services"]["web"])
    require("gunicorn" in command, "docker-compose.yml: web does not run gunicorn")
    require("icp_portal.wsgi:application" in command, "docker-compose.yml: web does not serve icp_portal.wsgi")
    require(importlib.util.find_spec("icp_portal.wsgi") is not None, "icp_portal/wsgi.py does not exist")
    # The access log must not hold the calendar feed's token (icp_portal/log_redaction.py).
    require("--config gunicorn.conf.py" in command, "docker-compose.yml: web's gunicorn does not read gunicorn.conf.py")
    require("gunicorn.conf.py" in text("Dockerfile"), "Dockerfile: gunicorn does not read gunicorn.conf.py")
    require((ROOT / "gunicorn.conf.py").exists(), "gunicorn.conf.py does not exist")


@check
def compose_web_migrates_and_collects_static_before_serving() -> None:
    command = command_text(compose()["services"]["web"])
    for step in ("migrate", "collectstatic"):
        require(step in command, f"docker-compose.yml: web never runs {step}")
        require(command.index(step) < command.index("gunicorn"), f"docker-compose.yml: web runs {step} after gunicorn")


@check
def compose_celery_services_use_the_project_app() -> None:
    for name, subcommand in (("worker", "worker"), ("beat", "beat")):
        words = command_text(compose()["services"][name]).split()
        require(words and words[0] == "celery", f"docker-compose.yml: {name} does not run celery")
        require(
            "-A" in words and words[words.index("-A") + 1] == "icp_portal",
            f"docker-compose.yml: {name} does not use `-A icp_portal`",
        )
        require(subcommand in words, f"docker-compose.yml: {name} does not run `celery {subcommand}`")


@check
def celery_module_defines_app() -> None:
    from celery import Celery

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icp_portal.settings.test")
    module = importlib.import_module("icp_portal.celery")
    require(isinstance(getattr(module, "app", None), Celery), "icp_portal/celery.py defines no Celery `app`")


@check
def compose_and_dockerfile_name_settings_modules_that_exist() -> None:
    services = compose()["services"]
    named = {
        environment(service)["DJANGO_SETTINGS_MODULE"]
        for service in services.values()
        if "DJANGO_SETTINGS_MODULE" in environment(service)
    }
    named |= set(re.findall(r"DJANGO_SETTINGS_MODULE=(\S+)", text("Dockerfile")))
    require(named, "DJANGO_SETTINGS_MODULE is set nowhere in docker-compose.yml or the Dockerfile")
    for module in sorted(named):
        require(importlib.util.find_spec(module) is not None, f"the settings module {module} does not exist")
    for name in APP_SERVICES:
        value = environment(services[name]).get("DJANGO_SETTINGS_MODULE")
        require(value == "icp_portal.settings.production", f"docker-compose.yml: {name} runs with {value}")


@check
def compose_interpolates_only_variables_of_env_example() -> None:
    used = set(INTERPOLATION.findall(text("docker-compose.yml")))
    require(used, "docker-compose.yml: expected ${VAR} substitutions (e.g. POSTGRES_PASSWORD)")
    missing = sorted(used - set(env_example()))
    require(not missing, f"docker-compose.yml uses variables .env.example lacks: {missing}")


@check
def env_example_documents_every_setting() -> None:
    settings = {
        "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS",
        "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL", "DEFAULT_FROM_EMAIL",
        "PORTAL_MARKING", "DEMO_PASSWORD", "SILENCE_PERIOD_DAYS", "SILENCE_REMINDER_DAYS",
        "STATE_TRANSMITTAL_DAYS", "CONGRESSIONAL_WAIT_DAYS", "MEDIA_ROOT", "STORAGE_BACKEND",
        "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "MAX_UPLOAD_MB", "PORT",
    }  # fmt: skip
    missing = sorted(settings - set(env_example()))
    require(not missing, f".env.example lacks {missing}")
    require(
        env_example()["DEBUG"].lower() in {"false", "0", "off", "no"},
        f".env.example must turn DEBUG off, not {env_example()['DEBUG']!r}",
    )


@check
def compose_declares_its_named_volumes() -> None:
    declared = set(compose().get("volumes") or {})
    missing = sorted({"pgdata", "media", "static"} - declared)
    require(not missing, f"docker-compose.yml does not declare the volumes {missing}")
    for name, service in compose()["services"].items():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source")
            if source and not source.startswith((".", "/", "~")):
                require(source in declared, f"docker-compose.yml: {name} uses the undeclared volume {source}")


@check
def compose_postgres_keeps_its_data_in_the_pgdata_volume() -> None:
    volumes = compose()["services"]["postgres"].get("volumes") or []
    require(
        "pgdata:/var/lib/postgresql/data" in volumes, "docker-compose.yml: postgres does not keep its data in pgdata"
    )


@check
def dockerfile_installs_the_runtime_lock_as_a_non_root_user() -> None:
    dockerfile = text("Dockerfile")
    require(
        re.search(r"^FROM python:3\.11-slim-bookworm", dockerfile, re.MULTILINE),
        "Dockerfile: not python:3.11-slim-bookworm",
    )
    require(
        re.search(r"^COPY .*requirements\.txt", dockerfile, re.MULTILINE), "Dockerfile does not copy requirements.txt"
    )
    require("pip install -r requirements.txt" in dockerfile, "Dockerfile does not install requirements.txt")
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    require(users and users[-1] not in {"root", "0"}, f"Dockerfile runs as root (USER lines: {users})")
    for library in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"):
        require(library in dockerfile, f"Dockerfile does not install {library}")


@check
def compose_healthcheck_scripts_exist() -> None:
    for name, service in compose()["services"].items():
        test = service["healthcheck"]["test"]
        words = " ".join(test) if isinstance(test, list) else test
        for script in re.findall(r"scripts/\S+\.py", words):
            require((ROOT / script).is_file(), f"docker-compose.yml: {name}'s healthcheck runs the missing {script}")


@check
def dockerignore_keeps_local_state_and_secrets_out() -> None:
    ignored = text(".dockerignore").splitlines()
    for entry in (".git/", ".venv/", "node_modules/", ".env"):
        require(entry in ignored, f".dockerignore lacks {entry}")


@check
def compose_application_healthchecks_use_healthz_and_readyz() -> None:
    """Web's check is liveness (/healthz); worker's and beat's read their heartbeat from /readyz."""
    script = text("scripts/healthcheck.py")
    require("/healthz" in script and "/readyz" in script, "scripts/healthcheck.py does not read /healthz and /readyz")
    for name in ("web", "worker", "beat"):
        test = compose()["services"][name]["healthcheck"]["test"]
        words = test if isinstance(test, list) else test.split()
        require(
            "scripts/healthcheck.py" in words and words[-1] == name,
            f"docker-compose.yml: {name}'s healthcheck must run `scripts/healthcheck.py {name}`",
        )
        require("GET /" not in " ".join(words), f"docker-compose.yml: {name}'s healthcheck requests GET /")
