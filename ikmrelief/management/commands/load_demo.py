"""Demo data from the five articles: budgets, groups and their verification, demo logins.

Idempotent: only what is missing is created; what users changed is left alone.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_PASSWORD, load_users
from programs.demo import load_budgets
from recipients.demo import load_recipients
from reports.demo import plant_flags


class Command(BaseCommand):
    help = "Memuat data demo dari lima artikel berita (aman diulang, tidak menghapus apa pun)."

    def add_arguments(self, parser):
        parser.add_argument("--temuan", action="store_true",
                            help="juga kasus red flag contoh untuk auditor demo (reports.demo; make run memakainya)")

    def handle(self, *args, **options):
        try:
            counts = load_budgets()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        users = load_users()
        groups = load_recipients() + (plant_flags() if options["temuan"] else 0)
        self.stdout.write(
            "Data demo: {agencies} OPD, {programs} program, {ceilings} pagu, {allocations} alokasi; ".format(**counts)
            + f"{groups} kelompok baru; {users} login demo (kata sandi: {DEMO_PASSWORD})."
        )
