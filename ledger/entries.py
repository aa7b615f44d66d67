"""What goes into the log: ``record(kind, obj, actor)`` in the transaction of the change.

An entry is the canonical JSON (RFC 8785, the ``rfc8785`` package) of the record's published
fields — its model's ``PUBLISHED_FIELDS``, the list the trail and the API publish — with its kind,
time, the acting office and role (never a person's name), and the record's id. Related records
are their ids; a property is its value (``RecipientGroup.public_name`` is None for a KPM family or
a withheld name, so no person's name is ever logged).
"""

from __future__ import annotations

import datetime as dt
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


def published_fields(obj) -> dict:
    """The values of ``obj``'s ``PUBLISHED_FIELDS``: a relation as its id (a region or a funding
    source as its code), a property as its value;
    relations to many (a list beside the record) are their own entries, not fields of this one."""
    out = {}
    for name in type(obj).PUBLISHED_FIELDS:
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:
            value = getattr(obj, name)
            out[name] = _value(value() if callable(value) else value)
            continue
        if field.many_to_many or field.one_to_many or field.one_to_one and field.auto_created:
            continue
        related = field.related_model
        if field.is_relation and "code" in getattr(related, "PUBLISHED_FIELDS", ()):
            # A region or a funding source by its code (36.04, apbd-prov): what a reader can match.
            target = getattr(obj, name)
            out[name] = target.code if target is not None else None
            continue
        out[name] = _value(getattr(obj, field.attname))
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


def body(kind: str, obj, actor, at=None, also: dict | None = None) -> bytes:
    office, role = office_of(actor)
    return rfc8785.dumps({
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
