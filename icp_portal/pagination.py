"""Django's paginator, reading deep pages of a query set in two steps.

With ``OFFSET n``, PostgreSQL builds every skipped row (its joins and annotations) before
discarding it: the last page of 100,000 agreements took 1.5 s. From ``DEEP_OFFSET`` on, this
paginator reads the page's primary keys first (an index-only walk past the offset, in the same
order) and then only those rows, with their joins, annotations and prefetches.
"""

from __future__ import annotations

from django.core import paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Offsets below this are read in one query: the walk past them costs less than a second query.
DEEP_OFFSET = 500


def _two_steps(object_list) -> bool:
    if not isinstance(object_list, QuerySet):
        return False
    query = object_list.query
    # DISTINCT with an ORDER BY on other columns, slices and combined queries keep one query.
    return not query.distinct and not query.is_sliced and not query.combinator


class Paginator(paginator.Paginator):
    """``django.core.paginator.Paginator`` with deep pages read in two steps (see the module).

    ``keys_first=True`` picks the keys of every page before reading its rows, in one query
    (the keys as a subquery) up to ``DEEP_OFFSET``: for a query set whose order comes from an
    index but whose rows join other tables (the review queue), so PostgreSQL orders the keys
    alone instead of joining every row before picking the page's."""

    def __init__(self, *args, keys_first: bool = False, count_cap: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.keys_first = keys_first
        self.count_cap = count_cap
        self.capped = False

    @cached_property
    def count(self) -> int:
        """The number of rows; with ``count_cap``, counted no further than the cap (``capped``
        tells the page that more match, and only the first ``count_cap`` rows are paged)."""
        if self.count_cap is None or not isinstance(self.object_list, QuerySet):
            return paginator.Paginator.count.func(self)
        found = self.object_list.order_by()[: self.count_cap + 1].count()
        self.capped = found > self.count_cap
        return min(found, self.count_cap)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if (bottom < DEEP_OFFSET and not self.keys_first) or not _two_steps(self.object_list):
            return super().page(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if bottom < DEEP_OFFSET:
            page_keys = self.object_list.values("pk")[bottom:top]
            return self._get_page(list(self.object_list.filter(pk__in=page_keys)), number, self)
        keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=keys)}
        return self._get_page([rows[key] for key in keys if key in rows], number, self)


class CountedRows:
    """What a paginator pages through when the rows to show are read differently from the rows to
    count: ``rows`` (e.g. a ``.values()`` of the page's columns through joins) sliced for the page,
    ``counted`` (the same filtered query set, without those joins) for the count. Counting the
    joined rows would make PostgreSQL join every row of the table only to count them."""

    def __init__(self, counted: QuerySet, rows: QuerySet, *, known_count: int | None = None):
        self.counted = counted
        self.rows = rows
        self.ordered = rows.ordered
        self.known_count = known_count

    def count(self) -> int:
        """``known_count`` when the caller knows it (a cached count of an unfiltered list), else
        a COUNT of ``counted``."""
        return self.known_count if self.known_count is not None else self.counted.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        return self.rows[index]

    def __iter__(self):
        return iter(self.rows)
