"""`make lint`: the repository's own files agree with each other and with the code.

README, .env.example, .ci/run, the lock files, pyproject, package.json, the Makefile, .gitignore,
docker-compose.yml, the Dockerfile, .dockerignore, the health-check script and the architecture
note are read (never run) and compared: every check that fails says which file and what to fix,
all checks run, and the exit status is 1 when any failed. `python scripts/check_repo.py -k compose`
runs the checks whose name contains "compose".
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
import traceback
import urllib.error
from collections.abc import Callable
from functools import cache
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHECKS: list[Callable[[], None]] = []


class CheckFailed(Exception):
    """A check that does not hold, with the sentence that says why."""


def check(fn: Callable[[], None]) -> Callable[[], None]:
    CHECKS.append(fn)
    return fn


def require(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def text(name: str) -> str:
    path = ROOT / name
    require(path.is_file(), f"{name} is missing")
    return path.read_text()


# --- production code moves no clock and patches nothing ----------------------------------------
# Only the seed_demo command may date the demo's steps in the past (time-machine, inside it).
CLOCK_OR_PATCH = re.compile(
    r"^\s*(?:from|import)\s+(?:unittest\.mock|unittest\s+import\s+mock|mock|time_machine)\b", re.M
)
CLOCK_ALLOWED = {"workflow/management/commands/seed_demo.py"}


@check
def production_code_patches_nothing_process_wide() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for app in ("icp_portal", "partners", "agreements", "workflow")
        for path in sorted((ROOT / app).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in CLOCK_ALLOWED and CLOCK_OR_PATCH.search(path.read_text())
    ]
    require(
        not offenders,
        f"{offenders} import unittest.mock or time_machine: production code passes dates explicitly "
        "(only seed_demo moves the clock)",
    )


# --- README, .ci/run, the locks, make (formerly tests/test_repo_files.py) ------------------------
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!-]+)$")


def pins(name: str) -> dict[str, str]:
    """Package name -> pinned version for every requirement line of a lock file."""
    from packaging.utils import canonicalize_name

    result = {}
    for line in text(name).splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-r ")):
            continue
        match = PIN.match(line)
        require(match, f"{name}: not pinned with ==: {line!r}")
        result[canonicalize_name(match["name"])] = match["version"]
    return result


@cache
def pyproject() -> dict:
    return tomllib.loads(text("pyproject.toml"))


@check
def readme_starts_newcomers_with_make_run_and_make_test() -> None:
    readme = text("README.md")
    require("make run" in readme, "README.md never says `make run`")
    require("make test" in readme, "README.md never says `make test`")
    require("## Getting started" in readme, "README.md has no '## Getting started' section")
    getting_started = readme.split("## Getting started", 1)[1]
    first_block = re.search(r"```\w*\n(.*?)```", getting_started, re.DOTALL)
    require(first_block, "README.md: '## Getting started' has no code block")
    lines = first_block[1].split("\n")[:2]
    require(lines == ["make run", "make test"], f"README.md: Getting started begins with {lines}, not make run/test")


@check
def readme_documents_every_configuration_variable() -> None:
    readme = text("README.md")
    names = [
        line.partition("=")[0].strip()
        for line in text(".env.example").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    require(names, ".env.example names no variable")
    missing = [name for name in names if f"`{name}`" not in readme]
    require(not missing, f"README.md lacks {missing} (set in .env.example)")


@check
def ci_runs_make_test() -> None:
    script = text(".ci/run")
    require(script.startswith("#!/usr/bin/env bash\n"), ".ci/run does not start with #!/usr/bin/env bash")
    require("set -euo pipefail" in script, ".ci/run lacks `set -euo pipefail`")
    require(re.search(r"^\s*make test\b", script, re.MULTILINE), ".ci/run does not run `make test`")
    require(os.access(ROOT / ".ci" / "run", os.X_OK), ".ci/run is not executable")


@check
def requirements_pins_every_line() -> None:
    from packaging.utils import canonicalize_name

    runtime = pins("requirements.txt")
    require(canonicalize_name("Django") in runtime, "requirements.txt does not pin Django")
    require(len(runtime) >= 20, f"requirements.txt pins only {len(runtime)} packages (expected at least 20)")


@check
def dev_requirements_extend_the_runtime_lock_without_repeating_it() -> None:
    require(
        re.search(r"^-r requirements\.txt$", text("requirements-dev.txt"), re.MULTILINE),
        "requirements-dev.txt does not start from `-r requirements.txt`",
    )
    both = sorted(set(pins("requirements.txt")) & set(pins("requirements-dev.txt")))
    require(not both, f"pinned in both lock files: {both}")


@check
def pyproject_dependencies_match_the_locks() -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    runtime = pins("requirements.txt")
    everything = runtime | pins("requirements-dev.txt")
    groups = [
        (pyproject()["project"]["dependencies"], runtime, "requirements.txt"),
        (pyproject()["project"]["optional-dependencies"]["dev"], everything, "requirements-dev.txt"),
    ]
    for requirements, locked, lock_name in groups:
        for spec in requirements:
            requirement = Requirement(spec)
            name = canonicalize_name(requirement.name)
            require(name in locked, f"pyproject.toml: {requirement.name} is not pinned in {lock_name}")
            require(
                requirement.specifier.contains(locked[name], prereleases=True),
                f"pyproject.toml: {requirement.name}=={locked[name]} is outside {requirement.specifier}",
            )


@check
def pytest_settings() -> None:
    options = pyproject()["tool"]["pytest"]["ini_options"]
    require(
        options["DJANGO_SETTINGS_MODULE"] == "icp_portal.settings.test",
        "pyproject.toml: pytest must use icp_portal.settings.test",
    )
    require(options["testpaths"] == ["tests"], "pyproject.toml: pytest's testpaths must be ['tests']")
    markers = {marker.split(":")[0] for marker in options["markers"]}
    require(
        {"browser", "celery_worker"} <= markers,
        f"pyproject.toml: pytest markers {sorted(markers)} lack browser/celery_worker",
    )


@check
def front_end_dependencies_are_locked() -> None:
    package = json.loads(text("package.json"))
    lock = json.loads(text("package-lock.json"))
    require(
        package["scripts"]["copy-assets"] == "node scripts/copy-assets.mjs",
        "package.json: the copy-assets script must be `node scripts/copy-assets.mjs`",
    )
    require((ROOT / "scripts" / "copy-assets.mjs").is_file(), "scripts/copy-assets.mjs is missing")
    majors = {"@uswds/uswds": "3", "htmx.org": "2", "chart.js": "4", "axe-core": "4"}
    missing = sorted(set(majors) - set(package["dependencies"]))
    require(not missing, f"package.json does not depend on {missing}")
    for name, major in majors.items():
        locked = lock["packages"][f"node_modules/{name}"]["version"]
        require(locked.split(".")[0] == major, f"package-lock.json: {name} {locked}, expected major {major}")
    require(
        lock["packages"][""]["dependencies"] == package["dependencies"],
        "package-lock.json is out of date with package.json (run npm install)",
    )


@check
def makefile_defines_the_project_vocabulary() -> None:
    targets = set(re.findall(r"^([a-z-]+):", text("Makefile"), re.MULTILINE))
    missing = sorted({"run", "test", "lint", "fmt", "bench", "demo", "install", "clean"} - targets)
    require(not missing, f"Makefile lacks the targets {missing}")


@check
def generated_and_local_files_are_ignored() -> None:
    ignored = text(".gitignore").splitlines()
    for entry in (".venv/", "node_modules/", "static/vendor/", "staticfiles/", "var/", "media/"):
        require(entry in ignored, f".gitignore lacks {entry}")


@check
def every_setting_read_from_the_environment_is_documented() -> None:
    """A variable the settings read but the README table and .env.example do not list is one an
    operator cannot know about."""
    test_only = {"RENDER_TEST_DELAY_SECONDS", "AXES_ENABLED"}
    names = set()
    for path in (ROOT / "icp_portal" / "settings").glob("*.py"):
        names |= set(re.findall(r'env(?:\.\w+)?\("([A-Z][A-Z0-9_]+)"', path.read_text()))
    require(
        {"SECRET_KEY", "DATABASE_URL", "PORTAL_MARKING"} <= names,
        f"icp_portal/settings no longer reads SECRET_KEY, DATABASE_URL and PORTAL_MARKING: {sorted(names)}",
    )
    readme = text("README.md")
    env_example = text(".env.example")
    undocumented = [n for n in sorted(names - test_only) if f"`{n}`" not in readme]
    require(not undocumented, f"README.md does not document the settings {undocumented}")
    unlisted = [n for n in sorted(names - test_only) if not re.search(rf"^#? ?{n}=", env_example, re.M)]
    require(not unlisted, f".env.example does not list the settings {unlisted}")


# --- docker-compose.yml and the Dockerfile (formerly tests/test_compose.py) ------------------------
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


# --- make lint's pip-audit step (formerly tests/test_audit_dependencies.py) -------------------------
def audit_module():
    spec = importlib.util.spec_from_file_location("audit_dependencies", ROOT / "scripts" / "audit_dependencies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_quietly(fn: Callable[[], int]) -> tuple[int, str]:
    """fn()'s result and what it printed."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = fn()
    return result, out.getvalue()


@check
def audit_an_unreachable_service_is_a_loud_skip() -> None:
    audit = audit_module()

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    with mock.patch.object(audit.urllib.request, "urlopen", refuse):
        status, out = run_quietly(audit.main)
    require(status == 0, f"scripts/audit_dependencies.py exits {status} when the service is unreachable, not 0")
    require(
        "pip-audit SKIPPED" in out and "Name or service not known" in out,
        f"scripts/audit_dependencies.py skips silently when the service is unreachable: {out!r}",
    )


@check
def audit_a_known_vulnerability_fails_and_unaudited_pins_are_named() -> None:
    audit = audit_module()

    def fake_run(command, **kwargs):
        output = Path(command[command.index("--output") + 1])
        dependencies = [
            {"name": "django", "version": "5.2.19", "vulns": [{"id": "PYSEC-0", "fix_versions": ["5.2.20"]}]},
            {"name": "ruff", "version": "0.17.6", "skip_reason": "not found"},
            {"name": "celery", "version": "5.7.0", "vulns": []},
        ]
        output.write_text(json.dumps({"dependencies": dependencies}))
        return subprocess.CompletedProcess(command, 1, "", "")

    with (
        mock.patch.object(audit, "service_unreachable", lambda url: None),
        mock.patch.object(audit.subprocess, "run", fake_run),
    ):
        status, out = run_quietly(audit.main)
    require(status == 1, f"scripts/audit_dependencies.py exits {status} on a known vulnerability, not 1")
    require(
        "django 5.2.19: PYSEC-0 (fixed in 5.2.20)" in out,
        f"scripts/audit_dependencies.py does not name the vulnerability: {out!r}",
    )
    require(
        "could not audit 1 of 3 pins: ruff" in out,
        f"scripts/audit_dependencies.py does not name unaudited pins: {out!r}",
    )


# --- docs (formerly tests/workflow/test_door_matrix.py) --------------------------------------------
@check
def every_rule_is_listed_in_the_architecture_note() -> None:
    from workflow.rulebook import RULES

    note = text("docs/architecture.md")
    missing = [rule.key for rule in RULES if f"`{rule.key}`" not in note]
    require(not missing, f"docs/architecture.md does not list the rules {missing} (workflow.rulebook)")


# --- make lint and the pre-commit hooks run the same checks -------------------------------------
def lint_commands() -> list[str]:
    """The commands of the Makefile's `lint` recipe, spelled as the hooks spell them."""
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", text("Makefile"), re.MULTILINE)
    require(recipe, "Makefile: no `lint` target with a recipe")
    spelled = {
        "$(RUFF)": ".venv/bin/ruff",
        "$(PY)": ".venv/bin/python",
        "$(VENV)": ".venv",
        "$(TEST_ENV)": "env DJANGO_SETTINGS_MODULE=icp_portal.settings.test",
    }
    commands = []
    for line in recipe[1].splitlines():
        command = line.strip().lstrip("@")
        for variable, value in spelled.items():
            command = command.replace(variable, value)
        commands.append(command.removesuffix(" ."))  # ruff's "." is the files pre-commit passes
    return commands


@check
def pre_commit_runs_what_make_lint_runs() -> None:
    import yaml

    config = yaml.safe_load(text(".pre-commit-config.yaml"))
    entries = {hook["entry"].replace(" --force-exclude", "") for repo in config["repos"] for hook in repo["hooks"]}
    commands = lint_commands()
    missing = [command for command in commands if command not in entries]
    require(not missing, f".pre-commit-config.yaml has no hook for what `make lint` runs: {missing}")
    extra = sorted(entries - set(commands))
    require(not extra, f".pre-commit-config.yaml runs what `make lint` does not: {extra}")


# --- the runner -----------------------------------------------------------------------------------
def main(argv: list[str]) -> int:
    selected = [fn for fn in CHECKS if not argv[1:2] == ["-k"] or argv[2] in fn.__name__]
    failed = []
    for fn in selected:
        try:
            fn()
        except CheckFailed as exc:
            failed.append(fn.__name__)
            print(f"check_repo: FAILED {fn.__name__}: {exc}", file=sys.stderr)
        except Exception:
            failed.append(fn.__name__)
            print(f"check_repo: BROKEN {fn.__name__}:\n{traceback.format_exc()}", file=sys.stderr)
    if failed:
        print(f"check_repo: {len(failed)} of {len(selected)} checks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"check_repo: {len(selected)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
