"""The public ledger (issue 25): an append-only Merkle log of every public budget event.

- ``PendingEntry``: written in the same transaction as the change that causes it
  (``ledger.entries.record``); a worker moves it into the log, so writers never wait on the tree.
- ``Entry``: the log itself, entry ``index`` = leaf index; the database refuses UPDATE, DELETE and
  TRUNCATE on it.
- ``Tile``: the tree as C2SP tlog-tiles (``level``, ``index``, ``width``): full tiles never change;
  a partial tile is superseded by a wider one.
- ``Checkpoint``: each signed tree head (C2SP tlog-checkpoint as a signed note), append-only too.
"""

from __future__ import annotations

import pgtrigger
from django.db import models
from django.utils import timezone

APPEND_ONLY = pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


class PendingEntry(models.Model):
    created_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=40)
    record_type = models.CharField(max_length=60)
    record_id = models.BigIntegerField()
    body = models.BinaryField()  # the entry as it will be logged: canonical JSON (RFC 8785)

    def __str__(self) -> str:
        return f"{self.kind} {self.record_type} #{self.record_id} (menunggu)"


class Entry(models.Model):
    index = models.BigIntegerField(primary_key=True)
    kind = models.CharField(max_length=40)
    record_type = models.CharField(max_length=60)
    record_id = models.BigIntegerField()
    body = models.BinaryField()
    committed_at = models.DateTimeField()  # when the change was saved
    logged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        triggers = [APPEND_ONLY]
        indexes = [models.Index(fields=["record_type", "record_id", "index"], name="ledger_entry_record")]

    def __str__(self) -> str:
        return f"#{self.index} {self.kind} {self.record_type} #{self.record_id}"


class Tile(models.Model):
    level = models.SmallIntegerField()
    index = models.BigIntegerField()
    width = models.SmallIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index", "width"], name="ledger_tile_unique")]

    def __str__(self) -> str:
        return f"tile {self.level}/{self.index} ({self.width})"


class Checkpoint(models.Model):
    size = models.BigIntegerField(unique=True)
    root = models.BinaryField()
    note = models.TextField()  # the signed note, log signature and the witnesses' cosignatures
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        triggers = [APPEND_ONLY]
        get_latest_by = "size"

    def __str__(self) -> str:
        return f"checkpoint {self.size}"


class Cosignature(models.Model):
    """A witness's cosignature of a checkpoint (C2SP tlog-cosignature): a signature line served with
    the checkpoint."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="cosignatures")
    witness = models.CharField(max_length=200)
    line = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        triggers = [APPEND_ONLY]
        constraints = [models.UniqueConstraint(fields=["checkpoint", "witness"], name="ledger_cosignature_once")]

    def __str__(self) -> str:
        return f"{self.witness} on {self.checkpoint_id}"


class Audit(models.Model):
    """One comparison of the database with the log (``reports.ledger_audit``, nightly): every
    published record against its latest entry. ``problems`` holds the first ones found."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    checked = models.BigIntegerField(default=0)
    problem_count = models.BigIntegerField(default=0)
    # [{"record": "programs.realization", "id": 5, "entry": 812, "problem": "…", "fields": {…}}]
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"audit {self.started_at:%Y-%m-%d %H:%M} ({self.problem_count})"
