"""Form pieces every staff form shares."""

from __future__ import annotations

import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.money import rupiah

_GROUPING = re.compile(r"[\s.]")


class RupiahField(forms.CharField):
    """Whole rupiah as people type them: ``180000000``, ``180.000.000``, ``Rp180.000.000``.

    Decimals (``180.000,50``), letters, and negative amounts are refused with a message in
    the user's language; the typed text is kept in the form.
    """

    default_error_messages = {
        "invalid": _("Masukkan jumlah rupiah berupa angka bulat, mis. 180.000.000."),
        "negative": _("Jumlah tidak boleh negatif."),
        "too_large": _("Jumlah terlalu besar."),
    }

    def __init__(self, *, min_value: int = 0, **kwargs):
        self.min_value = min_value
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        text = value.strip()
        if text.startswith("-"):
            raise ValidationError(self.error_messages["negative"], code="negative")
        text = re.sub(r"^rp\.?", "", text, flags=re.IGNORECASE)
        text = _GROUPING.sub("", text)
        if not text.isdigit():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        number = int(text)
        if number > 9_000_000_000_000_000:  # BIGINT
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        if number < self.min_value:
            raise ValidationError(
                _("Jumlah minimal %(min)s.") % {"min": rupiah(self.min_value)}, code="min_value"
            )
        return number


class SubmissionForm(forms.Form):
    """Carries a one-time id so a double-clicked submit is recognised, not saved twice."""

    submission_id = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_id", uuid.uuid4())


class VersionedForm(forms.Form):
    """Carries the version of the record the user saw, for the stale-edit check."""

    version = forms.IntegerField(widget=forms.HiddenInput)
