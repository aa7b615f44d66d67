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

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Sum
from rest_framework import serializers

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


def aided_groups(*, province=None, program=None):
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
    if program is not None:
        rows = rows.filter(program=program)
    return rows


def public_rows(applications) -> list[dict]:
    """The published fields of a page of aided groups, with the amount handed over to each
    (one query for the page)."""
    applications = list(applications)
    handed = dict(VerificationStep.objects.filter(application__in=applications, handover_amount__isnull=False)
                  .values("application").annotate(total=Sum("handover_amount")).values_list("application", "total"))
    return [{**published(a), "handed_over": handed.get(a.pk, 0)} for a in applications]
