"""Messages written by one process and read by another — a worker's import errors, an inbox item —
kept in the source language (Indonesian, the catalogues' keys) with their values, and put into the
reader's language when shown. A message stored already formatted could only be shown as written.

    entry = stored(_("Paling banyak %(n)s karakter."), n=100)   # built under ``source_language()``
    shown(entry)                                                # "At most 100 characters." in English
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext


def source_language():
    """Inside, ``gettext`` returns each message as written in the code: what a stored message keeps."""
    return translation.override(None)


def stored(msgid: str, **params) -> dict:
    """``message`` (formatted in the source language, for whatever reads it raw), ``msgid``, ``params``."""
    msgid = str(msgid)
    return {"message": msgid % params if params else msgid, "msgid": msgid, "params": params}


def shown(entry: dict) -> str:
    """The stored message in the active language; an entry without ``msgid`` (older rows, or a text
    made elsewhere) is looked up as it was written."""
    msgid = entry.get("msgid") or entry.get("message") or ""
    params = entry.get("params") or {}
    text = gettext(msgid) if msgid else ""
    try:
        return text % params if params else text
    except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder: the source text
        return entry.get("message") or msgid
