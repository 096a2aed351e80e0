"""Finding the doors no registry lists: the project's management commands, its Celery tasks, and
the code outside the services, views, API and admin that writes records.

A writer is found by reading the source: a module-level function or class of a project app whose
body calls ``save()`` or ``delete()`` (without arguments: a file's ``save(handle)`` is no record),
``bulk_create``, ``bulk_update``, ``get_or_create``, ``update_or_create``,
``bulk_create_with_history``, or ``create`` / ``update`` / ``delete`` / ``save`` on a chain that
goes through a manager or queryset (``objects``, ``filter``, ``exclude``, ``all``,
``select_for_update``, ``_default_manager``, ``history``); a public function that calls such a
function of its own module is one too. Some writes escape this reading (a related manager's
``create``); the services, routes and admin have their own registries."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands

# The project's apps, and the parts of them that are doors with their own registry (services,
# browser routes, API routes, admin), code that writes only through them (management commands and
# tasks are discovered on their own, below), or the models the rules live in.
PROJECT_APPS = ("agreements", "partners", "workflow", "icp_portal")
REGISTERED_PARTS = {"migrations", "services", "views", "api", "management", "templatetags", "models"}
REGISTERED_FILES = {"admin.py", "tasks.py", "models.py", "urls.py", "apps.py", "forms.py", "filters.py", "views.py"}
ALWAYS_WRITES = {"bulk_create", "bulk_update", "get_or_create", "update_or_create", "bulk_create_with_history"}
QUERY_CHAIN = {"objects", "filter", "exclude", "all", "select_for_update", "_default_manager", "history"}


def _chain(node: ast.AST) -> set[str]:
    names = set()
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.add(node.id)
            return names
        else:
            return names


def _writes(node: ast.AST) -> bool:
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        if isinstance(func, ast.Name) and func.id in ALWAYS_WRITES:
            return True
        if not isinstance(func, ast.Attribute):
            continue
        if func.attr in ALWAYS_WRITES:
            return True
        if func.attr in ("create", "update", "delete", "save") and _chain(func.value) & QUERY_CHAIN:
            return True
        if func.attr in ("save", "delete") and not call.args:
            return True
    return False


def _module_writers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    members = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    writers = {name for name, node in members.items() if _writes(node)}
    grew = True
    while grew:  # a function that calls a writer of its module writes too
        grew = False
        for name, node in members.items():
            called = {c.func.id for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
            if name not in writers and called & writers:
                writers.add(name)
                grew = True
    return {name for name in writers if not name.startswith("_")}


def record_writers() -> set[str]:
    """``module.name`` of every public writer outside the registered doors."""
    root = Path(settings.BASE_DIR)
    found = set()
    for app in PROJECT_APPS:
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root)
            if set(relative.parts) & REGISTERED_PARTS or path.name in REGISTERED_FILES:
                continue
            module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
            found |= {f"{module}.{name}" for name in _module_writers(path)}
    return found


def project_commands() -> set[str]:
    """The ``manage.py`` commands the project's own apps add."""
    project = {"agreements", "partners", "workflow", "icp_portal", "icp_portal.security"}
    return {name for name, app in get_commands().items() if app in project}


def project_tasks() -> set[str]:
    """Every Celery task the project registers, scheduled or not."""
    from icp_portal.celery import app

    app.loader.import_default_modules()
    return {name for name in app.tasks if not name.startswith("celery.")}
