"""The files a newcomer and CI start from say the same thing: README, .ci/run, the locks, make."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!-]+)$")


def pins(path: Path) -> dict[str, str]:
    """Package name -> pinned version for every requirement line of a lock file."""
    result = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-r ")):
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: not pinned with ==: {line!r}"
        result[canonicalize_name(match["name"])] = match["version"]
    return result


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_readme_starts_newcomers_with_make_run_and_make_test():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme
    assert "make test" in readme
    getting_started = readme.split("## Getting started", 1)[1]
    first_block = re.search(r"```\w*\n(.*?)```", getting_started, re.DOTALL)[1]
    assert first_block.split("\n")[:2] == ["make run", "make test"]


def test_readme_documents_every_configuration_variable():
    readme = (ROOT / "README.md").read_text()
    names = [
        line.partition("=")[0].strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert names
    missing = [name for name in names if f"`{name}`" not in readme]
    assert not missing, f"README lacks {missing}"


def test_ci_runs_make_test():
    script = ROOT / ".ci" / "run"
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert re.search(r"^\s*make test\b", text, re.MULTILINE)
    assert os.access(script, os.X_OK)


def test_requirements_pins_every_line():
    runtime = pins(ROOT / "requirements.txt")
    assert canonicalize_name("Django") in runtime
    assert len(runtime) >= 20


def test_dev_requirements_extend_the_runtime_lock_without_repeating_it():
    text = (ROOT / "requirements-dev.txt").read_text()
    assert re.search(r"^-r requirements\.txt$", text, re.MULTILINE)
    runtime = pins(ROOT / "requirements.txt")
    dev = pins(ROOT / "requirements-dev.txt")
    assert not sorted(set(runtime) & set(dev)), "pinned in both lock files"


def test_pyproject_dependencies_match_the_locks(pyproject):
    runtime = pins(ROOT / "requirements.txt")
    everything = runtime | pins(ROOT / "requirements-dev.txt")
    groups = [
        (pyproject["project"]["dependencies"], runtime, "requirements.txt"),
        (pyproject["project"]["optional-dependencies"]["dev"], everything, "requirements-dev.txt"),
    ]
    for requirements, locked, lock_name in groups:
        for spec in requirements:
            requirement = Requirement(spec)
            name = canonicalize_name(requirement.name)
            assert name in locked, f"{requirement.name} is not pinned in {lock_name}"
            assert requirement.specifier.contains(locked[name], prereleases=True), (
                f"{requirement.name}=={locked[name]} is outside {requirement.specifier}"
            )


def test_pytest_settings(pyproject):
    options = pyproject["tool"]["pytest"]["ini_options"]
    assert options["DJANGO_SETTINGS_MODULE"] == "icp_portal.settings.test"
    assert options["testpaths"] == ["tests"]
    markers = {marker.split(":")[0] for marker in options["markers"]}
    assert {"browser", "celery_worker"} <= markers


def test_front_end_dependencies_are_locked():
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert package["scripts"]["copy-assets"] == "node scripts/copy-assets.mjs"
    assert (ROOT / "scripts" / "copy-assets.mjs").is_file()
    majors = {"@uswds/uswds": "3", "htmx.org": "2", "chart.js": "4", "axe-core": "4"}
    assert set(majors) <= set(package["dependencies"])
    for name, major in majors.items():
        locked = lock["packages"][f"node_modules/{name}"]["version"]
        assert locked.split(".")[0] == major, f"{name} {locked}"
    assert lock["packages"][""]["dependencies"] == package["dependencies"]


def test_makefile_defines_the_project_vocabulary():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", makefile, re.MULTILINE))
    assert {"run", "test", "lint", "fmt", "bench", "demo", "install", "clean"} <= targets


def test_generated_and_local_files_are_ignored():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    for entry in (".venv/", "node_modules/", "static/vendor/", "staticfiles/", "var/", "media/"):
        assert entry in ignored


def test_every_setting_read_from_the_environment_is_documented():
    """A variable the settings read but the README table and .env.example do not list is one an
    operator cannot know about."""
    import re

    test_only = {"RENDER_TEST_DELAY_SECONDS", "AXES_ENABLED"}
    settings_dir = ROOT / "icp_portal" / "settings"
    names = set()
    for path in settings_dir.glob("*.py"):
        names |= set(re.findall(r'env(?:\.\w+)?\("([A-Z][A-Z0-9_]+)"', path.read_text()))
    assert {"SECRET_KEY", "DATABASE_URL", "PORTAL_MARKING"} <= names
    readme = (ROOT / "README.md").read_text()
    env_example = (ROOT / ".env.example").read_text()
    assert [n for n in sorted(names - test_only) if f"`{n}`" not in readme] == []
    assert [n for n in sorted(names - test_only) if not re.search(rf"^#? ?{n}=", env_example, re.M)] == []
