"""What the agreement endpoints share."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

NO_CONTENT = OpenApiResponse(description="Deleted.")
