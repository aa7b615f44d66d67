"""Where files that must never be public live: outside STATIC_ROOT and any web root."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_storage() -> FileSystemStorage:
    """Evidence and import files; served only through views that check the user's scope."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)
