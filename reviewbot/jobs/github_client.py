"""The worker's GitHub client factory, built from the settings: the App (JWT + installation
tokens) from `reviewbot.github`, which implements `RepositoryClientFactory`."""

from __future__ import annotations

from reviewbot.github import ClientOptions, GitHubApp
from reviewbot.jobs.ports import RepositoryClientFactory
from reviewbot.settings import Settings


def github_client_factory(settings: Settings, options: ClientOptions | None = None) -> RepositoryClientFactory:
    """One GitHubApp per process: installation tokens and the blob cache are shared by its runs."""
    return GitHubApp(settings.app_id, settings.private_key_pem(), api_url=settings.api_url, options=options)
