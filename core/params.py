"""One parser for what arrives from outside: years, ids, region codes and Rupiah amounts.

Every view, form, filter, download and API parameter reads numbers through these helpers,
so the rules are the same everywhere:

- digits are ASCII ``0-9`` only. Python's ``str.isdigit()`` is true for ``²`` and ``٣``,
  and ``int("²")`` raises: that pair was behind every "Unicode digit → 500" finding;
- NUL and other control characters never reach a query (``RejectControlCharactersMiddleware``
  answers 400 before any view runs);
- a value out of range is refused, never clamped.

Each parser raises ``BadParameter`` (a ``ValueError``) with a message in the user's language.
"""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field

from core.money import rupiah

ASCII_DIGITS = re.compile(r"[0-9]+")
REGION_CODE_PATTERN = r"^[0-9]{2}(\.[0-9]{2})?$"
REGION_CODE = re.compile(r"[0-9]{2}(\.[0-9]{2})?")
# C0 controls and DEL; tab, LF and CR are allowed only in form bodies (textareas).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_CHARACTERS_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

YEAR_MIN, YEAR_MAX = 2000, 2100
ID_MAX = 2**63 - 1  # BIGINT
RUPIAH_MAX = 9_000_000_000_000_000  # below BIGINT, far above any budget
_RUPIAH_GROUPING = re.compile(r"[\s.]")


class BadParameter(ValueError):
    """A value from the outside that the product refuses; ``str()`` is the user's message."""


def parse_int(text, *, minimum: int = 0, maximum: int = ID_MAX, label: str | None = None) -> int:
    """A whole number written in ASCII digits within [minimum, maximum]."""
    text = str(text).strip()
    label = label or _("Nilai")
    if not ASCII_DIGITS.fullmatch(text) or len(text) > 19:
        raise BadParameter(_("%(label)s harus berupa angka bulat (0–9).") % {"label": label})
    number = int(text)
    if not minimum <= number <= maximum:
        raise BadParameter(_("%(label)s di luar batas yang diizinkan.") % {"label": label})
    return number


def parse_year(text) -> int:
    return parse_int(text, minimum=YEAR_MIN, maximum=YEAR_MAX, label=_("Tahun"))


def parse_id(text) -> int:
    return parse_int(text, minimum=1, maximum=ID_MAX, label=_("ID"))


def parse_region_code(text) -> str:
    """A Kemendagri code: ``36`` (province) or ``36.04`` (kabupaten/kota)."""
    text = str(text).strip()
    if not REGION_CODE.fullmatch(text):
        raise BadParameter(_("Kode wilayah harus seperti 36 atau 36.04."))
    return text


def parse_rupiah(text, *, minimum: int = 0) -> int:
    """Whole rupiah as people type them: ``180000000``, ``180.000.000``, ``Rp180.000.000``."""
    text = str(text).strip()
    if text.startswith("-"):
        raise BadParameter(_("Jumlah tidak boleh negatif."))
    text = _RUPIAH_GROUPING.sub("", re.sub(r"^rp\.?", "", text, flags=re.IGNORECASE))
    if not ASCII_DIGITS.fullmatch(text):
        raise BadParameter(_("Masukkan jumlah rupiah berupa angka bulat, mis. 180.000.000."))
    if len(text) > 19 or int(text) > RUPIAH_MAX:
        raise BadParameter(_("Jumlah terlalu besar."))
    number = int(text)
    if number < minimum:
        raise BadParameter(_("Jumlah minimal %(min)s.") % {"min": rupiah(minimum)})
    return number


def optional(parser, text):
    """``parser(text)`` for a given value, None for a missing or empty one."""
    if text is None or str(text).strip() == "":
        return None
    return parser(text)


def lenient(parser, text):
    """For filters of public HTML pages: a value that does not parse is simply not applied."""
    try:
        return optional(parser, text)
    except BadParameter:
        return None


# --- Form and filter fields --------------------------------------------------------------------


class StrictIntegerField(forms.IntegerField):
    """``forms.IntegerField`` that takes ASCII digits only (Django's accepts ``٣``)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_int(value, minimum=0, maximum=ID_MAX)
        except BadParameter as exc:
            raise ValidationError(str(exc), code="invalid")


class StrictYearField(StrictIntegerField):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_year(value)
        except BadParameter as exc:
            raise ValidationError(str(exc), code="invalid")


class RegionCodeField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return ""
        try:
            return parse_region_code(value)
        except BadParameter as exc:
            raise ValidationError(str(exc), code="invalid")


# The OpenAPI schema states the same bounds the parsers apply (drf-spectacular reads these).
@extend_schema_field({"type": "string", "pattern": REGION_CODE_PATTERN})
class RegionCodeFilter(django_filters.CharFilter):
    field_class = RegionCodeField


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": ID_MAX})
class IntegerFilter(django_filters.NumberFilter):
    field_class = StrictIntegerField


@extend_schema_field({"type": "integer", "minimum": YEAR_MIN, "maximum": YEAR_MAX})
class YearFilter(django_filters.NumberFilter):
    field_class = StrictYearField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Tahun"))
        super().__init__(*args, **kwargs)
