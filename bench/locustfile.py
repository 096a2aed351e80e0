"""The load test of `make bench`: 25 people using the portal at once against gunicorn.

Reviewers, program offices, coordinators and liaisons (signed in with a session bench/run.py
makes, or through the login form) mix page and API reads (70 %), filtered lists and searches
(20 %) and writes (10 %: a program office edits its agreement's notes through the API, a
reviewer marks a notification read).
``BareUser`` (run separately) measures the bare Django JSON view on the same server.
"""

from __future__ import annotations

import json
import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ.get("BENCH_PASSWORD", "bench-password-not-secret")
PARTNERS = ("GBR", "FRA", "DEU", "AUS", "JPN", "NOR", "ITA", "CAN")
STATES = ("in_force", "negotiation", "expired", "rad_review", "signing")
WORDS = ("radar", "maritime", "space", "cyber", "missile", "medicine")


class PortalUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)
    username = ""

    def on_start(self) -> None:
        """Take the role's session made by bench/run.py (BENCH_SESSIONS), or sign in through the form."""
        sessions = json.loads(os.environ.get("BENCH_SESSIONS") or "{}")
        if self.username in sessions:
            self.client.cookies.set("sessionid", sessions[self.username])
            self.client.get("/accounts/login/", name="login form")  # sets the CSRF cookie
        else:
            self.client.get("/accounts/login/", name="login form")
            token = self.client.cookies.get("csrftoken", "")
            response = self.client.post(
                "/accounts/login/",
                {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
                headers={"Referer": f"{self.host}/accounts/login/"},
                name="sign in",
                allow_redirects=False,
            )
            if response.status_code != 302:
                raise RuntimeError(f"{self.username} could not sign in: {response.status_code}")
        self.csrf = self.client.cookies.get("csrftoken", "")

    def filtered_list(self) -> None:
        if random.random() < 0.5:
            query = f"scope=all&state={random.choice(STATES)}&partner={random.choice(PARTNERS)}"
            self.client.get(f"/agreements/?{query}", name="/agreements/?state&partner")
        else:
            self.client.get(f"/agreements/?scope=all&q={random.choice(WORDS)}", name="/agreements/?q")


class Reviewer(PortalUser):
    weight = 8
    username = "reviewer"

    @task(20)
    def dashboard(self) -> None:
        self.client.get("/dashboard/")

    @task(20)
    def queue(self) -> None:
        self.client.get("/review/")

    @task(15)
    def api_list(self) -> None:
        self.client.get("/api/v1/agreements/?page_size=100", name="/api/v1/agreements/?page_size=100")

    @task(15)
    def api_dashboard(self) -> None:
        self.client.get("/api/v1/dashboard/")

    @task(20)
    def lists(self) -> None:
        self.filtered_list()

    @task(10)
    def mark_read(self) -> None:
        page = self.client.get("/notifications/", name="/notifications/ (before marking)")
        found = re.search(r'name="notification" value="(\d+)"', page.text)
        if found:
            self.client.post(
                "/notifications/",
                {"notification": found.group(1), "csrfmiddlewaretoken": self.csrf},
                headers={"Referer": f"{self.host}/notifications/"},
                name="POST /notifications/ (mark read)",
            )


class ProgramOffice(PortalUser):
    weight = 8
    username = "program_office"

    def on_start(self) -> None:
        super().on_start()
        listed = self.client.get(
            "/api/v1/agreements/?organization=ARMY&state=negotiation&page_size=50", name="own agreements (setup)"
        ).json()
        self.own = [row["id"] for row in listed.get("results", [])]
        self.references = [row["reference"] for row in listed.get("results", [])]

    @task(25)
    def mine(self) -> None:
        self.client.get("/agreements/")

    @task(25)
    def agreement_page(self) -> None:
        if self.references:
            self.client.get(f"/agreements/{random.choice(self.references)}/", name="/agreements/<reference>/")

    @task(20)
    def api_list(self) -> None:
        self.client.get("/api/v1/agreements/?page_size=100", name="/api/v1/agreements/?page_size=100")

    @task(20)
    def lists(self) -> None:
        self.filtered_list()

    @task(10)
    def edit_notes(self) -> None:
        if self.own:
            self.client.patch(
                f"/api/v1/agreements/{random.choice(self.own)}/",
                json={"internal_notes": f"Load test note {random.randint(1, 10**6)}"},
                headers={"X-CSRFToken": self.csrf, "Referer": f"{self.host}/"},
                name="PATCH /api/v1/agreements/<id>/",
            )


class Coordinator(PortalUser):
    weight = 4
    username = "coordinator"

    @task(50)
    def positions(self) -> None:
        self.client.get("/positions/")

    @task(20)
    def dashboard(self) -> None:
        self.client.get("/dashboard/")

    @task(30)
    def lists(self) -> None:
        self.filtered_list()


class Liaison(PortalUser):
    weight = 5
    username = "liaison"

    @task(50)
    def partner_page(self) -> None:
        self.client.get("/partner/")

    @task(30)
    def api_list(self) -> None:
        self.client.get("/api/v1/agreements/?page_size=100", name="/api/v1/agreements/?page_size=100")

    @task(20)
    def lists(self) -> None:
        self.client.get(f"/agreements/?state={random.choice(STATES)}", name="/agreements/?state")


class BareUser(HttpUser):
    """The yardstick: the same number of users asking the bare JSON view."""

    wait_time = between(0.5, 1.5)

    @task
    def bare(self) -> None:
        self.client.get("/bench/bare/")
