from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("Buku besar publik")

    def ready(self):
        from ledger import checks  # noqa: F401, PLC0415 - registers the deploy check
