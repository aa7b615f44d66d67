"""The Celery app: Redis broker, settings from ``CELERY_*`` in ``ikmrelief/settings.py``."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ikmrelief.settings")

app = Celery("ikmrelief")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _recover_on_start(sender=None, **kwargs):
    """A worker that (re)starts looks at once for work a dead worker left behind."""
    from recipients.tasks import reap_exports, reap_imports
    from reports.tasks import reap_rollups

    reap_rollups.delay()
    reap_imports.delay()
    reap_exports.delay()
