"""Errors every app raises the same way."""

from django.core.exceptions import ValidationError


class StaleEdit(ValidationError):
    """Someone saved the same record after this form was opened (its version moved)."""
