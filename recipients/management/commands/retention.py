"""Person-data retention by hand: what would be erased, or erase what a dry run listed.

    python manage.py retention                 # dry run with RETENTION_YEARS, recorded
    python manage.py retention --years 0       # the same with another period
    python manage.py retention --apply         # erase what the latest pending dry run listed
"""

from django.core.management.base import BaseCommand, CommandError

from recipients import retention
from recipients.models import RetentionRun


class Command(BaseCommand):
    help = "Retensi data pribadi: uji coba (dicatat), atau hapus yang terdaftar di uji coba terakhir."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=None, help="masa simpan (tahun); bawaan RETENTION_YEARS")
        parser.add_argument("--apply", action="store_true", help="hapus yang terdaftar di uji coba terakhir")

    def handle(self, *args, years, apply, **options):
        if years is not None and years < 0:
            raise CommandError("--years tidak boleh negatif.")
        if not apply:
            run = retention.dry_run(years=years)
            self.stdout.write(f"Uji coba: {len(run.group_ids)} kelompok, {run.members} anggota, {run.photos} foto, "
                              f"{run.imports} berkas impor (program tahun anggaran < {run.before_year}).")
            return
        plan = RetentionRun.objects.filter(dry_run=True, applied_by__isnull=True).order_by("-created_at").first()
        if plan is None:
            raise CommandError("Belum ada uji coba yang menunggu; jalankan tanpa --apply dahulu.")
        run = retention.apply(plan)
        if run is None:
            self.stdout.write("Uji coba itu sudah diterapkan.")
            return
        self.stdout.write(f"Dihapus: data pribadi {len(run.group_ids)} kelompok, {run.members} anggota, "
                          f"{run.photos} foto, {run.imports} berkas impor.")
