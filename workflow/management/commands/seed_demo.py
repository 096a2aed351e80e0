from django.core.management.base import BaseCommand

from workflow.demo import seed_demo


class Command(BaseCommand):
    help = (
        "Load reference data, one demo user per role (password DEMO_PASSWORD) and a dozen agreements "
        "in every lifecycle state, each moved there through the real services. Safe to run again."
    )

    def handle(self, *args, **options):
        result = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {result['agreements']} new agreements, {result['users']} users.")
        )
