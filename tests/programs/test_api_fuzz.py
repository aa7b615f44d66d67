"""Schema-driven fuzzing of the public API (schemathesis): no request may cause a server error."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from ikmrelief.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def _data(regions, settings):
    from django.core.management import call_command

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    call_command("load_demo", verbosity=0)
    call_command("rollup", verbosity=0)


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_public_api_never_fails(case):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path} {case.query} → {response.status_code}"
