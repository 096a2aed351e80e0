"""RSS of one process rendering the same SSOI PDF again and again, as a Celery worker child does.

    .venv/bin/python bench/worker_memory.py --database icp_bench_1k --renders 500

Prints JSON: RSS after the first render, after 50 and at the end, sampled every 50 renders.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--renders", type=int, default=500)
    args = parser.parse_args()
    from bench.scenarios import setup

    setup(args.database)
    from django.conf import settings
    from django.utils import timezone

    from agreements.models import Agreement
    from workflow import pdf

    agreement = Agreement.objects.filter(state="in_force").order_by("pk").first()
    samples = []
    started = time.perf_counter()
    for index in range(1, args.renders + 1):
        context = pdf.ssoi_context(agreement)
        pdf.render_pdf(pdf.TEMPLATE[pdf.RenderKind.SSOI], context, pdf.Stamp(version=1, generated_at=timezone.now()))
        if index == 1 or index % 50 == 0:
            samples.append((index, rss_mb()))
    after_50 = next((mb for i, mb in samples if i >= 50), samples[0][1])
    print(
        json.dumps(
            {
                "renders": args.renders,
                "seconds": round(time.perf_counter() - started, 1),
                "first_mb": samples[0][1],
                "after_50_mb": after_50,
                "last_mb": samples[-1][1],
                "growth_mb": round(samples[-1][1] - after_50, 1),
                "samples": samples,
                "worker_max_tasks_per_child": getattr(settings, "CELERY_WORKER_MAX_TASKS_PER_CHILD", None),
                "worker_max_memory_per_child_kb": getattr(settings, "CELERY_WORKER_MAX_MEMORY_PER_CHILD", None),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
