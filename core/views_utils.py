"""Small helpers the staff views of every app share."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator


def paginate(request, queryset, per_page: int | None = None):
    """One COUNT and one page query, whatever the table size."""
    return Paginator(queryset, per_page or settings.PAGINATE_BY).get_page(request.GET.get("page"))


def apply_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to the field when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def refresh_version(form, version: int) -> None:
    """After a stale edit, keep what the user typed but arm the form with the current version."""
    data = form.data.copy()
    data["version"] = str(version)
    form.data = data
