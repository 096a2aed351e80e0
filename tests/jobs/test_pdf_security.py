"""The PDF renderer fetches nothing but the portal's static files, and user text is printed,
never interpreted as HTML."""

from __future__ import annotations

import socket
import threading

import pytest

from agreements import services as agreement_services
from agreements.choices import State
from workflow import pdf
from workflow.models import RenderKind, RenderStatus
from workflow.services import render_job_request

from .conftest import pdf_text

INJECTED = '<img src="file:///etc/passwd"> <a href="http://127.0.0.1:6379/">cache</a>'


@pytest.fixture
def listener():
    """A TCP server on 127.0.0.1 that records every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    connections: list = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            connections.append(conn)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join(timeout=2)
    server.close()


@pytest.fixture
def recorded_fetches(monkeypatch):
    """Every URL the PDF fetcher is asked for, with whether it served it."""
    asked: list[tuple[str, bool]] = []
    original = pdf.StaticOnlyURLFetcher.fetch

    def fetch(self, url, headers=None):
        try:
            response = original(self, url, headers)
        except Exception:
            asked.append((url, False))
            raise
        asked.append((url, True))
        return response

    monkeypatch.setattr(pdf.StaticOnlyURLFetcher, "fetch", fetch)
    return asked


def test_the_fetcher_refuses_files_internal_hosts_and_traversal(listener, recorded_fetches):
    port, connections = listener
    html = f"""<html><head>
      <link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">
      <link rel="stylesheet" href="http://127.0.0.1:6379/">
      <style>@import url("file:///etc/hostname"); body {{ background: url("http://127.0.0.1:{port}/bg.png"); }}</style>
      </head><body>
      <img src="file:///etc/passwd">
      <img src="http://127.0.0.1:{port}/pixel.png">
      <img src="static/../../../../etc/passwd">
      <img src="static/%2e%2e/%2e%2e/etc/passwd">
      <img src="https://pdf.icp-portal.invalid/static/vendor/uswds/img/us_flag_small.png?x=1">
      <img src="static/vendor/uswds/img/us_flag_small.png">
      <p>Body text</p></body></html>"""
    fetcher = pdf.StaticOnlyURLFetcher()
    content = pdf.html_to_pdf(html, fetcher=fetcher)

    assert "Body text" in pdf_text(content)
    assert connections == []  # nothing ever connected to the local server
    refused = {url for url, served in recorded_fetches if not served}
    assert f"http://127.0.0.1:{port}/style.css" in refused
    assert "http://127.0.0.1:6379/" in refused
    assert "file:///etc/passwd" in refused
    assert f"http://127.0.0.1:{port}/pixel.png" in refused
    assert f"http://127.0.0.1:{port}/bg.png" in refused
    assert any("etc/passwd" in url and url.startswith("https://pdf.icp-portal.invalid/") for url in refused)
    assert fetcher.served == [pdf.STATIC_PREFIX + "vendor/uswds/img/us_flag_small.png"]
    assert set(fetcher.refused) == refused


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:6379/",
        "https://pdf.icp-portal.invalid/static/../../etc/passwd",
        "https://pdf.icp-portal.invalid/static/%2e%2e/settings.py",
        "https://pdf.icp-portal.invalid/static/vendor/../../manage.py",
        "https://pdf.icp-portal.invalid/static/",
        "https://pdf.icp-portal.invalid/static/does-not-exist.png",
        "https://pdf.icp-portal.invalid/etc/passwd",
        "data:text/plain,hello",
    ],
)
def test_only_existing_static_files_map_to_a_path(url):
    assert pdf.StaticOnlyURLFetcher.static_path(url) is None


@pytest.mark.django_db
def test_user_text_in_titles_and_ssoi_is_printed_not_fetched(make_agreement, program_office, recorded_fetches):
    agreement = make_agreement(State.SSOI_DRAFTING, title=f"Radar {INJECTED}")
    agreement_services.ssoi_update(
        agreement=agreement,
        user=program_office,
        objectives=f"Objective {INJECTED}",
        duration="<script>alert(1)</script> five years",
    )
    job = render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office)

    job = pdf.render_job_run(job_id=job.pk)

    assert job.status == RenderStatus.READY
    with job.document.file.open("rb") as handle:
        text = pdf_text(handle.read())
    compact = "".join(text.split())  # line wrapping may split a long URL
    assert "".join(f"Radar {INJECTED}".split()) in compact
    assert "".join(f"Objective {INJECTED}".split()) in compact
    assert "<script>alert(1)</script>fiveyears" in compact
    # The fetcher was asked for the portal's own seal only: the injected URLs are text.
    assert recorded_fetches == [(pdf.STATIC_PREFIX + "vendor/uswds/img/us_flag_small.png", True)]


@pytest.mark.django_db
def test_a_template_that_let_html_through_would_still_fetch_nothing(listener, recorded_fetches):
    """Defence in depth: even unescaped markup (a future |safe by mistake) cannot reach a file
    or an internal host."""
    port, connections = listener
    content = pdf.html_to_pdf(f'<p>x</p><img src="file:///etc/passwd"><img src="http://127.0.0.1:{port}/">')
    assert connections == []
    assert ("file:///etc/passwd", False) in recorded_fetches
    assert (f"http://127.0.0.1:{port}/", False) in recorded_fetches
    assert "root:" not in pdf_text(content)
