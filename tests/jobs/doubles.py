"""An in-memory RepositoryClient: the job's view of GitHub, without HTTP, for the job's logic.
(The end-to-end tests in tests/app run the real adapter against the fake GitHub server.)"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from reviewbot.jobs.ports import (
    ChangedFile,
    DirectoryFiles,
    PublishedReview,
    PullRequestInfo,
    ReviewToPublish,
)

HEAD = "a" * 40
HEAD_2 = "b" * 40
BASE = "c" * 40

CLIENT_PY = b"import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"


def added_patch(source: bytes) -> str:
    lines = source.decode().splitlines()
    return f"@@ -0,0 +1,{len(lines)} @@\n" + "".join(f"+{line}\n" for line in lines)


@dataclass
class InMemoryRepository:
    head_sha: str = HEAD
    draft: bool = False
    state: str = "open"
    files: dict[str, bytes] = field(default_factory=lambda: {"app/client.py": CLIENT_PY})
    changed: list[ChangedFile] = field(default_factory=lambda: [
        ChangedFile("app/client.py", "added", added_patch(CLIENT_PY))])
    config: dict[str, bytes] = field(default_factory=dict)
    models: dict[str, bytes] = field(default_factory=dict)
    base_files: dict[str, bytes] = field(default_factory=dict)  # the base commit's files (rule cards)
    card_failures: list[Exception] = field(default_factory=list)
    permissions: dict[str, str] = field(default_factory=dict)
    publish_failures: list[Exception] = field(default_factory=list)
    fetch_failures: list[Exception] = field(default_factory=list)
    on_changed_files: Callable[[], None] | None = None

    calls: int = 0
    reviews: list[ReviewToPublish] = field(default_factory=list)
    reactions: list[tuple[int, str]] = field(default_factory=list)
    config_errors: list[tuple[str, str]] = field(default_factory=list)
    fetched_paths: list[str] = field(default_factory=list)
    card_reads: list[tuple[str, str]] = field(default_factory=list)

    @property
    def api_calls(self) -> int:
        return self.calls

    def collaborator_permission(self, login: str) -> str:
        self.calls += 1
        return self.permissions.get(login, "read")

    def add_reaction(self, comment_id: int, content: str) -> None:
        self.calls += 1
        self.reactions.append((comment_id, content))

    def pull_request(self, number: int) -> PullRequestInfo:
        self.calls += 1
        if self.fetch_failures:
            raise self.fetch_failures.pop(0)
        return PullRequestInfo(number=number, head_sha=self.head_sha, base_sha=BASE, draft=self.draft,
                               state=self.state)

    def changed_files(self, number: int) -> Sequence[ChangedFile]:
        self.calls += 1
        if self.on_changed_files is not None:
            self.on_changed_files()
        return list(self.changed)

    def file_contents(self, paths: Sequence[str], ref: str) -> Mapping[str, bytes]:
        self.calls += len(paths)
        self.fetched_paths.extend(paths)
        return {path: self.files[path] for path in paths if path in self.files}

    def config_files(self, ref: str) -> Mapping[str, bytes]:
        self.calls += 1
        return dict(self.config)

    def model_sources(self, ref: str, exclude: Sequence[str]) -> Mapping[str, bytes]:
        self.calls += 1
        return {path: data for path, data in self.models.items() if path not in exclude}

    def rule_card_files(self, ref: str, directory: str) -> DirectoryFiles:
        self.calls += 2
        self.card_reads.append((ref, directory))
        if self.card_failures:
            raise self.card_failures.pop(0)
        files = self.base_files if ref == BASE else self.files
        prefix = directory.rstrip("/") + "/"
        return DirectoryFiles({path: data for path, data in files.items()
                               if path.startswith(prefix) and "/" not in path[len(prefix):] and path.endswith(".md")})

    def publish_review(self, review: ReviewToPublish) -> PublishedReview:
        self.calls += 2
        if self.publish_failures:
            raise self.publish_failures.pop(0)
        self.reviews.append(review)
        return PublishedReview(review_id=len(self.reviews), check_run_id=100 + len(self.reviews),
                               inline_comments=len(review.findings))

    def publish_config_error(self, head_sha: str, message: str) -> None:
        self.calls += 1
        self.config_errors.append((head_sha, message))


class ClientFactory:
    def __init__(self, repository: InMemoryRepository) -> None:
        self.repository = repository
        self.opened: list[tuple[int, str]] = []

    def __call__(self, installation_id: int, repository: str) -> InMemoryRepository:
        self.opened.append((installation_id, repository))
        return self.repository
