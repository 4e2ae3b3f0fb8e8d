"""pytest fixtures for the fake GitHub: load with `pytest_plugins = ["tests.fakegithub.fixtures"]`.

- `app_key`: an RSA key pair generated once per test run (never written to disk or committed).
- `fake_github`: a started `FakeGitHub` that knows the App (`APP_ID`) and its public key.
- `recorded_sleeps`: the waits the App's client asked for; nothing really sleeps.
- `github_app`: a `reviewbot.github.GitHubApp` pointed at the fake, with writes unpaced.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from reviewbot.sandbox.fake import AppKey, generate_app_key
from tests.fakegithub.server import FakeGitHub

if TYPE_CHECKING:
    from reviewbot.github import GitHubApp

APP_ID = "4242"
INSTALLATION_ID = 1


@pytest.fixture(scope="session")
def app_key() -> AppKey:
    return generate_app_key()


@pytest.fixture
def fake_github(app_key: AppKey) -> Iterator[FakeGitHub]:
    server = FakeGitHub(app_id=APP_ID, public_key=app_key.public_pem).start()
    server.add_installation(INSTALLATION_ID)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def recorded_sleeps() -> list[float]:
    return []


@pytest.fixture
def github_app(fake_github: FakeGitHub, app_key: AppKey, recorded_sleeps: list[float]) -> GitHubApp:
    from reviewbot.github import ClientOptions, GitHubApp

    options = ClientOptions(seconds_between_requests=0, seconds_between_writes=0)
    return GitHubApp(APP_ID, app_key.private_pem, api_url=fake_github.base_url, options=options,
                     sleep=recorded_sleeps.append)
