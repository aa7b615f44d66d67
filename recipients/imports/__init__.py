"""Import of groups and members from CSV/XLSX: preview every error, then write all or nothing.

One row per member; the group's columns repeat on each of its members' rows (a group with no
member rows is one row with the member columns empty). ``reading`` reads the file, ``validation``
collects every error before anything is written, ``batches`` runs a batch's preview and commit
(in the request when light, by a Celery worker otherwise) and reaps stuck ones."""

from recipients.imports.batches import (
    COMMIT_TASK,
    VALIDATE_TASK,
    _progress_outside,
    batch_commit,
    batch_is_light,
    batch_validate,
    batches_reap,
    notify_uploader,
)
from recipients.imports.reading import COLUMNS, ERRORS_SHOWN, ROLE_WORDS, SYNC_MAX_BYTES, SYNC_MAX_ROWS, is_light

__all__ = [
    "COLUMNS", "COMMIT_TASK", "ERRORS_SHOWN", "ROLE_WORDS", "SYNC_MAX_BYTES", "SYNC_MAX_ROWS", "VALIDATE_TASK",
    "_progress_outside", "batch_commit", "batch_is_light", "batch_validate", "batches_reap", "is_light",
    "notify_uploader",
]
