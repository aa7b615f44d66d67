"""JSON from outside, parsed with a bound on nesting.

Python's ``json`` recurses once per ``[`` or ``{``: a body of 100,000 brackets raises
``RecursionError`` (a 500) before any check of ours can run. ``loads`` measures the depth in
one linear pass first and refuses anything deeper than ``MAX_DEPTH`` as a ``ValueError``, which
every caller already answers as unreadable input. Used by every endpoint that reads JSON: the
offline field check, the seek-pagination cursors and the API's parser.
"""

from __future__ import annotations

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 20


def depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (strings skipped), in one pass."""
    deepest = level = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            level += 1
            deepest = max(deepest, level)
        elif char in "]}":
            level -= 1
    return deepest


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH):
    """``json.loads`` that raises ``ValueError`` for input nested deeper than ``max_depth``."""
    if isinstance(text, bytes | bytearray):
        text = text.decode()
    if depth(text) > max_depth:
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except RecursionError:  # pragma: no cover - the depth check above comes first
        raise ValueError("JSON nested too deeply") from None


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the same bound (no API view takes a body today; none ever parses
    an unbounded one)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return loads(stream.read())
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
