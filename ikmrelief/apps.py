from django.apps import AppConfig


class IkmreliefConfig(AppConfig):
    """The shell: settings, URLs, Celery, the launcher, the staff dashboard and ``load_demo``.
    It may import every app; no app imports it."""

    name = "ikmrelief"
    verbose_name = "IKM Relief"
