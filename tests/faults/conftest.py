"""Fault tests: a private product stack per session (see stack.py), killed and restarted on
purpose. Marked ``faults``; the figures they measure are printed (``-s``) and in the note."""

import uuid

import pytest

from tests.faults.stack import ROOT, Stack


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults" in str(item.fspath):
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="session")
def stack():
    base = ROOT / "var" / "faults" / uuid.uuid4().hex[:8]
    base.mkdir(parents=True)
    stack = Stack(base)
    try:
        stack.build()
        yield stack
    finally:
        stack.teardown()


@pytest.fixture
def product(stack):
    """The stack with no product process left running by an earlier test."""
    yield stack
    stack.stop_all()
    if stack.redis.process is None or stack.redis.process.poll() is not None:
        stack.redis.start()
