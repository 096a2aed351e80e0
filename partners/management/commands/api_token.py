"""``manage.py api_token USERNAME [--name NAME]``: print a new API token for scripts."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from partners.models import User
from partners.services import api_token_create


class Command(BaseCommand):
    help = (
        "Issue a new personal API token for USERNAME and print the key on standard output. "
        "The key is shown only this once; revoke it from the user's profile page."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for (default: 'manage.py api_token').")

    def handle(self, *args, **options):
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user named {options['username']!r}.") from None
        try:
            token, key = api_token_create(user=user, name=options["name"] or "manage.py api_token")
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"Token {token.name!r} ({token.prefix}…) issued to {user.username}.")
        self.stdout.write(key)
