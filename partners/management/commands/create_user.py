import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from partners.models import Role
from partners.services import user_create


class Command(BaseCommand):
    help = (
        "Create a portal user with a role. The password comes from ICP_PASSWORD or, with "
        "--password-stdin, from the first line of standard input."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--organization", help="DoD organization code (program office), e.g. ARMY")
        parser.add_argument("--office", help="Coordinating office code (coordinator), e.g. OGC")
        parser.add_argument("--partner", help="Partner code (liaison), e.g. GBR")
        parser.add_argument("--email", default="")
        parser.add_argument("--password-stdin", action="store_true")

    def handle(self, *args, **options):
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = os.environ.get("ICP_PASSWORD", "")
        if not password:
            raise CommandError("No password: set ICP_PASSWORD or pass --password-stdin.")
        try:
            user = user_create(
                username=options["username"],
                role=options["role"],
                password=password,
                email=options["email"],
                organization_code=options["organization"],
                office_code=options["office"],
                partner_code=options["partner"],
            )
        except ValidationError as exc:
            messages = [m for msgs in exc.message_dict.values() for m in msgs]
            raise CommandError(" ".join(messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Created {user.username} ({user.display_role()})."))
