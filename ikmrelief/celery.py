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
    for name in ("reports.tasks.reap_rollups", "recipients.tasks.reap_imports", "recipients.tasks.reap_exports"):
        app.send_task(name)
