from django.apps import AppConfig
from django.core import checks


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = "Agreements"

    def ready(self) -> None:
        checks.register(partner_status_mapping_check)


def partner_status_mapping_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``manage.py check`` fails when a lifecycle state has no partner-facing status."""
    from .choices import State
    from .partner_status import check_mapping

    return [
        checks.Error(
            f"The state {state!r} has no partner-facing status.",
            hint="Add it to agreements.partner_status.PARTNER_STATUS_OF_STATE.",
            id="agreements.E001",
        )
        for state in check_mapping(State.values)
    ]
