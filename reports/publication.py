"""What the public may see, decided by the models: each public model lists its
``PUBLISHED_FIELDS`` and one serializer (``published_serializer``) reads those and nothing
else — for the public pages, the trail behind every figure and the API alike. Person data
(members, NIK, phone, leader names) is in no such list, and KPM families are never named
(``RecipientGroup.public_name``).

A related object is published as its own published fields when its model has a list (a
program with its OPD, a realization with its handover); otherwise as its id. A field with
choices comes with its label (``state`` and ``state_label``).
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Sum
from rest_framework import serializers

from core.models import Region
from core.params import lenient, parse_id, parse_region_code, parse_year
from programs.models import Program
from recipients.models import Application, RecipientGroup, State, VerificationStep

PUBLIC_STATES = (State.APPROVED, State.DELIVERED)


@functools.cache
def published_serializer(model) -> type[serializers.ModelSerializer]:
    """The read-only serializer of ``model.PUBLISHED_FIELDS`` (one class per model)."""
    declared, names = {}, []
    for name in model.PUBLISHED_FIELDS:
        names.append(name)
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue  # a property: the model decides what it publishes (RecipientGroup.public_name)
        related = field.related_model
        if field.is_relation and related is not model and hasattr(related, "PUBLISHED_FIELDS"):
            many = field.one_to_many or field.many_to_many
            options = {"many": True} if many else {"allow_null": bool(field.null or field.auto_created)}
            declared[name] = published_serializer(related)(read_only=True, **options)
        elif getattr(field, "choices", None):
            names.append(f"{name}_label")
            declared[f"{name}_label"] = serializers.CharField(source=f"get_{name}_display", read_only=True)
    meta = type("Meta", (), {"model": model, "fields": names})
    return type(f"Published{model.__name__}", (serializers.ModelSerializer,), {"Meta": meta, **declared})


def published(obj) -> dict:
    """The published fields of one object, as the API gives them."""
    return published_serializer(type(obj))(obj).data


def published_rows(objects, model=None) -> list[dict]:
    objects = list(objects)
    if not objects:
        return []
    return published_serializer(model or type(objects[0]))(objects, many=True).data


def aided_groups(*, province=None, regency=None, program=None, year=None, q=""):
    """Approved or delivered applications of IKM groups, newest first, paginated by the caller
    with ``core.pagination.seek_page`` over ``("-id",)``: the primary key's index answers every
    page at national scale (270,000 aided groups), where sorting by regency and name sorted all
    of them on disk for each page (issue 28). The amounts handed over are read for the page's
    rows only (``public_rows``)."""
    rows = (Application.objects.filter(state__in=PUBLIC_STATES, group__kind=RecipientGroup.Kind.IKM)
            .exclude(program__status="draft")
            .select_related("group__regency", "program__agency"))
    if province is not None:
        rows = rows.filter(group__province=province)
    if regency is not None:
        rows = rows.filter(group__regency=regency)
    if program is not None:
        rows = rows.filter(program=program)
    if year is not None:
        rows = rows.filter(program__fiscal_year=year)
    if q:
        # Published names only: a withheld name is never found by typing it (trigram index on the name).
        rows = rows.filter(group__name__icontains=q, group__name_withheld_reason="")
    return rows


def aided_filters(params) -> dict:
    """``provinsi``, ``kabupaten``, ``program``, ``tahun``, ``q`` of the aided-groups list and its
    CSV; an unknown or malformed value means no filter (a regency implies its province)."""
    regency = Region.objects.regencies().select_related("parent").filter(
        code=lenient(parse_region_code, params.get("kabupaten"))).first()
    province = regency.parent if regency else Region.objects.provinces().filter(
        code=lenient(parse_region_code, params.get("provinsi"))).first()
    return {"province": province, "regency": regency,
            "program": Program.objects.public().filter(pk=lenient(parse_id, params.get("program"))).first(),
            "year": lenient(parse_year, params.get("tahun")),
            "q": " ".join(str(params.get("q", "")).split())[:80]}


def aided_query(f: dict) -> str:
    """The filters as a query string (for the CSV link)."""
    pairs = {"provinsi": f["province"].code if f["province"] else "",
             "kabupaten": f["regency"].code if f["regency"] else "",
             "program": f["program"].pk if f["program"] else "", "tahun": f["year"] or "", "q": f["q"]}
    return urlencode({k: v for k, v in pairs.items() if v})


def public_rows(applications) -> list[dict]:
    """The published fields of a page of aided groups, with the amount handed over to each
    (one query for the page)."""
    applications = list(applications)
    handed = dict(VerificationStep.objects.filter(application__in=applications, handover_amount__isnull=False)
                  .values("application").annotate(total=Sum("handover_amount")).values_list("application", "total"))
    return [{**published(a), "handed_over": handed.get(a.pk, 0)} for a in applications]
