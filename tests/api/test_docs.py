"""The OpenAPI schema and the Swagger UI page: complete, served from the app's own static files,
and working under the portal's CSP (script-src 'self', no inline script)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.test import Client

from tests.chromium import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.django_db


def _schema() -> dict:
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_describes_every_endpoint_with_its_errors():
    schema = _schema()
    paths = schema["paths"]
    for expected in (
        "/api/v1/agreements/",
        "/api/v1/agreements/{id}/transitions/",
        "/api/v1/documents/",
        "/api/v1/documents/{id}/download/",
        "/api/v1/coordination-positions/{id}/record/",
        "/api/v1/audit-log/",
        "/api/v1/dashboard/",
        "/api/v1/obligations/{id}/complete/",
        "/api/v1/render-jobs/{id}/",
        "/api/v1/me/",
    ):
        assert expected in paths, expected
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    for path, item in paths.items():
        for method, operation in item.items():
            responses = operation["responses"]
            for code in ("401", "403", "404", "429"):
                assert code in responses, (method, path, code)
            if method in ("post", "patch", "delete"):
                assert {"400", "409", "413"} <= set(responses), (method, path)
    post = paths["/api/v1/agreements/{id}/transitions/"]["post"]
    assert "409" in post["responses"]
    assert "current_state" in schema["components"]["schemas"]["Error"]["properties"]
    assert "multipart/form-data" in paths["/api/v1/documents/"]["post"]["requestBody"]["content"]
    # Enums carry their domain names; internal fields are not required (liaisons never get them).
    assert set(schema["components"]["schemas"]["AgreementStateEnum"]["enum"]) >= {"proposal", "signed", "in_force"}
    agreement = schema["components"]["schemas"]["AgreementDetail"]
    assert "internal_notes" in agreement["properties"]
    assert "internal_notes" not in agreement["required"]
    assert "reference" in agreement["required"]
    # The agreement list is described by AgreementSerializer (whatever builds its rows), paged
    # with a count; the audit log is paged by cursor, without one.
    schemas = schema["components"]["schemas"]
    listed = paths["/api/v1/agreements/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"$ref": "#/components/schemas/PaginatedAgreementList"}
    assert schemas["PaginatedAgreementList"]["properties"]["results"]["items"] == {
        "$ref": "#/components/schemas/Agreement"
    }
    assert {"count", "next", "previous"} <= set(schemas["PaginatedAgreementList"]["properties"])
    assert "participants" in schemas["Agreement"]["properties"]
    audit = paths["/api/v1/audit-log/"]["get"]
    assert {"cursor", "page_size", "agreement", "after", "before"} <= {p["name"] for p in audit["parameters"]}
    assert "page" not in {p["name"] for p in audit["parameters"]}
    assert set(schemas["PaginatedTransitionLogList"]["properties"]) == {"next", "previous", "results"}


def test_docs_page_has_no_inline_script_and_serves_its_init_script():
    client = Client()
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> would be blocked by the CSP"
    assert "<style" not in html
    for src in re.findall(r'<script src="([^"]+)"', html):
        asset = client.get(src)
        assert asset.status_code == 200, src
        if "script=" in src:
            assert "SwaggerUIBundle" in asset.content.decode()
            assert asset["Content-Type"].startswith("application/javascript")
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html


def test_unknown_api_paths_are_json_404s(program_office):
    response = Client().get("/api/v1/no-such-thing/1.5/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.browser
def test_swagger_ui_renders_under_the_csp_in_chromium(live_server):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    violations: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on(
                "console",
                lambda m: (
                    violations.append(m.text) if "Content Security Policy" in m.text or "Refused to" in m.text else None
                ),
            )
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{live_server.url}/api/v1/docs/")
            page.wait_for_selector(".opblock", timeout=20_000)
            operations = page.locator(".opblock").count()
            title = page.locator(".info .title").inner_text()
            body_text = page.locator("body").inner_text()
            shot = Path(os.environ.get("API_DOCS_SCREENSHOT", "/tmp/api-docs.png"))
            page.screenshot(path=str(shot), full_page=False)
        finally:
            browser.close()
    assert "ICP Portal API" in title
    assert "comment" not in body_text.split("ICP Portal API")[0]
    assert operations > 40
    assert not violations, violations
    assert not errors, errors
