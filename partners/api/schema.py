"""OpenAPI descriptions drf-spectacular cannot infer: the token scheme, and the names of the
shared enums (so every choice set appears once, under its domain name)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Token <key>`` with a personal token from the profile page."""

    target_class = "partners.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A personal API token, sent as `Authorization: Token <key>`. Create and "
            "revoke tokens on your profile page (/profile/) or with `manage.py api_token USERNAME`.",
        }


# The names live in settings (SPECTACULAR_SETTINGS), so `manage.py check` sees them too.
ENUM_NAME_OVERRIDES = settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]

SCHEMA_SETTINGS = {
    "ENUM_NAME_OVERRIDES": ENUM_NAME_OVERRIDES,
    "DESCRIPTION": (
        "International Cooperative Program agreements: lifecycle, coordination, documents.\n\n"
        "Authenticate with a session (the browser) or `Authorization: Token <key>`. Partner "
        "liaisons read only their partner's releasable agreements and documents, and never "
        "receive internal fields: those fields are absent (not null) in their responses. An "
        "object outside the caller's scope answers 404. Every error has the `Error` shape."
    ),
}
