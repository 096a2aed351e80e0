"""Ids posted by browser forms (hidden fields a user can edit): parsed, never trusted."""

from __future__ import annotations

# The largest primary key a BigAutoField can hold; anything bigger cannot name a row.
MAX_ID = 2**63 - 1


def posted_id(value) -> int | None:
    """``value`` as a row id, or None when it is missing, not a plain positive number, or too big
    to be one (the lookup then finds nothing: a 404, never a 500)."""
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
