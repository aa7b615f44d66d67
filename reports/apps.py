from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Rollup, public pages, open data and the public API: everything the public reads."""

    name = "reports"
    verbose_name = _("Laporan dan data terbuka")

    def ready(self):
        # Models and the modules that use them load once the app registry is ready, not before.
        from core.cache import register_generation  # noqa: PLC0415
        from programs.signals import bulk_loaded  # noqa: PLC0415
        from recipients.exports import register_document  # noqa: PLC0415
        from reports.documents import REALIZATION_TABLE  # noqa: PLC0415
        from reports.rollup import forget_as_of, rollup_as_of  # noqa: PLC0415

        bulk_loaded.connect(_next_run_full, dispatch_uid="reports.next_run_full")
        # Public pages are one generation per rollup: their cache keys and ETags hold its stamp.
        register_generation(stamp=rollup_as_of, forget=forget_as_of)
        # The realization report is built by a worker the way a big export is.
        register_document(REALIZATION_TABLE)


def _next_run_full(**kwargs):
    """A load past the change log: the next rollup is full and has no kept state to check against
    (it would report every row it missed as a mismatch)."""
    from reports.models import RollupChange  # noqa: PLC0415 - apps.py loads before the models

    RollupChange.objects.create(kind="full")
