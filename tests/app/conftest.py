from __future__ import annotations

import pytest

from reviewbot.sandbox import LocalApp, load_example

REPO = "acme/shop"


@pytest.fixture(scope="session")
def example():
    return load_example()


@pytest.fixture
def local_app(tmp_path):
    with LocalApp(tmp_path / "data") as app:
        yield app


@pytest.fixture
def paused_app(tmp_path):
    """The App with its worker not started yet: deliveries queue up until `start_worker()`."""
    with LocalApp(tmp_path / "data", start_worker=False) as app:
        yield app
