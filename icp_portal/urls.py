"""The portal's URL map: browser pages, the REST API, PDFs and the admin."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "ICP Portal administration"
admin.site.site_title = "ICP Portal"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("icp_portal.api_urls")),
    path("", include("workflow.urls")),
    path("", include("partners.urls")),
    path("", include("agreements.urls")),
]

# An outage (database or broker unreachable) is a 503 with Retry-After, not a 500.
handler500 = "icp_portal.health.server_error"
