"""Import at scale (issue 14): the commit writes what the preview checked without reading the
file again, proposes every group to the program in a few set-based statements (the query count
does not grow with the groups), flags look-alikes as one-by-one proposals do, and shows its
progress while its transaction is still open. The 100,000-row timing is in ``make bench``."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.db import connections, transaction

from recipients import imports, services
from recipients.models import Application, DuplicateFlag, ImportBatch, RecipientGroup, State, VerificationStep
from tests.factories import ProgramFactory, region
from tests.recipients.test_recipients import HEADER, _nik

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(disperindag_banten):
    return ProgramFactory(agency=disperindag_banten, fiscal_year=2020, name="Peralatan masker SNI")


def _batch(staff, program, groups: int, members: int = 2, start: int = 0) -> ImportBatch:
    rows = "".join(
        f"36.04,Kelompok impor {g},masker,,,Ketua {g},{_nik(start + g * members + 1)},,,,Anggota {g}-{m},"
        f"{_nik(start + g * members + m + 1)},{'ketua' if m == 0 else 'anggota'}\n"
        for g in range(groups) for m in range(members))
    batch = ImportBatch.objects.create(created_by=staff, program=program, original_name="impor.csv",
                                       file=ContentFile((HEADER + rows).encode(), name="impor.csv"))
    batch = imports.batch_validate(batch)
    assert batch.status == ImportBatch.Status.READY, batch.errors[:3]
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.COMMITTING)
    batch.refresh_from_db()
    return batch


@pytest.mark.parametrize("groups", [5, 60])
def test_proposing_an_imported_file_costs_the_same_queries_for_5_or_60_groups(serang_staff, program, groups,
                                                                              django_assert_max_num_queries):
    batch = _batch(serang_staff, program, groups)
    # Fixed: lock, claim, the checked rows, groups, members (chunks), program checks, applications,
    # first steps, look-alikes, counters; pghistory context; no query per group.
    with django_assert_max_num_queries(24):
        batch = imports.batch_commit(batch)
    assert batch.status == ImportBatch.Status.COMMITTED and batch.rows_done == groups * 2
    assert Application.objects.filter(program=program, state=State.PROPOSED).count() == groups
    assert VerificationStep.objects.filter(application__program=program, to_state=State.PROPOSED).count() == groups


def test_the_commit_writes_what_the_preview_checked_without_reading_the_file_again(serang_staff, program):
    batch = _batch(serang_staff, program, 3)
    with batch.file.open("wb") as f:  # the upload is gone or damaged after the preview
        f.write(b"\x00 not a csv")
    batch = imports.batch_commit(batch)
    assert batch.status == ImportBatch.Status.COMMITTED
    assert sorted(RecipientGroup.objects.values_list("name", flat=True)) == [
        "Kelompok impor 0", "Kelompok impor 1", "Kelompok impor 2"]
    assert RecipientGroup.objects.get(name="Kelompok impor 1").members.count() == 2


def test_a_group_registered_since_the_preview_is_named_and_nothing_is_written(serang_staff, program):
    batch = _batch(serang_staff, program, 3)
    services.group_create(actor=serang_staff, data=services.GroupData(
        name="Kelompok impor 2", regency_id=region("36.04").pk, sector="masks", leader_name="X"))
    batch = imports.batch_commit(batch)
    assert batch.status == ImportBatch.Status.INVALID
    assert any("sudah terdaftar" in e["message"] for e in batch.errors)
    assert RecipientGroup.objects.count() == 1 and not Application.objects.exists()


def test_imported_look_alikes_are_flagged_as_one_by_one_proposals_are(serang_staff, program):
    earlier = services.group_create(actor=serang_staff, data=services.GroupData(
        name="Kelompok lama", regency_id=region("36.04").pk, sector="masks", leader_name="Ketua 0",
        leader_nik=_nik(1)))
    other_program = ProgramFactory(agency=program.agency, fiscal_year=2020)
    services.application_propose(group=earlier, program=other_program, actor=serang_staff)
    imports.batch_commit(_batch(serang_staff, program, 2))
    new = Application.objects.get(group__name="Kelompok impor 0")
    assert new.has_duplicate and Application.objects.get(group=earlier).has_duplicate
    assert DuplicateFlag.objects.filter(application=new, reason="NIK ketua sama").count() == 1
    assert not Application.objects.get(group__name="Kelompok impor 1").has_duplicate


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_commit_transaction_is_open(serang_staff, disperindag_banten):
    batch = ImportBatch.objects.create(created_by=serang_staff, original_name="x.csv", file=ContentFile(b"x", "x.csv"),
                                       status=ImportBatch.Status.COMMITTING, rows_total=100)
    reader = connections.create_connection("default")
    try:
        with imports._progress_outside(batch) as progress, transaction.atomic():
            # The commit's groups point at the batch (a key-share lock on its row, as in the real commit)…
            RecipientGroup.objects.create(name="Kelompok X", normalized_name="kelompok x", regency=region("36.04"),
                                          sector="masks", leader_name="X", import_batch=batch)
            progress(40)  # …and the counter moves on its own connection
            with reader.cursor() as cursor:
                cursor.execute("SELECT rows_done FROM recipients_importbatch WHERE id = %s", [batch.pk])
                seen = cursor.fetchone()[0]
    finally:
        reader.close()
    assert seen == 40
