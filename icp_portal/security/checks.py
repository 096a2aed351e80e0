"""Deployment checks of the security controls that depend on how the portal is run, not on its code.

``manage.py check --deploy`` runs them (the audit-role check only with ``--database default``, as
Django runs every check that reads a database); ``/readyz`` reports the audit-role problems too.

- ``icp.W001``: the settings believe a proxy's ``X-Forwarded-Proto`` (``SECURE_PROXY_SSL_HEADER``)
  but ``TRUSTED_PROXIES`` is empty, so every client has the proxy's address: the token throttle
  would then count everyone's failures together and ten bad tokens would refuse the API to all.
- ``icp.W002``: a ``TRUSTED_PROXIES`` entry is neither an address nor a CIDR block (it matches
  nothing).
- ``icp.W003``: the application's database role is a superuser, owns an audit table or may
  TRUNCATE one, so it could disable the append-only triggers or empty the audit trail
  (``manage.py db_roles`` sets the roles up; docs/operations.md).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core import checks
from django.core.checks import CheckMessage, Tags, register
from django.db import connections

# The append-only tables: the lifecycle trail, the liaison access log, the security log and the
# field history (agreements/history_guard.py; listed here so this module imports no app).
HISTORY_TABLES = (
    "agreements_historicalagreement",
    "agreements_historicalcontribution",
    "agreements_historicalddldecision",
    "agreements_historicaldocument",
    "agreements_historicalloanitem",
    "agreements_historicalparticipant",
    "agreements_historicalssoi",
)
AUDIT_TABLES = ("workflow_transitionlog", "workflow_accesslog", "security_securityevent", *HISTORY_TABLES)


@register(Tags.security, deploy=True)
def proxy_addresses_check(app_configs: Sequence | None = None, **kwargs: object) -> list[CheckMessage]:
    """Behind a proxy the client address must come from ``X-Forwarded-For`` of known proxies."""
    messages: list[CheckMessage] = []
    proxies = list(getattr(settings, "TRUSTED_PROXIES", []) or [])
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not proxies:
        messages.append(
            checks.Warning(
                "SECURE_PROXY_SSL_HEADER trusts a proxy, but TRUSTED_PROXIES is empty: every client "
                "appears to come from the proxy's address.",
                hint="Set TRUSTED_PROXIES to the TLS proxy's address or CIDR block. Until then the "
                "failed-token limit counts every client's failures together and can refuse the API "
                "to everyone, and the logs and the sign-in slow-down see one address.",
                id="icp.W001",
            )
        )
    for entry in proxies:
        try:
            ipaddress.ip_network(str(entry).strip(), strict=False)
        except ValueError:
            messages.append(
                checks.Warning(
                    f"TRUSTED_PROXIES entry {entry!r} is neither an address nor a CIDR block; it matches nothing.",
                    id="icp.W002",
                )
            )
    return messages


def audit_role_problems(using: str = "default") -> list[str]:
    """What the role the portal connects as could do to the append-only audit tables that only
    their owner should: be a superuser, own a table (ALTER it, disable its triggers, set the
    TRUNCATE escape) or TRUNCATE it. Empty on other databases than PostgreSQL. Names no role."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if row and row[0]:
            return ["the application's database role is a superuser: it could disable the audit triggers"]
        cursor.execute(
            "SELECT tablename, pg_has_role(current_user, tableowner, 'USAGE'),"
            " has_table_privilege(current_user, quote_ident(tablename), 'TRUNCATE')"
            " FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY(%s) ORDER BY tablename",
            [list(AUDIT_TABLES)],
        )
        rows = cursor.fetchall()
    problems = []
    for table, owns, may_truncate in rows:
        if owns:
            problems.append(f"the application's database role owns {table}: it could disable its triggers")
        elif may_truncate:
            problems.append(f"the application's database role may TRUNCATE {table}")
    return problems


@register(Tags.security, Tags.database, deploy=True)
def audit_role_check(
    app_configs: Sequence | None = None, databases: Iterable[str] | None = None, **kwargs: object
) -> list[CheckMessage]:
    """``check --deploy --database default``: the application role cannot rewrite the audit trail."""
    if not databases or "default" not in databases:
        return []
    return [
        checks.Warning(
            f"The audit trail is not append-only for this connection: {problem}.",
            hint="Connect web, worker and beat as the application role set up by `manage.py db_roles` "
            "and run migrations as the owner (docs/operations.md, Database roles).",
            id="icp.W003",
        )
        for problem in audit_role_problems("default")
    ]
