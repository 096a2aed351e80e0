"""Side-by-side comparison of two versions of a text: a document's two versions (their text as
extracted at upload) or two versions of the SSOI from its field history. Paragraphs are aligned;
inside a changed paragraph, deleted words are marked on the left and inserted words on the right.
Everything is HTML-escaped before the marks are added."""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

MAX_PARAGRAPHS = 2000


@dataclass
class DiffRow:
    """One aligned pair of paragraphs: ``status`` is equal, changed, deleted or inserted."""

    status: str
    old: SafeString
    new: SafeString


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n+", text or "") if p.strip()][:MAX_PARAGRAPHS]


def _words(text: str) -> list[str]:
    return re.findall(r"\s+|[^\s]+", text)


def _safe(text: str) -> SafeString:
    return mark_safe(text)  # noqa: S308 - every caller escapes the user's text first  # nosec B308 B703


def _word_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    a, b = _words(old), _words(new)
    left, right = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old_part, new_part = html.escape("".join(a[i1:i2])), html.escape("".join(b[j1:j2]))
        if tag == "equal":
            left.append(old_part)
            right.append(new_part)
        else:
            if old_part:
                left.append(f"<del>{old_part}</del>")
            if new_part:
                right.append(f"<ins>{new_part}</ins>")
    return _safe("".join(left)), _safe("".join(right))


def side_by_side(old_text: str, new_text: str) -> list[DiffRow]:
    """The two texts aligned paragraph by paragraph, with word-level marks in changed ones."""
    old, new = _paragraphs(old_text), _paragraphs(new_text)
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [DiffRow("equal", _safe(html.escape(p)), _safe(html.escape(p))) for p in old[i1:i2]]
        elif tag == "delete":
            rows += [DiffRow("deleted", _safe(f"<del>{html.escape(p)}</del>"), _safe("")) for p in old[i1:i2]]
        elif tag == "insert":
            rows += [DiffRow("inserted", _safe(""), _safe(f"<ins>{html.escape(p)}</ins>")) for p in new[j1:j2]]
        else:
            pairs = max(i2 - i1, j2 - j1)
            for k in range(pairs):
                before = old[i1 + k] if i1 + k < i2 else ""
                after = new[j1 + k] if j1 + k < j2 else ""
                if before and after:
                    left, right = _word_diff(before, after)
                    rows.append(DiffRow("changed", left, right))
                elif before:
                    rows.append(DiffRow("deleted", _safe(f"<del>{html.escape(before)}</del>"), _safe("")))
                else:
                    rows.append(DiffRow("inserted", _safe(""), _safe(f"<ins>{html.escape(after)}</ins>")))
    return rows


def diff_counts(rows: list[DiffRow]) -> dict[str, int]:
    """How many paragraphs of a comparison changed, were deleted and were inserted."""
    counts = {"changed": 0, "deleted": 0, "inserted": 0}
    for row in rows:
        if row.status in counts:
            counts[row.status] += 1
    return counts
