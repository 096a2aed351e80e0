"""Browser routes of agreements. Agreement pages take ``reference`` (the liaison access log
relies on that name)."""

from django.urls import path

from . import views
from .views import compare as compare_views
from .views import documents, participants
from .views import saved as saved_views

urlpatterns = [
    path("", views.home, name="home"),
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/export.<str:fmt>", views.agreement_export, name="agreement_export"),
    path("agreements/views/", saved_views.saved_view_create, name="saved_view_create"),
    path("agreements/views/<int:pk>/delete/", saved_views.saved_view_delete, name="saved_view_delete"),
    path("agreements/new/", views.agreement_create, name="agreement_create"),
    path("agreements/<str:reference>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<str:reference>/ssoi/", views.agreement_ssoi, name="agreement_ssoi"),
    path("agreements/<str:reference>/ssoi/compare/", compare_views.ssoi_compare, name="ssoi_compare"),
    path(
        "agreements/<str:reference>/documents/compare/",
        compare_views.document_compare,
        name="document_compare",
    ),
    path(
        "agreements/<str:reference>/ssoi/confirm-review/",
        views.agreement_ssoi_confirm_review,
        name="agreement_ssoi_confirm_review",
    ),
    path(
        "agreements/<str:reference>/ssoi/sections/<slug:key>/",
        views.agreement_ssoi_section,
        name="agreement_ssoi_section",
    ),
    path(
        "agreements/<str:reference>/participants/",
        views.agreement_participants,
        name="agreement_participants",
    ),
    path(
        "agreements/<str:reference>/documents/",
        views.agreement_documents,
        name="agreement_documents",
    ),
    # One route per change on the participants tab; the deletions ask first (confirm view).
    path("agreements/<str:reference>/participants/add/", participants.participant_add, name="participant_add"),
    path(
        "agreements/<str:reference>/participants/<int:pk>/update/",
        participants.participant_update,
        name="participant_update",
    ),
    path(
        "agreements/<str:reference>/participants/<int:pk>/remove/",
        participants.participant_remove,
        name="participant_remove",
    ),
    path("agreements/<str:reference>/contributions/add/", participants.contribution_add, name="contribution_add"),
    path(
        "agreements/<str:reference>/contributions/<int:pk>/delete/",
        participants.contribution_delete,
        name="contribution_delete",
    ),
    path("agreements/<str:reference>/loan-items/add/", participants.loan_item_add, name="loan_item_add"),
    path(
        "agreements/<str:reference>/loan-items/<int:pk>/delete/",
        participants.loan_item_delete,
        name="loan_item_delete",
    ),
    # One route per change on the documents tab.
    path("agreements/<str:reference>/documents/upload/", documents.document_upload, name="document_upload"),
    path(
        "agreements/<str:reference>/documents/<int:pk>/update/",
        documents.document_update,
        name="document_update",
    ),
    path(
        "agreements/<str:reference>/documents/<int:pk>/withdraw/",
        documents.document_withdraw,
        name="document_withdraw",
    ),
    path("agreements/<str:reference>/ddl/request/", documents.ddl_request, name="ddl_request"),
    path("agreements/<str:reference>/ddl/decide/", documents.ddl_decide, name="ddl_decide"),
    path(
        "agreements/<str:reference>/documents/<int:pk>/download/",
        views.document_download,
        name="document_download",
    ),
]
