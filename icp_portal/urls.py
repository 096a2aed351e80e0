"""The portal's URL map: browser pages, the REST API, PDFs and the admin."""

from urllib.parse import urlencode

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path, reverse

admin.site.site_header = "ICP Portal administration"
admin.site.site_title = "ICP Portal"


def admin_login(request):
    """The admin signs in through the portal's one sign-in page (consent banner, lockout, log)."""
    next_url = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('login')}?{urlencode({'next': next_url})}")


urlpatterns = [
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("", include("icp_portal.security.urls")),
    path("api/v1/", include("icp_portal.api_urls")),
    path("", include("workflow.urls")),
    path("", include("partners.urls")),
    path("", include("agreements.urls")),
]

# An outage (database or broker unreachable) is a 503 with Retry-After, not a 500.
handler500 = "icp_portal.health.server_error"
