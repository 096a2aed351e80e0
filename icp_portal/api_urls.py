"""REST API v1: the same services and visibility rules as the browser, for scripts and partner
systems. The OpenAPI schema is at /api/v1/schema/, the interactive docs at /api/v1/docs/.

Each app serves its own resources from its ``api/`` package; the agreement resource is the one
from ``agreements.api`` with the lifecycle actions of ``workflow.api.lifecycle`` added."""

from django.http import JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from agreements.api import views as agreement_views
from partners.api import views as partner_views
from partners.api.schema import SCHEMA_SETTINGS
from workflow.api import lifecycle
from workflow.api import search as workflow_search
from workflow.api import views as workflow_views

router = DefaultRouter()
router.include_root_view = False
router.register("partners", partner_views.PartnerViewSet, basename="partner")
router.register("organizations", partner_views.OrganizationViewSet, basename="organization")
router.register("coordinating-offices", partner_views.CoordinatingOfficeViewSet, basename="coordinating-office")
router.register("agreements", lifecycle.AgreementViewSet, basename="agreement")
router.register("participants", agreement_views.ParticipantViewSet, basename="participant")
router.register("contributions", agreement_views.ContributionViewSet, basename="contribution")
router.register("loan-items", agreement_views.LoanItemViewSet, basename="loan-item")
router.register("documents", agreement_views.DocumentViewSet, basename="document")
router.register("coordination-rounds", workflow_views.CoordinationRoundViewSet, basename="coordination-round")
router.register("coordination-positions", workflow_views.CoordinationPositionViewSet, basename="coordination-position")
router.register("obligations", workflow_views.ReportingObligationViewSet, basename="obligation")
router.register("audit-log", workflow_views.AuditLogViewSet, basename="audit-log")
router.register("render-jobs", workflow_views.RenderJobViewSet, basename="render-job")

app_name = "api"


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Any other path under /api/v1/ is a JSON 404, like every API error (not the HTML page)."""
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(custom_settings=SCHEMA_SETTINGS), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="partners/swagger_ui.html"),
        name="docs",
    ),
    path("me/", partner_views.MeView.as_view(), name="me"),
    path("dashboard/", workflow_views.DashboardView.as_view(), name="dashboard"),
    path("search/", workflow_search.SearchView.as_view(), name="search"),
    path("review-queue/", workflow_views.ReviewQueueView.as_view(), name="review-queue"),
    *router.urls,
    re_path(r"^.*$", api_not_found, name="not-found"),
]
