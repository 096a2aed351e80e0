"""``{% form_token %}``: the one-time token of a browser form, rendered by the server.

``FormTokenMiddleware`` (icp_portal/idempotency.py) saves a POST once per token: a second
submission of the same form is sent to what the first one saved. ``static/js/portal.js`` adds a
token to every POST form that has none, but a browser without JavaScript sends none, so the forms
that create records carry one from the server: the script leaves a form that already has a token
alone, and renews it after an htmx submission, as before. A built-in of the template engine
(``TEMPLATES`` ``builtins``), so templates use it without ``{% load %}``."""

from __future__ import annotations

import secrets

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


def new_form_token() -> str:
    """A fresh token: 32 hex digits, which ``idempotency.TOKEN_PATTERN`` accepts."""
    return secrets.token_hex(16)


@register.simple_tag
def form_token() -> SafeString:
    """The hidden ``form_token`` input of one rendering of a form."""
    return format_html('<input type="hidden" name="form_token" value="{}">', new_form_token())
