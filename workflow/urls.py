"""Browser routes of the workflow pages (other workflow routes are added below by their owners)."""

from django.urls import path

from . import views

urlpatterns = [
    path("review/", views.review_queue, name="review_queue"),
    path("review/remind/", views.review_queue_remind, name="review_queue_remind"),
    path("positions/", views.positions_due, name="positions_due"),
    path(
        "agreements/<str:reference>/positions/<int:pk>/",
        views.position_record,
        name="position_record",
    ),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("partner/", views.liaison_dashboard, name="liaison_dashboard"),
]

# Generated PDFs (render jobs), the register of agreements in force, and notifications.
from . import pdf_views  # noqa: E402

urlpatterns += [
    path("agreements/<str:reference>/pdf/", pdf_views.render_panel, name="render_panel"),
    path("agreements/<str:reference>/pdf/<slug:kind>/", pdf_views.render_request, name="render_request"),
    path("pdf/jobs/<int:pk>/", pdf_views.render_status, name="render_status"),
    path("pdf/jobs/<int:pk>/download/", pdf_views.render_download, name="render_download"),
    path("pdf/jobs/<int:pk>/retry/", pdf_views.render_retry, name="render_retry"),
    path("pdf/register/", pdf_views.register_pdf, name="register_pdf"),
    path("notifications/", pdf_views.notifications, name="notifications"),
]

# Import of existing agreements.
from . import import_views  # noqa: E402

urlpatterns += [
    path("import/", import_views.import_upload, name="import_upload"),
    path("import/template.xlsx", import_views.import_template, name="import_template"),
    path("import/<int:pk>/", import_views.import_batch, name="import_batch"),
    path("import/<int:pk>/progress/", import_views.import_progress, name="import_progress"),
    path("import/<int:pk>/run/", import_views.import_run, name="import_run"),
]

# The calendar page and the personal iCalendar feed.
from . import calendar_views  # noqa: E402

urlpatterns += [
    path("calendar/", calendar_views.calendar_page, name="calendar"),
    path("calendar/feed/new/", calendar_views.calendar_feed_create_view, name="calendar_feed_create"),
    path("calendar/feed/<int:pk>/revoke/", calendar_views.calendar_feed_revoke_view, name="calendar_feed_revoke"),
    path("calendar/feed/<str:token>.ics", calendar_views.calendar_feed, name="calendar_feed"),
]
