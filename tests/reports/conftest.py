import pytest

from accounts.demo import load_users
from programs.demo import load_budgets
from recipients.demo import load_recipients
from reports import flags
from reports.rollup import rollup_run


@pytest.fixture
def demo(regions):
    """The whole demo data set from the articles, rolled up, as `make run` serves it."""
    load_budgets()
    load_users()
    load_recipients()
    rollup_run()
    flags.compute()
