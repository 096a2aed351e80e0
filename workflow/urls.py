"""Browser routes of the workflow pages: the agreement page's lifecycle tabs and actions, the
queues and dashboards, generated PDFs and notifications, the import and the calendar."""

from django.urls import path

from .views import calendar_pages, coordination, dashboards, history, importing, pdf_jobs, queues, search, transitions

urlpatterns = [
    path("review/", queues.review_queue, name="review_queue"),
    path("review/remind/", queues.review_queue_remind, name="review_queue_remind"),
    path("positions/", queues.positions_due, name="positions_due"),
    path(
        "agreements/<str:reference>/positions/<int:pk>/",
        queues.position_record,
        name="position_record",
    ),
    path("search/", search.search_page, name="search"),
    path("dashboard/", dashboards.dashboard, name="dashboard"),
    path("partner/", dashboards.liaison_dashboard, name="liaison_dashboard"),
]

# The agreement page's lifecycle tabs and actions.
urlpatterns += [
    path(
        "agreements/<str:reference>/coordination/",
        coordination.agreement_coordination,
        name="agreement_coordination",
    ),
    path(
        "agreements/<str:reference>/coordination/offices/",
        coordination.coordination_offices,
        name="coordination_offices",
    ),
    path(
        "agreements/<str:reference>/coordination/notice/",
        coordination.congressional_notice,
        name="congressional_notice",
    ),
    path(
        "agreements/<str:reference>/coordination/positions/<int:pk>/remind/",
        coordination.position_remind,
        name="position_remind",
    ),
    path(
        "agreements/<str:reference>/obligations/<int:pk>/complete/",
        coordination.obligation_complete,
        name="obligation_complete",
    ),
    path("agreements/<str:reference>/history/", history.agreement_history, name="agreement_history"),
    path(
        "agreements/<str:reference>/actions/<str:name>/",
        transitions.agreement_transition,
        name="agreement_transition",
    ),
]

# Generated PDFs (render jobs), the register of agreements in force, and notifications.
urlpatterns += [
    path("agreements/<str:reference>/pdf/", pdf_jobs.render_panel, name="render_panel"),
    path("agreements/<str:reference>/pdf/<slug:kind>/", pdf_jobs.render_request, name="render_request"),
    path("pdf/jobs/<int:pk>/", pdf_jobs.render_status, name="render_status"),
    path("pdf/jobs/<int:pk>/download/", pdf_jobs.render_download, name="render_download"),
    path("pdf/jobs/<int:pk>/retry/", pdf_jobs.render_retry, name="render_retry"),
    path("pdf/register/", pdf_jobs.register_pdf, name="register_pdf"),
    path("notifications/", pdf_jobs.notifications, name="notifications"),
]

# Import of existing agreements.
urlpatterns += [
    path("import/", importing.import_upload, name="import_upload"),
    path("import/template.xlsx", importing.import_template, name="import_template"),
    path("import/<int:pk>/", importing.import_batch, name="import_batch"),
    path("import/<int:pk>/progress/", importing.import_progress, name="import_progress"),
    path("import/<int:pk>/run/", importing.import_run, name="import_run"),
]

# The calendar page and the personal iCalendar feed.
urlpatterns += [
    path("calendar/", calendar_pages.calendar_page, name="calendar"),
    path("calendar/feed/new/", calendar_pages.calendar_feed_create_view, name="calendar_feed_create"),
    path("calendar/feed/<int:pk>/revoke/", calendar_pages.calendar_feed_revoke_view, name="calendar_feed_revoke"),
    path("calendar/feed/<str:token>.ics", calendar_pages.calendar_feed, name="calendar_feed"),
]
