"""The portal's URLs plus one bare Django JSON view: the yardstick the benchmarks compare the
portal's own endpoints with (same server, same middleware, no database)."""

from django.http import JsonResponse
from django.urls import include, path


def bare(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("", include("icp_portal.urls")),
]
