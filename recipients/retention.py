"""Person data kept only as long as allowed (UU 27/2022: erase at the end of the retention period).

The rule: when every program a group applied to has a fiscal year that ended more than
``RETENTION_YEARS`` years ago, the group's person data is erased — the leader's name, NIK and
phone, every member row, the photos among its evidence, and the same values in the history
tables — while the group itself, its applications, decisions, handovers, budgets, the rollup and
every public figure stay exactly as they were (``members_count`` is kept; the public list never
showed a person).

It runs in two steps so that nothing is erased unannounced: a dry run records which groups
(and how many members, photos and import files) would go; ``RETENTION_GRACE_DAYS`` later the
next run erases exactly those that still qualify and records that too. The data-protection
officer sees both on their page. Import files older than the cut-off (they hold the rows as
uploaded, NIKs included) are deleted with the applied run.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from recipients.models import Evidence, ImportBatch, Member, RecipientGroup, RetentionRun

log = logging.getLogger(__name__)

BATCH = 5000
ERASED_NAME = ""  # what a leader's name becomes; the pages say "data pribadi dihapus"


def before_year(years: int, today: dt.date | None = None) -> int:
    """Programs of a fiscal year before this one closed more than ``years`` years ago."""
    return (today or timezone.localdate()).year - years


def eligible(years: int, today: dt.date | None = None):
    """Groups not yet erased, with at least one application, none to a program of a fiscal year
    at or after the cut-off. One query (an anti-join), the same at a million groups."""
    cutoff = before_year(years, today)
    return (RecipientGroup.objects.filter(person_data_erased_at__isnull=True, applications__isnull=False)
            .exclude(applications__program__fiscal_year__gte=cutoff).distinct())


def _photos(group_ids):
    return Evidence.objects.filter(step__application__group_id__in=group_ids, content_type__startswith="image/")


def _old_imports(cutoff: int):
    start = dt.datetime(cutoff, 1, 1, tzinfo=timezone.get_current_timezone())
    return ImportBatch.objects.filter(created_at__lt=start).exclude(Q(file="") & Q(parsed="") & Q(errors=[]))


def dry_run(*, years: int | None = None, actor=None, today: dt.date | None = None) -> RetentionRun:
    """Record what the rule would erase now. A few queries."""
    years = settings.RETENTION_YEARS if years is None else years
    cutoff = before_year(years, today)
    ids = sorted(eligible(years, today).values_list("pk", flat=True))
    return RetentionRun.objects.create(
        dry_run=True, actor=actor, years=years, before_year=cutoff, group_ids=ids,
        members=Member.objects.filter(group_id__in=ids).count(), photos=_photos(ids).count(),
        imports=_old_imports(cutoff).count())


def apply(plan: RetentionRun, *, actor=None, today: dt.date | None = None) -> RetentionRun | None:
    """Erase what ``plan`` (a dry run) listed and still qualifies; None when it was applied
    already (two beats, a double click). Set-based, ``BATCH`` groups per statement."""
    with transaction.atomic():
        plan = RetentionRun.objects.select_for_update().get(pk=plan.pk, dry_run=True)
        if RetentionRun.objects.filter(applies=plan).exists():
            return None
        still = set(eligible(plan.years, today).filter(pk__in=plan.group_ids).values_list("pk", flat=True))
        ids = sorted(still)
        members = photos = 0
        now = timezone.now()
        files = []
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            for evidence in _photos(chunk):
                files.append(evidence.file)
            photos += _photos(chunk).delete()[0]
            members += Member.objects.filter(group_id__in=chunk).delete()[0]
            RecipientGroup.objects.filter(pk__in=chunk).update(
                leader_name=ERASED_NAME, leader_nik="", contact_phone="", person_data_erased_at=now)
            # The history tables held the same values: erased there too (the change log stays).
            RecipientGroup.pgh_event_model.objects.filter(pgh_obj_id__in=chunk).update(
                leader_name=ERASED_NAME, leader_nik="", contact_phone="")
            Member.pgh_event_model.objects.filter(group_id__in=chunk).update(name="", nik="")
        imports = 0
        for batch in _old_imports(plan.before_year):
            files += [f for f in (batch.file, batch.parsed) if f]
            ImportBatch.objects.filter(pk=batch.pk).update(file="", parsed="", errors=[])
            imports += 1
        run = RetentionRun.objects.create(dry_run=False, applies=plan, actor=actor, years=plan.years,
                                          before_year=plan.before_year, group_ids=ids, members=members,
                                          photos=photos, imports=imports)
        transaction.on_commit(lambda: _delete_files(files))
    log.info("retention: erased person data of %s groups (%s members, %s photos, %s imports)",
             len(ids), members, photos, imports)
    return run


def _delete_files(files) -> None:
    for f in files:
        try:
            f.storage.delete(f.name)
        except OSError:  # already gone; the row no longer points at it either way
            log.warning("retention: could not delete %s", f.name)


def scheduled(*, today: dt.date | None = None, now: dt.datetime | None = None) -> RetentionRun | None:
    """What the beat does each day: apply the pending dry run once its grace period has passed,
    or make a dry run when none is pending and something qualifies."""
    now = now or timezone.now()
    pending = (RetentionRun.objects.filter(dry_run=True, applied_by__isnull=True).order_by("-created_at").first())
    if pending is not None:
        if pending.created_at <= now - dt.timedelta(days=settings.RETENTION_GRACE_DAYS):
            return apply(pending, today=today)
        return None
    if eligible(settings.RETENTION_YEARS, today).exists():
        return dry_run(today=today)
    return None
