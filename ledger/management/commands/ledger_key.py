"""``manage.py ledger_key``: a new Ed25519 signing key for the public ledger (set it as
LEDGER_SIGNING_KEY, keep it secret) and the verifier key to publish; or, with ``--show``, the
verifier key of the key in use."""

from django.core.management.base import BaseCommand
from ikmrelief_verify import note

from ledger import log


class Command(BaseCommand):
    help = "Make a signing key for the public ledger, or show the verifier key of the one in use."

    def add_arguments(self, parser):
        parser.add_argument("--show", action="store_true", help="the verifier key of LEDGER_SIGNING_KEY")

    def handle(self, *args, show=False, **options):
        if show:
            self.stdout.write(log.signer().verifier.vkey)
            return
        signer = note.Signer.generate(log.origin())
        self.stdout.write(f"LEDGER_SIGNING_KEY={signer.key}")
        self.stdout.write(f"# publish: {signer.verifier.vkey}")
