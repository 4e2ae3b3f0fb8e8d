"""The App's identity: a JWT signed with its private key, exchanged for installation tokens.

PyGithub does the signing (`Auth.AppAuth`, RS256, `iss` = the App ID or client ID) and the
exchange (`Auth.AppInstallationAuth`, which keeps the token until 20 s before it expires). One
`AppInstallationAuth` per installation is kept for the life of the process, so reviews of the
same installation share a token instead of asking for one each.

GitHub Enterprise Server: pass `api_url="https://HOST/api/v3"`; GraphQL is then
`https://HOST/api/graphql`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from github import Auth, Github
from github.Requester import Requester

from reviewbot.github.client import GitHubPullRequestClient
from reviewbot.github.contents import BlobCache
from reviewbot.github.repository import RepositoryGitHubClient
from reviewbot.github.transport import GitHubApiError, GitHubTransport, RetryPolicy

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class ClientOptions:
    """How the App talks to GitHub. Tests set `seconds_between_writes=0`."""

    seconds_between_requests: float = 0.05
    seconds_between_writes: float = 1.0
    timeout: int = 15
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    graphql_batch_size: int = 50
    content_concurrency: int = 4
    blob_cache_bytes: int = 64 * 1024 * 1024
    user_agent: str = "reviewbot"


class GitHubApp:
    def __init__(self, app_id: int | str, private_key: str, *, api_url: str = DEFAULT_API_URL,
                 options: ClientOptions | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.app_id = str(app_id)
        self.api_url = api_url.rstrip("/")
        self.options = options or ClientOptions()
        self._sleep = sleep
        self._app_auth = Auth.AppAuth(self.app_id, private_key)
        self._installations: dict[int, Auth.AppInstallationAuth] = {}
        self._lock = threading.Lock()
        self.blob_cache = BlobCache(self.options.blob_cache_bytes)
        self._bot_login: str | None = None

    def installation_auth(self, installation_id: int) -> Auth.AppInstallationAuth:
        with self._lock:
            auth = self._installations.get(installation_id)
            if auth is None:
                auth = self._app_auth.get_installation_auth(installation_id)
                self._installations[installation_id] = auth
            return auth

    def transport(self, installation_id: int | None) -> GitHubTransport:
        """A transport with its own request counter; as the App itself (JWT) for None."""
        auth = self._app_auth if installation_id is None else self.installation_auth(installation_id)
        return GitHubTransport(self._requester(auth), retry=self.options.retry,
                               seconds_between_writes=self.options.seconds_between_writes, sleep=self._sleep)

    def pull_request_client(self, installation_id: int) -> GitHubPullRequestClient:
        """A client for one review: its `api_calls` counts that review's requests."""
        return GitHubPullRequestClient(self.transport(installation_id), cache=self.blob_cache,
                                       graphql_batch_size=self.options.graphql_batch_size,
                                       content_concurrency=self.options.content_concurrency)

    def repository_client(self, installation_id: int, repository: str) -> RepositoryGitHubClient:
        """The review job's client for one run (a `RepositoryClientFactory`)."""
        return RepositoryGitHubClient(self.pull_request_client(installation_id), repository,
                                      bot_login=self.bot_login())

    __call__ = repository_client

    def bot_login(self) -> str | None:
        """The App's bot account (`<slug>[bot]`), asked once per process. Markers count as ours
        only on comments by this account. None when GitHub does not say."""
        with self._lock:
            if self._bot_login is not None:
                return self._bot_login or None
        try:
            _, data = self.transport(None).get("/app", endpoint="apps.get")
            login = f"{data['slug']}[bot]" if data.get("slug") else ""
        except (GitHubApiError, KeyError, TypeError) as error:
            logger.warning("could not read the App's slug: %s", error)
            return None
        with self._lock:
            self._bot_login = login
        return login or None

    def installation_id(self, repository: str) -> int:
        """The installation that covers `repository` (asked as the App)."""
        _, data = self.transport(None).get(f"/repos/{repository}/installation", endpoint="apps.installation")
        return int(data["id"])

    def _requester(self, auth: Auth.Auth) -> Requester:
        # retry=None: the transport retries reads itself and never retries writes.
        # seconds_between_writes=None: the transport paces writes (PyGithub would also pace
        # GraphQL queries, which are POSTs but not writes).
        github = Github(auth=auth, base_url=self.api_url, per_page=100, retry=None, timeout=self.options.timeout,
                        user_agent=self.options.user_agent, pool_size=self.options.content_concurrency + 2,
                        seconds_between_requests=self.options.seconds_between_requests or None,
                        seconds_between_writes=None)
        return github.requester
