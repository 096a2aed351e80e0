"""Browser routes of the workflow pages (other workflow routes are added below by their owners)."""

from django.urls import path

from . import views

urlpatterns = [
    path("review/", views.review_queue, name="review_queue"),
    path("positions/", views.positions_due, name="positions_due"),
    path(
        "agreements/<str:reference>/positions/<int:pk>/",
        views.position_record,
        name="position_record",
    ),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("partner/", views.liaison_dashboard, name="liaison_dashboard"),
]
