"""One way to edit a model's fields from a service: only the fields allowed, validated, saved, and
credited in the field history to the user who made the change."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

M = TypeVar("M", bound=models.Model)


def fields_allowed_check(fields: Iterable[str], allowed: Iterable[str], refusal: str) -> None:
    """Refuse ``fields`` outside ``allowed`` with ``refusal``, formatted with ``{unknown}`` (the
    fields refused) and ``{allowed}`` (the fields allowed), each sorted and comma-separated."""
    allowed = set(allowed)
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(refusal.format(unknown=", ".join(sorted(unknown)), allowed=", ".join(sorted(allowed))))


def model_update(
    instance: M,
    *,
    user: Any,
    fields: Mapping[str, Any],
    allowed: Iterable[str],
    refusal: str = "These fields cannot be edited: {unknown}.",
    clean: Callable[[M], None] | None = None,
) -> M:
    """Set ``fields`` on ``instance`` (each one of ``allowed``, else a ValidationError worded by
    ``refusal``, see ``fields_allowed_check``), validate it (``clean``, by default
    ``full_clean()``), credit ``user`` in its field history and save it. The caller locks the rows
    and checks the permission first."""
    fields_allowed_check(fields, allowed, refusal)
    for name, value in fields.items():
        setattr(instance, name, value)
    instance._history_user = user
    if clean is None:
        instance.full_clean()
    else:
        clean(instance)
    instance.save()
    return instance
