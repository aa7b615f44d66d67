"""What goes into the log: ``record(kind, obj, actor)`` in the transaction of the change.

An entry is the canonical JSON (RFC 8785, the ``rfc8785`` package) of the record's published
fields — its model's ``PUBLISHED_FIELDS``, the list the trail and the API publish — with its kind,
time, the acting office and role (never a person's name), and the record's id. Related records
are their ids; a property is its value (``RecipientGroup.public_name`` is None for a KPM family or
a withheld name, so no person's name is ever logged).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from decimal import Decimal

import rfc8785
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone

from ledger.models import PendingEntry

# The kinds of public budget event.
CEILING_SET = "pagu_ditetapkan"
CEILING_CHANGED = "pagu_diubah"
ALLOCATION_MADE = "alokasi_dibuat"
ALLOCATION_REVISED = "alokasi_direvisi"
REALIZATION_RECORDED = "realisasi_dicatat"
REALIZATION_REVERSED = "realisasi_dikoreksi"
APPLICATION_APPROVED = "usulan_disetujui"
HANDOVER_RECORDED = "serah_terima_dicatat"
NAME_WITHHELD = "nama_tidak_dipublikasikan"


def _value(value):
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool | int | str) or value is None:
        return value
    return str(value)


@functools.cache
def _plan(model) -> tuple[tuple[str, str, str], ...]:
    """How to read each of ``model``'s ``PUBLISHED_FIELDS``: (name, how, attribute) — a property
    ("call"/"get"), a related region or funding source by its code ("code"), else the column."""
    plan = []
    for name in model.PUBLISHED_FIELDS:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            plan.append((name, "call" if callable(getattr(model, name, None)) else "get", name))
            continue
        if field.many_to_many or field.one_to_many or field.one_to_one and field.auto_created:
            continue
        if field.is_relation and "code" in getattr(field.related_model, "PUBLISHED_FIELDS", ()):
            plan.append((name, "code", name))
        else:
            plan.append((name, "get", field.attname))
    return tuple(plan)


def published_fields(obj) -> dict:
    """The values of ``obj``'s ``PUBLISHED_FIELDS``: a relation as its id (a region or a funding
    source as its code, what a reader can match: 36.04, apbd-prov), a property as its value;
    relations to many (a list beside the record) are their own entries, not fields of this one."""
    out = {}
    for name, how, attribute in _plan(type(obj)):
        value = getattr(obj, attribute)
        if how == "call":
            value = value()
        elif how == "code":
            value = value.code if value is not None else None
        out[name] = _value(value)
    return out


def office_of(actor) -> tuple[str, str]:
    """The acting office and role, as the public may read them (no person's name)."""
    if actor is None:
        return "sistem", "system"
    for place in ("agency", "regency", "province"):
        value = getattr(actor, place, None)
        if value is not None:
            return str(value), str(getattr(actor, "role", ""))
    return "Kemenperin", str(getattr(actor, "role", ""))


def canonical(value) -> bytes:
    """RFC 8785 canonical JSON of an entry. For what entries hold — objects with ASCII keys,
    strings, integers within ±2⁵³, booleans and null, never a float — the standard library's
    sorted, unspaced, non-ASCII-preserving form is byte for byte the ``rfc8785`` package's
    (``tests/ledger/test_formats.py`` proves it on generated values) and ten times faster, which
    a national backfill of millions of entries needs; anything else goes to the package."""
    if _plain(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode()
    return rfc8785.dumps(value)


_LIMIT = 2 ** 53


def _plain(value) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -_LIMIT < value < _LIMIT
    if kind is dict:
        return all(type(k) is str and k.isascii() and _plain(v) for k, v in value.items())
    if kind is list:
        return all(_plain(v) for v in value)
    return False  # a float, a subclass, anything else: the package decides


def body(kind: str, obj, actor, at=None, also: dict | None = None) -> bytes:
    office, role = office_of(actor)
    return canonical({
        "kind": kind, "record": f"{obj._meta.label_lower}", "id": obj.pk,
        "time": timezone.localtime(at or timezone.now()).isoformat(timespec="seconds"),
        "office": office, "role": role, "fields": {**published_fields(obj), **(also or {})},
    })


def record(kind: str, obj, actor=None, also: dict | None = None) -> PendingEntry:
    """Queue ``obj``'s event for the log, in the caller's transaction (it commits or not with it).
    ``also``: published values the record does not hold itself (a revision's allocation)."""
    now = timezone.now()
    return PendingEntry.objects.create(created_at=now, kind=kind, record_type=obj._meta.label_lower,
                                       record_id=obj.pk, body=body(kind, obj, actor, now, also))
