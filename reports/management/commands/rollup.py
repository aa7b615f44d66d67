"""Run the budget rollup now, synchronously: the same code as the nightly Celery task."""

from django.core.management.base import BaseCommand, CommandError

from reports.models import RollupRun
from reports.rollup import rollup_run


class Command(BaseCommand):
    help = "Menghitung ulang rekap anggaran (sama dengan tugas malam Celery)."

    def handle(self, *args, **options):
        run = rollup_run(trigger="command")
        if run.status == RollupRun.Status.SKIPPED:
            raise CommandError("Rekap lain sedang berjalan; coba lagi nanti.")
        self.stdout.write(
            f"Rekap selesai dalam {run.duration.total_seconds():.2f} dtk: {run.bucket_rows} baris rekap, "
            f"{run.monthly_rows} baris bulanan, {run.realization_rows} realisasi."
        )
