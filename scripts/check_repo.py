"""`make lint`: the repository's own files agree with each other and with the code.

README, .env.example, .ci/run, the lock files, pyproject, package.json, the Makefile, .gitignore,
docker-compose.yml, the Dockerfile, .dockerignore, the health-check script, the architecture
note, the browser script and the length of every Python file are read (never run) and compared:
every check that fails says which file and what to fix, all checks run, and the exit status is 1
when any failed. `python scripts/check_repo.py -k compose` runs the checks whose name contains
"compose".
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

from repo_checks import CHECKS, ROOT, CheckFailed, check, require, text
from repo_checks import compose as compose_checks  # noqa: F401  (its checks join CHECKS)

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


# --- a file a reader can hold in mind ------------------------------------------------------------
MAX_PYTHON_LINES = 600
SKIPPED_DIRECTORIES = {".venv", "node_modules", "migrations", "staticfiles", "media", "var", ".git"}


@check
def no_python_file_outside_migrations_is_longer_than_600_lines() -> None:
    too_long = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if SKIPPED_DIRECTORIES & set(relative.parts[:-1]):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_PYTHON_LINES:
            too_long.append(f"{relative} ({lines})")
    require(
        not too_long,
        f"{', '.join(too_long)}: longer than {MAX_PYTHON_LINES} lines; split each into modules of one job "
        "(a package with one module per family, as agreements/services/ or agreements/views/)",
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
    """``.venv`` and ``node_modules`` without a slash: a worktree may link them, and a link is no
    directory, so ``.venv/`` would let ``git add -A`` commit the link."""
    ignored = text(".gitignore").splitlines()
    for entry in (".venv", "node_modules", "static/vendor/", "staticfiles/", "var/", "media/"):
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


# --- the browser script and the server agree -----------------------------------------------------
@check
def the_browser_script_adds_the_form_token_the_middleware_reads() -> None:
    """static/js/portal.js gives every POST form a one-time token (a browser test proves it,
    tests/browser/test_double_submit.py); this holds the field's name to the one
    icp_portal/idempotency.py reads."""
    field = re.search(r'token = request\.POST\.get\("(\w+)"', text("icp_portal/idempotency.py"))
    require(field, 'icp_portal/idempotency.py no longer reads the form token as request.POST.get("...")')
    require(
        f'input.name = "{field[1]}"' in text("static/js/portal.js"),
        f"static/js/portal.js does not add the {field[1]!r} field icp_portal/idempotency.py reads",
    )


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
