"""``python manage.py api_token create|list|revoke``: staff API tokens for scripts and integrations."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.errors import DomainError
from surveys.models import ApiToken
from surveys.services.api_tokens import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = (
        "Staff API tokens (Authorization: Token <key>). 'create USERNAME --name WHAT' prints the key once; only its "
        "hash is kept. 'list [USERNAME]' shows prefixes. 'revoke PREFIX' ends a token. Exits 2 on a bad argument."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Issue a token for an active staff user.")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="What the token is for.")
        listing = sub.add_parser("list", help="List tokens (prefix, user, name, last use, state).")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="Revoke the token whose key starts with PREFIX.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"_{action}")(**options)

    def _create(self, *, username: str, name: str, **_: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user '{username}'.", returncode=2)
        try:
            token, raw = api_token_create(user=user, name=name)
        except DomainError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(raw)
        self.stderr.write(f"Token {token.prefix}… for {username} ({token.name}). Keep the key: it is not stored.")

    def _list(self, *, username: str | None = None, **_: Any) -> None:
        tokens = ApiToken.objects.select_related("user")
        if username:
            tokens = tokens.filter(user__username=username)
        for t in tokens:
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            state = "revoked" if t.is_revoked else "live"
            self.stdout.write(f"{t.prefix}  {t.user.get_username()}  {t.name}  last used {used}  {state}")

    def _revoke(self, *, prefix: str, **_: Any) -> None:
        matches = list(ApiToken.objects.filter(prefix__startswith=prefix, revoked_at=None)[:2]) if prefix else []
        if len(matches) != 1:
            found = "no live token" if not matches else "more than one live token"
            raise CommandError(f"{found.capitalize()} starts with '{prefix}'; give more characters.", returncode=2)
        api_token_revoke(token=matches[0])
        self.stdout.write(self.style.SUCCESS(f"Revoked {matches[0]}."))
