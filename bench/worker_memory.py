"""RSS of a Celery worker rendering the same SSOI PDF again and again.

    .venv/bin/python bench/worker_memory.py --database icp_bench_1k --renders 500

Each render is one task in a pool of one process replaced after ``--max-tasks-per-child`` tasks
(default: CELERY_WORKER_MAX_TASKS_PER_CHILD), as the deployed prefork worker does. WeasyPrint's
native memory grows with every render in a process (the Python heap does not; malloc_trim does
not give it back), so what bounds the worker is the replacement of its child. Prints JSON: RSS
after the first render, after 50 and at the end, the largest after 50, sampled every 25 renders,
and how much one child grows per render.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_AGREEMENT = None


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def child_setup(database: str) -> None:
    """What a worker child has once it has started: Django set up, the agreement at hand."""
    global _AGREEMENT
    from bench.scenarios import setup

    setup(database)
    from agreements.models import Agreement

    _AGREEMENT = Agreement.objects.filter(state="in_force").order_by("pk").first()


def render_once(_index: int) -> tuple[int, float]:
    """One task: render the SSOI PDF; answers the child's pid and RSS after it."""
    from django.utils import timezone

    from workflow import pdf

    context = pdf.ssoi_context(_AGREEMENT)
    pdf.render_pdf(pdf.TEMPLATE[pdf.RenderKind.SSOI], context, pdf.Stamp(version=1, generated_at=timezone.now()))
    return os.getpid(), rss_mb()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--renders", type=int, default=500)
    parser.add_argument("--max-tasks-per-child", type=int, default=None)
    args = parser.parse_args()
    from bench.scenarios import setup

    setup(args.database)
    from django.conf import settings

    per_child = args.max_tasks_per_child or getattr(settings, "CELERY_WORKER_MAX_TASKS_PER_CHILD", None) or None
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, initializer=child_setup, initargs=(args.database,), maxtasksperchild=per_child) as pool:
        results = list(pool.imap(render_once, range(args.renders), chunksize=1))
    rss = [mb for _pid, mb in results]
    children = list(dict.fromkeys(pid for pid, _mb in results))
    first_child = [mb for pid, mb in results if pid == children[0]]
    after_50 = rss[min(49, len(rss) - 1)]
    samples = [(i + 1, rss[i]) for i in range(len(rss)) if i == 0 or (i + 1) % 25 == 0]
    print(
        json.dumps(
            {
                "renders": args.renders,
                "seconds": round(time.perf_counter() - started, 1),
                "first_mb": rss[0],
                "after_50_mb": after_50,
                "last_mb": rss[-1],
                "max_after_50_mb": max(rss[49:] or rss),
                "growth_mb": round(max(rss[49:] or rss) - after_50, 1),
                "child_growth_per_render_kb": round(
                    (first_child[-1] - first_child[0]) * 1024 / max(1, len(first_child) - 1), 1
                ),
                "children": len(children),
                "samples": samples,
                "worker_max_tasks_per_child": per_child,
                "worker_max_memory_per_child_kb": getattr(settings, "CELERY_WORKER_MAX_MEMORY_PER_CHILD", None),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
