"""Server-side sorting of a staff table by its columns: ``?urut=amount`` (ascending) or
``?urut=-amount`` (descending). A table names its sortable columns and the ordering each stands
for; an unknown key is ignored (the table's default order), never an error. The same parameter
is carried into the table's export, so the file is in the order the page shows."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict

PARAM = "urut"


@dataclass(frozen=True)
class Sort:
    key: str           # the column asked for ("" when the default order applies)
    descending: bool
    ordering: tuple    # what ``order_by`` takes, ending in a unique field

    def link(self, params: QueryDict, column: str) -> str:
        """The query string that sorts by ``column``: the other direction when it is the one in use
        (descending first for a new column: the biggest amounts are what staff look for). The
        page number goes: a new order starts at page one."""
        q = params.copy()
        for name in ("page", "after", "before"):
            q.pop(name, None)
        q[PARAM] = column if (column == self.key and self.descending) else f"-{column}"
        return q.urlencode()


def sort(params, columns: dict[str, tuple], default: tuple) -> Sort:
    """``columns``: key → the ascending ordering (fields or expressions); the unique tie-breaker
    ``id`` is added in the same direction. ``default`` is the ordering without a choice."""
    asked = (params.get(PARAM) or "").strip()
    key = asked.lstrip("-")
    if key not in columns:
        return Sort("", False, tuple(default))
    descending = asked.startswith("-")
    ordering = tuple(
        (f"-{o}" if descending else o) if isinstance(o, str) else (o.desc() if descending else o.asc())
        for o in (*columns[key], "id"))
    return Sort(key, descending, ordering)
