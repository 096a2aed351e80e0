from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Sign-in, session, token and upload controls, and the security log (DISA STIG / ASVS)."""

    name = "icp_portal.security"
    label = "security"  # the tables and migrations keep the label they were created with
    verbose_name = "Security"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401
