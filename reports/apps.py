from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Rollup, public pages, open data and the public API: everything the public reads."""

    name = "reports"
    verbose_name = _("Laporan dan data terbuka")
