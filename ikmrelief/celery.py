"""The Celery app: Redis broker, settings from ``CELERY_*`` in ``ikmrelief/settings.py``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ikmrelief.settings")

app = Celery("ikmrelief")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
