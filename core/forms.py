"""Form pieces every staff form shares."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError

from core.params import BadParameter, StrictIntegerField, parse_rupiah


class PublishesFields:
    """A form whose listed fields appear on the public pages as typed: each is marked
    "Dipublikasikan" beside its label (``includes/form_fields.html``, ``includes/published.html``),
    so nobody writes a name or a private reason into a published field unwarned."""

    published: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.published:
            if name in self.fields:
                self.fields[name].published = True


class RupiahField(forms.CharField):
    """Whole rupiah as people type them: ``180000000``, ``180.000.000``, ``Rp180.000.000``.

    Decimals (``180.000,50``), letters, and negative amounts are refused with a message in
    the user's language; the typed text is kept in the form.
    """

    def __init__(self, *, min_value: int = 0, **kwargs):
        self.min_value = min_value
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_rupiah(value, minimum=self.min_value)
        except BadParameter as exc:
            raise ValidationError(str(exc), code="invalid")


class SubmissionForm(forms.Form):
    """Carries a one-time id so a double-clicked submit is recognised, not saved twice."""

    submission_id = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_id", uuid.uuid4())


class VersionedForm(forms.Form):
    """Carries the version of the record the user saw, for the stale-edit check."""

    version = StrictIntegerField(widget=forms.HiddenInput)
