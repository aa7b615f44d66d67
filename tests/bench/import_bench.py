"""Import at scale, on purpose: `make bench` (or python -m tests.bench.import_bench).

10,000 groups with 10 members each (100,000 member rows) in one CSV, proposed to a program, by
Kab. Serang's district staff, on its own database (``ikmrelief_bench_import``, rebuilt each run).
Times validation and commit as the Celery worker runs them, with the process's peak memory, next
to a floor measured in the same run: reading the same file with the csv module. Targets: commit
≤ 30 s, peak memory ≤ 300 MB (BENCHMARKS.md).
"""

from __future__ import annotations

import csv
import io
import os
import resource
import sys
import time

GROUPS = int(os.environ.get("BENCH_IMPORT_GROUPS", 10_000))
MEMBERS = int(os.environ.get("BENCH_IMPORT_MEMBERS", 10))


def _nik(i: int) -> str:
    """A valid, distinct NIK for each i below 1.39 million (the digits of tests/recipients)."""
    return f"360401{1 + i % 28:02d}{1 + i % 12:02d}{70 + i % 30:02d}{i % 9999 + 1:04d}"


def main() -> int:
    from urllib.parse import urlsplit, urlunsplit

    from tests.bench.rollup_bench import setup_django

    setup_django(os.environ.get("BENCH_IMPORT_DATABASE_URL") or urlunsplit(
        urlsplit(os.environ["DATABASE_URL"])._replace(path="/ikmrelief_bench_import")))
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    from accounts.models import User
    from core.models import Region
    from programs.models import Agency, FundingSource, Program
    from programs.reference import funding_sources_load
    from recipients import imports
    from recipients.models import Application, ImportBatch, Member, RecipientGroup

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    funding_sources_load(FundingSource)
    call_command("load_regions", verbosity=0)
    banten, serang = Region.objects.get(code="36"), Region.objects.get(code="36.04")
    agency = Agency.objects.create(name="Disperindag Banten (bench)", short_name="Disperindag", kind="disperindag",
                                   level="province", province=banten)
    program = Program.objects.create(agency=agency, fiscal_year=2021, name="Program bench", kind="equipment")
    staff = User.objects.create(username="bench-serang", role=User.Role.DISTRICT_STAFF, province=banten,
                                regency=serang, district_office=User.Office.IKM)

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(imports.COLUMNS)
    n = 0
    for g in range(GROUPS):
        for m in range(MEMBERS):
            n += 1
            writer.writerow(["36.04", f"Kelompok bench {g}", "masker", "Ciruas", "", f"Ketua {g}", "", "", "", "",
                             f"Anggota {g}-{m}", _nik(n), "ketua" if m == 0 else "anggota"])
    content = out.getvalue().encode()

    start = time.perf_counter()
    floor_rows = sum(1 for _ in csv.reader(io.StringIO(content.decode())))
    floor_s = time.perf_counter() - start

    batch = ImportBatch.objects.create(created_by=staff, program=program, original_name="bench.csv",
                                       file=ContentFile(content, name="bench.csv"))
    start = time.perf_counter()
    batch = imports.batch_validate(batch)
    validate_s = time.perf_counter() - start
    if batch.status != ImportBatch.Status.READY:
        raise SystemExit(f"not ready: {batch.errors[:3]}")
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.COMMITTING)
    batch.refresh_from_db()
    start = time.perf_counter()
    batch = imports.batch_commit(batch)
    commit_s = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"== import: {GROUPS:,} groups × {MEMBERS} members = {floor_rows - 1:,} rows ({len(content) / 1e6:.1f} MB),"
          f" proposed to a program, {os.cpu_count()} cores")
    print(f"floor: csv.reader over the file     {floor_s:7.2f} s")
    print(f"validate (preview)                 {validate_s:7.2f} s  ({validate_s / floor_s:.0f}× the floor)")
    print(f"commit                             {commit_s:7.2f} s  ({commit_s / floor_s:.0f}× the floor): "
          f"{batch.status}, {RecipientGroup.objects.count():,} groups, {Member.objects.count():,} members, "
          f"{Application.objects.count():,} applications")
    print(f"peak memory of the process          {peak_mb:7.0f} MB")
    ok = batch.status == ImportBatch.Status.COMMITTED and commit_s <= 30 and peak_mb <= 300
    print("targets (commit ≤ 30 s, peak ≤ 300 MB):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
