"""``manage.py check --deploy`` refuses a production site that lets staff in without a second factor."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def second_factor_enforced(app_configs, **kwargs):
    errors = []
    if settings.DEMO_SKIP_TWO_FACTOR:
        errors.append(Error("DEMO_SKIP_TWO_FACTOR is on: the demo logins sign in without a second factor.",
                            hint="Unset DEMO_SKIP_TWO_FACTOR; it is for `make run`'s demo only.",
                            id="accounts.E001"))
    if not settings.TWO_FACTOR_REQUIRED:
        errors.append(Error("TWO_FACTOR_REQUIRED is off: staff sign in with a password alone.",
                            hint="Unset TWO_FACTOR_REQUIRED (it defaults to on).", id="accounts.E002"))
    return errors
