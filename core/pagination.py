"""Seek ("keyset") pagination for the staff lists that hold millions of rows.

An OFFSET page sorts and skips every row before it, so page 10,000 costs 10,000 pages. A seek
page asks for the rows after the last one shown::

    WHERE (date, id) < ('2020-06-01', 8123) ORDER BY date DESC, id DESC LIMIT 26

which an index on the ordering answers in the same time on the first page and the last. The
total is counted only up to ``COUNT_CAP`` rows ("more than 10,000"): an exact count of ten
million rows costs a scan of ten million rows, and nobody pages through them.

The cursor in the URL (``?after=…`` / ``?before=…``) is the sort key of the row at the edge of
the page, as JSON in URL-safe base64. A cursor that does not decode, or does not fit the
ordering, shows the first page: never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.utils.functional import cached_property

from core import jsonsafe

COUNT_CAP = 10_000
CURSOR_PARAMS = ("after", "before", "page")


def capped_count(queryset, cap: int | None = None) -> tuple[int, bool]:
    """(count up to ``cap``, whether there are more): ``SELECT COUNT(*) FROM (… LIMIT cap+1)``."""
    cap = cap or COUNT_CAP
    n = queryset.order_by().values("pk")[: cap + 1].count()
    return min(n, cap), n > cap


class CappedPaginator(Paginator):
    """Django's paginator (for the admin) with the count capped at ``COUNT_CAP``: past the cap,
    the last page shown is the cap's, and the admin says so through ``count_capped``."""

    @cached_property
    def count(self):
        n, self.count_capped = capped_count(self.object_list)
        return n


@dataclass
class SeekPage:
    object_list: list
    has_next: bool
    has_previous: bool
    count: int
    count_capped: bool
    next_query: str = ""
    previous_query: str = ""
    first_query: str = ""
    moved: bool = False  # the page is not the first (a cursor was given)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def _encode(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, cls=DjangoJSONEncoder).encode()).decode().rstrip("=")


def _decode(token: str, fields) -> tuple | None:
    try:
        raw = jsonsafe.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)), max_depth=2)
        if not isinstance(raw, list) or len(raw) != len(fields):
            return None
        values = tuple(f.to_python(v) for f, v in zip(fields, raw, strict=True))
    except (ValueError, TypeError, ValidationError, binascii.Error, UnicodeDecodeError):
        return None
    return None if any(v is None for v in values) else values


# keys(cursor, backward, limit) -> the primary keys of the rows after ``cursor`` (None: from the
# start) in the ordering, or before it in the reverse ordering when ``backward``; at most ``limit``.
Keys = Callable[[tuple | None, bool, int], list]


def seek_page(request, queryset, ordering: tuple[str, ...], per_page: int | None = None, *,
              keys: Keys | None = None, count: Callable[[], tuple[int, bool]] | None = None) -> SeekPage:
    """One capped COUNT and one page query, the same at 10 rows or 10 million.

    ``ordering`` names local, non-null fields all in one direction and ends in a unique one
    (``("-date", "-id")``); an index on it is what makes every page cheap. Where no single index
    serves the filters (the public trail: rows of a few hundred allocations, newest first), the
    caller finds the page's keys itself (``keys``, a statement whose plan it fixed) and its count
    (``count``); the rows are then read by primary key from ``queryset``."""
    per_page = per_page or settings.PAGINATE_BY
    descending = ordering[0].startswith("-")
    if any(o.startswith("-") != descending for o in ordering):
        raise ValueError("seek_page: every ordering field goes in the same direction")
    names = [o.lstrip("-") for o in ordering]
    model_fields = [queryset.model._meta.get_field(n) for n in names]
    key = Tuple(*(F(n) for n in names))

    after = _decode(request.GET.get("after", ""), model_fields) if request.GET.get("after") else None
    before = _decode(request.GET.get("before", ""), model_fields) if request.GET.get("before") and not after else None
    count, capped = count() if count is not None else capped_count(queryset)

    forward, backward = (TupleLessThan, TupleGreaterThan) if descending else (TupleGreaterThan, TupleLessThan)
    reverse = [o[1:] if o.startswith("-") else f"-{o}" for o in ordering]

    def fetch(cursor, going_back: bool) -> list:
        if keys is not None:
            pks = keys(cursor, going_back, per_page + 1)
            found = queryset.filter(pk__in=pks).order_by().in_bulk()
            return [found[pk] for pk in pks if pk in found]
        rows = queryset
        if cursor is not None:
            rows = rows.filter((backward if going_back else forward)(key, cursor))
        return list(rows.order_by(*(reverse if going_back else ordering))[: per_page + 1])

    if before is not None:
        rows = fetch(before, True)
        has_previous, has_next = len(rows) > per_page, True
        rows = rows[:per_page][::-1]
    else:
        rows = fetch(after, False)
        has_next, has_previous = len(rows) > per_page, after is not None
        rows = rows[:per_page]

    def cursor(row) -> str:
        return _encode([getattr(row, f.attname) for f in model_fields])

    params = request.GET.copy()
    for name in CURSOR_PARAMS:
        params.pop(name, None)

    def query(**cursor_param) -> str:
        q = params.copy()
        q.update(cursor_param)
        return q.urlencode()

    return SeekPage(
        object_list=rows, has_next=has_next and bool(rows), has_previous=has_previous and bool(rows),
        count=count, count_capped=capped,
        next_query=query(after=cursor(rows[-1])) if rows else "",
        previous_query=query(before=cursor(rows[0])) if rows else "",
        first_query=params.urlencode(), moved=after is not None or before is not None,
    )
