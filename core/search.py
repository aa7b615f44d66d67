"""Full-text search over the public catalogue (regions, OPD, programs), with PostgreSQL's own
machinery: Indonesian has no stemmer in PostgreSQL, so documents use the ``simple``
configuration over ``unaccent``-ed text, through one IMMUTABLE function that GIN indexes are
built on (``core/migrations/0002_search.py``) and every query filters with, so the planner
uses the index instead of scanning with ILIKE.
"""

from __future__ import annotations

import re
import unicodedata

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db.models import F, Func, Value

# ikm_search_document(a text, b text DEFAULT '', c varchar[] DEFAULT '{}') → tsvector
FUNCTION_SQL = """
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE OR REPLACE FUNCTION ikm_search_document(a text, b text DEFAULT '', c varchar[] DEFAULT '{}')
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_tsvector('simple'::regconfig, public.unaccent('public.unaccent'::regdictionary,
    coalesce(a, '') || ' ' || coalesce(b, '') || ' ' || coalesce(array_to_string(c, ' '), '')))
$$;
"""
DROP_SQL = "DROP FUNCTION IF EXISTS ikm_search_document(text, text, varchar[]);"

_WORD = re.compile(r"\w+")


def document(*fields: str) -> Func:
    """The indexed document of a row: ``document("name", "description", "criteria")``.
    A missing middle part is an empty string, so index and query expressions match exactly."""
    parts = [F(fields[0]), F(fields[1]) if len(fields) > 1 else Value("")]
    if len(fields) > 2:
        parts.append(F(fields[2]))
    return Func(*parts, function="ikm_search_document", output_field=SearchVectorField())


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def query(text: str) -> SearchQuery | None:
    """Every word of ``text`` as a prefix (``serang`` finds "Serang", ``refocus`` finds
    "refocusing"); only word characters reach ``to_tsquery``. None when there is no word."""
    words = _WORD.findall(_plain(text))[:8]
    if not words:
        return None
    return SearchQuery(" & ".join(f"{w}:*" for w in words), search_type="raw", config="simple")
