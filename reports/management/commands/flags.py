"""Compute the red flags now, synchronously: the same code as the nightly Celery task."""

import time

from django.core.management.base import BaseCommand, CommandError

from reports import flags


class Command(BaseCommand):
    help = "Menghitung temuan (red flag) atas seluruh data sekarang (sama dengan tugas malam Celery)."

    def add_arguments(self, parser):
        parser.add_argument("--hanya", nargs="*", default=None, metavar="KODE",
                            help="Hanya indikator ini, mis. R01 R06.")

    def handle(self, *args, **options):
        codes = options["hanya"]
        unknown = sorted(set(codes or ()) - set(flags.BY_CODE))
        if unknown:
            raise CommandError(f"Indikator tidak dikenal: {', '.join(unknown)} (ada: {', '.join(flags.BY_CODE)}).")
        started = time.monotonic()
        counts = flags.compute(codes=codes)
        found = sum(c["found"] for c in counts.values())
        raised = sum(c["raised"] for c in counts.values())
        closed = sum(c["closed"] for c in counts.values())
        self.stdout.write(f"Temuan dihitung dalam {time.monotonic() - started:.2f} dtk: {found} pola ditemukan, "
                          f"{raised} kasus baru, {closed} kasus ditutup karena data berubah.")
