from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workflow.diagram import lifecycle_svg


class Command(BaseCommand):
    help = "Write docs/lifecycle.svg from the lifecycle's transition definitions (--check: fail if out of date)."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "lifecycle.svg"))
        parser.add_argument("--check", action="store_true")

    def handle(self, *args, **options):
        path = Path(options["output"])
        svg = lifecycle_svg()
        if options["check"]:
            if not path.exists() or path.read_text() != svg:
                raise CommandError(f"{path} is out of date: run manage.py lifecycle_diagram.")
            self.stdout.write("The lifecycle diagram is up to date.")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(svg)
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}."))
