"""Fixtures shared by the whole suite: the fake GitHub server, App keys and a state database."""

import pytest

from tests.state.databases import state_store_for

pytest_plugins = ["tests.fakegithub.fixtures"]


@pytest.fixture
def store(tmp_path):
    """The state database on SQLite in the test's directory (tests/state also runs on PostgreSQL)."""
    with state_store_for("sqlite", tmp_path) as store:
        yield store
