"""Kemendagri regions: 38 provinces and 514 kabupaten/kota, loaded by ``load_regions``."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import search


class RegionQuerySet(models.QuerySet):
    def provinces(self):
        return self.filter(level=Region.Level.PROVINCE)

    def regencies(self):
        return self.filter(level=Region.Level.REGENCY)

    def in_province(self, province: Region | int):
        return self.filter(parent=province)


class Region(models.Model):
    class Level(models.IntegerChoices):
        PROVINCE = 1, _("Provinsi")
        REGENCY = 2, _("Kabupaten/kota")

    class Kind(models.TextChoices):
        PROVINSI = "provinsi", _("Provinsi")
        KABUPATEN = "kabupaten", _("Kabupaten")
        KOTA = "kota", _("Kota")

    # Official dotted Kemendagri code: "36" Banten, "36.04" Kabupaten Serang.
    code = models.CharField(_("kode Kemendagri"), max_length=5, unique=True)
    name = models.CharField(_("nama"), max_length=100)
    level = models.PositiveSmallIntegerField(_("tingkat"), choices=Level.choices)
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("provinsi"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    objects = RegionQuerySet.as_manager()

    PUBLISHED_FIELDS = ("code", "name")

    class Meta:
        ordering = ["code"]
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")
        constraints = [
            models.CheckConstraint(
                name="core_region_province_has_no_parent",
                condition=(Q(level=1, parent__isnull=True, kind="provinsi") | Q(level=2, parent__isnull=False)),
            ),
            models.CheckConstraint(name="core_region_code_format", condition=Q(code__regex=r"^\d{2}(\.\d{2})?$")),
        ]
        indexes = [
            # Public search: ikm_search_document(name, '') @@ to_tsquery('simple', …).
            GinIndex(search.document("name"), name="core_region_search"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_province(self) -> bool:
        return self.level == self.Level.PROVINCE

    @property
    def province_id(self) -> int:
        """The province a region belongs to (itself for a province); no query."""
        return self.pk if self.is_province else self.parent_id


class JobLiveness(models.Model):
    """Who works on a background job and whether it is alive (``core/jobs.py``): the worker's
    label, when it was last seen, when its message was last sent, and how often."""

    owner = models.CharField(max_length=100, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
