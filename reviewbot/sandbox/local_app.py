"""The whole GitHub App on 127.0.0.1 against the fake GitHub: what `reviewbot serve` runs (web
server, embedded queue, in-process worker), with settings pointing GITHUB_API_URL at the fake."""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reviewbot.app.runtime import Runtime, build_runtime
from reviewbot.app.server import ServerThread
from reviewbot.github import ClientOptions
from reviewbot.jobs.github_client import github_client_factory
from reviewbot.sandbox.example import ExamplePullRequest
from reviewbot.sandbox.fake import generate_app_key, load_fake_github
from reviewbot.settings import Settings
from reviewbot.state.records import RunRecord
from reviewbot.state.store import StateStore
from reviewbot.webhooks.signature import sign

APP_ID = "4242"
INSTALLATION_ID = 1
UNPACED = ClientOptions(seconds_between_requests=0, seconds_between_writes=0)


class LocalApp:
    """Start with `with LocalApp(tmp_dir) as app:`; `app.github` is the fake GitHub (arrange
    repositories and pull requests on it, read what the App posted), `app.send(...)` delivers a
    signed webhook, `app.wait_for_runs(n)` waits until the worker has finished them.

    `explain_environ` holds the explanation settings (`OPENAI_API_KEY`, `OPENAI_BASE_URL`,
    `REVIEWBOT_LLM_MODEL`, ...) as `reviewbot serve` reads them from its environment; without
    it, reviews carry no explanations."""

    def __init__(self, data_dir: Path, *, workers: int = 2, start_worker: bool = True, max_attempts: int = 3,
                 retry_delay: float = 0.0, github_options: ClientOptions = UNPACED, api_prefix: str = "",
                 queue_url: str | None = None, database_url: str | None = None,
                 explain_environ: Mapping[str, str] | None = None) -> None:
        fake_github = load_fake_github()
        key = generate_app_key()
        self.secret = secrets.token_hex(16)
        self.github = fake_github(app_id=APP_ID, public_key=key.public_pem, prefix=api_prefix).start()
        self.github.add_installation(INSTALLATION_ID)
        self.settings = Settings(  # every field given: nothing leaks in from the environment
            app_id=APP_ID, private_key=key.private_pem, private_key_path=None, webhook_secret=self.secret,
            api_url=self.github.base_url, data_dir=data_dir, database_url_setting=database_url,
            queue_url_setting=queue_url, workers=workers, max_attempts=max_attempts, retry_delay=retry_delay,
            _env_file=None,
        )
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.runtime: Runtime = build_runtime(self.settings, worker=True,
                                                  github=github_client_factory(self.settings, github_options),
                                                  explain_environ=explain_environ)
        except BaseException:  # e.g. a malformed explanation setting: leave no server running
            self.github.stop()
            raise
        self.server = ServerThread(self.runtime.web_app())
        self.consumer = self.runtime.consumer(embedded=True)
        self._start_worker = start_worker
        self._worker_started = False

    # ------------------------------------------------------------ lifecycle

    def start(self) -> LocalApp:
        self.server.start()
        if self._start_worker:
            self.start_worker()
        return self

    def start_worker(self) -> None:
        if not self._worker_started:
            self.runtime.recover_orphans()
            self.consumer.start()
            self._worker_started = True

    def stop(self) -> None:
        if self._worker_started:
            self.consumer.stop(graceful=True)
        self.server.stop()
        self.github.stop()
        self.runtime.close()

    def __enter__(self) -> LocalApp:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def store(self) -> StateStore:
        return self.runtime.store

    # ------------------------------------------------------------ arranging

    def add_example(self, example: ExamplePullRequest, repository: str = "acme/shop", number: int = 1) -> Any:
        """The example as pull request `number` of `repository` on the fake GitHub."""
        repo = self.github.repos.get(repository) or self.github.add_repo(repository, INSTALLATION_ID)
        return repo.add_pull(number, example.base, example.head, title=example.title)

    # ------------------------------------------------------------ webhooks

    def send(self, event: str, payload: dict[str, Any], *, delivery: str | None = None,
             secret: str | None = None, signed: bool = True) -> tuple[int, dict[str, Any]]:
        """POST a webhook as GitHub does; returns the status and the JSON answer."""
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/sandbox",
                   "X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4())}
        if signed:
            headers["X-Hub-Signature-256"] = sign(body, secret or self.secret)
        return post_json(self.url + "/webhook", body, headers)

    def pull_request_payload(self, repository: str, number: int, action: str = "opened") -> dict[str, Any]:
        """A `pull_request` payload for the fake's current state of the pull request."""
        pull = self.github.repos[repository].pulls[number]
        return {
            "action": action, "number": number,
            "pull_request": {"number": number, "state": pull.state, "draft": pull.draft, "title": pull.title,
                             "head": {"sha": pull.head_sha, "repo": {"full_name": repository}},
                             "base": {"sha": pull.base_sha, "repo": {"full_name": repository}}},
            "repository": {"full_name": repository, "name": repository.split("/")[1],
                           "owner": {"login": repository.split("/")[0]}},
            "installation": {"id": INSTALLATION_ID},
            "sender": {"login": "alice", "type": "User"},
        }

    def comment_payload(self, repository: str, number: int, body: str, login: str,
                        user_type: str = "User") -> dict[str, Any]:
        """An `issue_comment` payload for a comment that now exists on the fake GitHub."""
        comment = self.github.add_issue_comment(self.github.repos[repository], number, body, login=login)
        return {
            "action": "created",
            "issue": {"number": number, "pull_request": {"url": self.github.url(f"/repos/{repository}/pulls/{number}")}},
            "comment": {"id": comment["id"], "body": body, "user": {"login": login, "type": user_type}},
            "repository": {"full_name": repository, "name": repository.split("/")[1],
                           "owner": {"login": repository.split("/")[0]}},
            "installation": {"id": INSTALLATION_ID},
            "sender": {"login": login, "type": user_type},
        }

    # ------------------------------------------------------------ waiting

    def wait_for_runs(self, count: int, timeout: float = 60.0) -> list[RunRecord]:
        """Wait until at least `count` runs exist and every run has ended; return them all."""
        deadline = time.monotonic() + timeout
        while True:
            runs = self.store.all_runs()
            if len(runs) >= count and all(run.status.is_final for run in runs):
                return runs
            if time.monotonic() > deadline:
                states = ", ".join(f"run {run.id}: {run.status}" for run in runs) or "no runs"
                raise TimeoutError(f"the worker did not finish {count} run(s) within {timeout:.0f} s ({states})")
            time.sleep(0.02)


def post_json(url: str, body: bytes, headers: dict[str, str], timeout: float = 30.0) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def get_json(url: str, timeout: float = 10.0) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
