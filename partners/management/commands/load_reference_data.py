from django.core.management.base import BaseCommand

from partners.services import reference_data_load


class Command(BaseCommand):
    help = "Load or refresh partner nations and organizations, DoD Components and coordinating offices."

    def handle(self, *args, **options):
        counts = reference_data_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Reference data loaded: {counts['partners']} partners, "
                f"{counts['organizations']} DoD organizations, {counts['offices']} coordinating offices."
            )
        )
