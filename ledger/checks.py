"""``manage.py check --deploy`` refuses a production site whose ledger key is derived from the
secret key (the development default): the log's key is its identity, kept and published apart."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def ledger_key_configured(app_configs, **kwargs):
    if settings.LEDGER_SIGNING_KEY:
        return []
    return [Error("LEDGER_SIGNING_KEY is not set: the public ledger would sign with a key derived from "
                  "DJANGO_SECRET_KEY.", hint="Run `manage.py ledger_key` and set LEDGER_SIGNING_KEY.",
                  id="ledger.E001")]
