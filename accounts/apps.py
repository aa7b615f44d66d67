from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Pengguna dan peran")

    def ready(self):
        from accounts import checks  # noqa: F401, PLC0415 - registers the deploy check once apps are ready
