#!/usr/bin/env python3
"""Fail when the project's modules import each other in a circle.

Builds the import graph of the project's packages with grimp (import-linter's graph library),
leaving out imports made only for type checking (``if TYPE_CHECKING:``) and counting imports
inside functions (a function-level import that dodges a circle is still a circle), then lists
every strongly connected component of more than one module: each is a set of modules that can
all reach one another. `make lint` runs it; exit status 1 when any circle is found.

    .venv/bin/python scripts/check_import_cycles.py            # the project's packages
    .venv/bin/python scripts/check_import_cycles.py workflow   # one package
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("icp_portal", "partners", "agreements", "workflow")
# Migrations are generated and load apart from the app's code.
IGNORED = (".migrations",)


def _ignored(module: str) -> bool:
    return any(part in module for part in IGNORED)


def import_graph(packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Each module of ``packages`` and the project modules it imports directly."""
    graph = grimp.build_graph(*packages, exclude_type_checking_imports=True, cache_dir=None)
    modules = {m for m in graph.modules if not _ignored(m)}
    return {m: {i for i in graph.find_modules_directly_imported_by(m) if i in modules} for m in modules}


def strongly_connected_components(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit): every component, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def cycles(packages: tuple[str, ...] = PACKAGES) -> list[list[str]]:
    """The circles among ``packages``' modules: components of two or more, and self-imports."""
    edges = import_graph(packages)
    found = [c for c in strongly_connected_components(edges) if len(c) > 1]
    found += [[m] for m in sorted(edges) if m in edges[m]]
    return sorted(found)


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    packages = tuple(argv) or PACKAGES
    found = cycles(packages)
    if not found:
        print(f"check_import_cycles: no import circle among {', '.join(packages)}")
        return 0
    edges = import_graph(packages)
    for component in found:
        members = set(component)
        print(f"import circle among {len(component)} module(s):", file=sys.stderr)
        for module in component:
            inside = sorted(edges[module] & members)
            print(f"  {module} -> {', '.join(inside)}", file=sys.stderr)
    print(f"check_import_cycles: {len(found)} circle(s)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
