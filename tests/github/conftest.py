from __future__ import annotations

import pytest

from reviewbot.github import GitHubApp


@pytest.fixture
def client(github_app: GitHubApp):
    """The App's client for installation 1 of the fake GitHub."""
    return github_app.pull_request_client(1)
