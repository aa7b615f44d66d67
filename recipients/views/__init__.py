"""The recipients app's staff pages: ``groups``, ``applications``, ``transfer`` (imports and
exports), ``field`` (the offline field check) and ``privacy`` (the data-protection officer)."""

from django.core.exceptions import PermissionDenied

from recipients import policy


def require_staff(user) -> None:
    """The staff pages of groups and applications (``policy.reads_recipients``), or 403."""
    if not policy.reads_recipients(user):
        raise PermissionDenied


def require_actor(user) -> None:
    """Pages that move applications (``policy.acts_in_verification``), or 403."""
    if not policy.acts_in_verification(user):
        raise PermissionDenied
