"""What the review job needs from GitHub and from the optional explainer, as Protocols.

The job is written against these, so it runs the same with the PyGithub adapter
(`reviewbot.github`), with the fake GitHub server in the tests, or with an in-memory double.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from reviewbot.config import Config
from reviewbot.diff import FileDiff
from reviewbot.findings import FileError, Finding

WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})


class TransientError(Exception):
    """A failure worth retrying later: GitHub 5xx, a rate limit, a dropped connection."""


@dataclass(frozen=True, slots=True)
class PullRequestInfo:
    number: int
    head_sha: str
    base_sha: str
    draft: bool
    state: str  # "open" or "closed"


@dataclass(frozen=True, slots=True)
class ChangedFile:
    """One entry of the pull request's file list. `patch` is None when GitHub sends none
    (binary files, very large diffs): such a file has no line GitHub accepts comments on."""

    path: str
    status: str  # added, modified, removed, renamed, copied, changed, unchanged
    patch: str | None
    previous_path: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewToPublish:
    """Everything the publisher needs to post one review and one check run for `head_sha`."""

    number: int
    head_sha: str
    findings: Sequence[Finding]
    diffs: Mapping[str, FileDiff]
    config: Config
    file_errors: Sequence[FileError] = ()
    notes: Sequence[str] = ()  # shown in the summary (e.g. files not analysed)
    run_id: str = ""  # names the run in the review's marker: a retry finds the review it already posted


@dataclass(frozen=True, slots=True)
class PublishedReview:
    review_id: int | None
    check_run_id: int | None
    inline_comments: int = 0
    summary_findings: int = 0  # findings shown in the summary only (no commentable line, over the cap, 422 fallback)
    already_posted: int = 0  # findings a previous review of this PR already commented on
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DirectoryFiles:
    """The files of one directory at a commit: `files` maps path to bytes, `skipped` maps each
    file that was not read to why (binary, too large, too many files)."""

    files: Mapping[str, bytes] = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)


class RepositoryClient(Protocol):
    """GitHub as seen from one installation and one repository."""

    @property
    def api_calls(self) -> int:
        """GitHub API requests made through this client so far."""
        ...

    def collaborator_permission(self, login: str) -> str:
        """'admin', 'maintain', 'write', 'triage', 'read' or 'none'."""
        ...

    def add_reaction(self, comment_id: int, content: str) -> None: ...

    def pull_request(self, number: int) -> PullRequestInfo: ...

    def changed_files(self, number: int) -> Sequence[ChangedFile]: ...

    def file_contents(self, paths: Sequence[str], ref: str) -> Mapping[str, bytes]:
        """Contents at `ref`; a path that does not exist there is left out."""
        ...

    def config_files(self, ref: str) -> Mapping[str, bytes]:
        """`.reviewbot.toml` and `pyproject.toml` at `ref`, those that exist."""
        ...

    def model_sources(self, ref: str, exclude: Sequence[str]) -> Mapping[str, bytes]:
        """The repository's ORM model modules (not in `exclude`), so relations resolve."""
        ...

    def rule_card_files(self, ref: str, directory: str) -> DirectoryFiles:
        """The `*.md` files directly in `directory` at `ref`; none when it does not exist there."""
        ...

    def publish_review(self, review: ReviewToPublish) -> PublishedReview:
        """Post one review with inline comments and one check run; never a duplicate."""
        ...

    def publish_config_error(self, head_sha: str, message: str) -> None:
        """Tell the author that the repository's reviewbot configuration is invalid."""
        ...


class RepositoryClientFactory(Protocol):
    def __call__(self, installation_id: int, repository: str) -> RepositoryClient: ...


@dataclass(frozen=True, slots=True)
class ExplainedFindings:
    """What the explainer gives back for one review. `findings` are the findings it was given,
    in the same order, with at most `explanation` and `suggestion` filled in; `stats` go into the
    run record (tokens in and out, cache hits, model calls, rule card errors); `notes` into the
    review summary."""

    findings: Sequence[Finding]
    stats: Mapping[str, Any] = field(default_factory=dict)
    notes: Sequence[str] = ()


class FindingExplainer(Protocol):
    """The seam for explanations between analysis and publishing. It is shared by every run and
    worker thread, so whatever belongs to one run comes in as an argument and goes out in the
    result. `team_cards` are the repository's own rule cards (`{path: bytes}`, read from the base
    commit); `model_sources` the ORM model modules the analysis saw."""

    def __call__(self, findings: Sequence[Finding], sources: Mapping[str, bytes], config: Config, *,
                 team_cards: Mapping[str, bytes] | None = None,
                 model_sources: Mapping[str, bytes] | None = None) -> ExplainedFindings: ...
