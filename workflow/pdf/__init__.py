"""PDF documents rendered with WeasyPrint: the SSOI, the agreement summary and the register of
agreements in force. Rendering is a background job (``workflow.tasks.render_job_run``) that calls
``render_job_run`` here; the browser only queues a ``RenderJob`` and polls it.

Safety: every template escapes user text (Django autoescaping), and WeasyPrint gets a URL fetcher
that serves only the portal's own static files, so a title holding ``<img src="file:///etc/passwd">``
is printed as text and a stray URL to ``http://127.0.0.1:6379/`` is refused, never fetched.

Idempotence: the content is hashed before it is stamped with its version and generation time. A
job whose content matches the latest generated document of that kind reuses it (no new version),
and the document and the job's "ready" state commit together, so a job that runs twice (a worker
killed mid-render, a redelivered message) still leaves exactly one document.

The package, one module per step:

- ``rendering`` — the static-only URL fetcher, ``html_to_pdf``, ``render_pdf`` and the compact
  register written without a layout engine;
- ``contexts`` — what each document shows (its template and context);
- ``jobs`` — the worker's side: ``render_job_run`` and ``render_job_fail``;
- ``queueing`` — the people's side: who may ask, ``render_request``, ``export_request``, retry and
  the sweep of stuck jobs.

The names below stay importable from ``workflow.pdf``. Tunables (``SUMMARY_TIMELINE_ROWS``,
``REGISTER_COMPACT_OVER``) live only in ``contexts``: change them there.
"""

from ..models import RenderKind
from .contexts import (
    SIGNED_STATES,
    TEMPLATE,
    agreements_in_force_on,
    partner_summary_context,
    register_context,
    ssoi_context,
    summarise_timeline,
    summary_context,
)
from .jobs import DOCUMENT_KIND, MAX_RENDER_ATTEMPTS, PreparedDocument, render_job_fail, render_job_run
from .queueing import (
    export_request,
    render_job_retry,
    render_job_stuck,
    render_job_visible_to,
    render_jobs_requeue_stale,
    render_permission_denial,
    render_request,
)
from .rendering import (
    PDF_BASE_URL,
    STATIC_PREFIX,
    RenderedPdf,
    RenderFailed,
    Stamp,
    StaticOnlyURLFetcher,
    html_to_pdf,
    register_compact_pdf,
    render_pdf,
)

__all__ = [
    "DOCUMENT_KIND",
    "MAX_RENDER_ATTEMPTS",
    "PDF_BASE_URL",
    "SIGNED_STATES",
    "STATIC_PREFIX",
    "TEMPLATE",
    "PreparedDocument",
    "RenderFailed",
    "RenderKind",
    "RenderedPdf",
    "Stamp",
    "StaticOnlyURLFetcher",
    "agreements_in_force_on",
    "export_request",
    "html_to_pdf",
    "partner_summary_context",
    "register_compact_pdf",
    "register_context",
    "render_job_fail",
    "render_job_retry",
    "render_job_run",
    "render_job_stuck",
    "render_job_visible_to",
    "render_jobs_requeue_stale",
    "render_permission_denial",
    "render_pdf",
    "render_request",
    "ssoi_context",
    "summarise_timeline",
    "summary_context",
]
