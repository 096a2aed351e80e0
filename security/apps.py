from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Sign-in, session, token and upload controls, and the security log (DISA STIG / ASVS)."""

    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from . import signals  # noqa: F401
