"""`RepositoryGitHubClient`: the review job's view of GitHub (`reviewbot.jobs.ports.RepositoryClient`)
for one installation and one repository, built on `GitHubPullRequestClient`.

Publishing is: existing markers -> plan -> one review -> one check run -> (optionally) resolve
the threads of fixed findings. A review is posted only when there is something new to say; the
check run is published for every head, since it describes that commit.

Errors GitHub may recover from (5xx, rate limits, dropped connections) leave as
`TransientGitHubError`, which the job retries later; the others as `GitHubApiError`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

from reviewbot.findings import FileError
from reviewbot.github import check_runs
from reviewbot.github.client import GitHubPullRequestClient
from reviewbot.github.contents import BINARY, NOT_FOUND, BlobRequest
from reviewbot.github.transport import GitHubApiError
from reviewbot.jobs.ports import (
    ChangedFile,
    DirectoryFiles,
    PublishedReview,
    PullRequestInfo,
    ReviewToPublish,
    TransientError,
)
from reviewbot.render.markdown import ReviewStats, check_run_summary, config_error_summary, review_summary
from reviewbot.render.review_plan import InlineComment, SummaryItem, SummaryReason, plan_review

logger = logging.getLogger(__name__)

MAX_FETCH_BYTES = 10 * 1024 * 1024  # a larger source file is never analysed: do not download it
CONFIG_ERROR_TITLE = "Invalid reviewbot configuration"

P = ParamSpec("P")
R = TypeVar("R")


class TransientGitHubError(TransientError):
    """A GitHub failure worth retrying later; `retry_after` is GitHub's hint in seconds, if any."""

    def __init__(self, error: GitHubApiError) -> None:
        super().__init__(str(error))
        self.status = error.status
        self.retry_after = error.retry_after


def _port_errors(method: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except GitHubApiError as error:
            if error.is_transient:
                raise TransientGitHubError(error) from error
            raise
    return wrapper


class RepositoryGitHubClient:
    def __init__(self, client: GitHubPullRequestClient, repository: str, *, bot_login: str | None = None,
                 max_fetch_bytes: int = MAX_FETCH_BYTES) -> None:
        self.client = client
        self.repository = repository
        self._bot_login = bot_login
        self._max_fetch_bytes = max_fetch_bytes
        self._blob_shas: dict[str, str] = {}
        self._fetch_errors: dict[str, FileError] = {}

    @property
    def api_calls(self) -> int:
        return self.client.api_calls.total

    @_port_errors
    def collaborator_permission(self, login: str) -> str:
        return self.client.collaborator_permission(self.repository, login)

    @_port_errors
    def add_reaction(self, comment_id: int, content: str) -> None:
        self.client.add_reaction(self.repository, comment_id, content)

    @_port_errors
    def pull_request(self, number: int) -> PullRequestInfo:
        pull = self.client.pull_request(self.repository, number)
        return PullRequestInfo(number=pull.number, head_sha=pull.head_sha, base_sha=pull.base_sha, draft=pull.draft,
                               state=pull.state)

    @_port_errors
    def changed_files(self, number: int) -> Sequence[ChangedFile]:
        files = self.client.changed_files(self.repository, number)
        self._blob_shas = {f.path: f.blob_sha for f in files if f.blob_sha and f.status != "removed"}
        return [ChangedFile(path=f.path, status=f.status, patch=f.patch, previous_path=f.previous_path) for f in files]

    @_port_errors
    def file_contents(self, paths: Sequence[str], ref: str) -> Mapping[str, bytes]:
        """Contents at `ref`. A path missing there is left out; a binary or oversized file is
        left out too and reported in the review summary as not analysed."""
        wanted = [BlobRequest(path, self._blob_shas.get(path)) for path in paths]
        fetched = self.client.file_contents(self.repository, ref, wanted, max_bytes=self._max_fetch_bytes)
        for path, reason in fetched.skipped.items():
            if reason == NOT_FOUND:
                continue
            message = "binary file; not analysed" if reason == BINARY else f"{reason}; not analysed"
            self._fetch_errors[path] = FileError(path=path, kind="skipped", message=message)
        return fetched.files

    @_port_errors
    def config_files(self, ref: str) -> Mapping[str, bytes]:
        return self.client.config_files(self.repository, ref)

    @_port_errors
    def model_sources(self, ref: str, exclude: Sequence[str]) -> Mapping[str, bytes]:
        return self.client.model_sources(self.repository, ref, exclude=frozenset(exclude))

    @_port_errors
    def rule_card_files(self, ref: str, directory: str) -> DirectoryFiles:
        fetched = self.client.directory_files(self.repository, ref, directory, suffix=".md")
        return DirectoryFiles(files=fetched.files,
                              skipped={path: why for path, why in fetched.skipped.items() if why != NOT_FOUND})

    @_port_errors
    def publish_review(self, review: ReviewToPublish) -> PublishedReview:
        repo, client, app = self.repository, self.client, review.config.app
        markers = client.existing_markers(repo, review.number, bot_login=self._bot_login)
        plan = plan_review(review.findings, review.diffs, max_inline=app.max_inline_comments,
                           posted=markers.fingerprints)
        errors = self._errors(review.file_errors)
        stats = ReviewStats(head_sha=review.head_sha, files_reviewed=len(review.diffs),
                            already_posted=len(plan.already_posted), max_inline=app.max_inline_comments,
                            notes=tuple(review.notes))
        details: dict[str, Any] = {}
        review_id: int | None = None
        inline = rejected = 0
        if plan.has_new_findings:
            def rebuild(refused: Sequence[InlineComment]) -> str:
                kept = [c.finding for c in plan.inline if c not in refused]
                moved = [SummaryItem(c.finding, SummaryReason.REJECTED) for c in refused]
                return review_summary(kept, [*plan.in_summary, *moved], errors, stats)

            body = review_summary(plan.inline_findings, plan.in_summary, errors, stats)
            posted = client.post_review(repo, review.number, review.head_sha, body, plan.inline, app.review_event,
                                        rebuild_body=rebuild)
            review_id, inline, rejected = posted.review_id, len(posted.inline), len(posted.rejected)
            details.update(review_url=posted.html_url, rejected_anchors=rejected, recovered_review=posted.recovered)

        check_run_id = self._publish_check_run(review, errors, details)

        if app.resolve_fixed and markers.threads:
            failed = {e.path for e in errors}
            outcome = client.resolve_fixed_threads(
                review.head_sha, {f.fingerprint for f in review.findings}, markers,
                analysed_paths={path for path in review.diffs if path not in failed})
            details.update(resolved_threads=len(outcome.resolved), threads_kept_open=outcome.kept_with_replies)
            if outcome.errors:
                details["resolve_errors"] = list(outcome.errors)
        details["api_calls_by_endpoint"] = client.api_calls.snapshot()
        return PublishedReview(review_id=review_id, check_run_id=check_run_id, inline_comments=inline,
                               summary_findings=len(plan.in_summary) + rejected,
                               already_posted=len(plan.already_posted), details=details)

    @_port_errors
    def publish_config_error(self, head_sha: str, message: str) -> None:
        self.client.publish_check_run(self.repository, head_sha, conclusion="failure", title=CONFIG_ERROR_TITLE,
                                      summary=config_error_summary(message))

    def _publish_check_run(self, review: ReviewToPublish, errors: Sequence[FileError],
                           details: dict[str, Any]) -> int | None:
        """The check run describes the commit. A check run GitHub refuses for good (the App lacks
        checks:write) does not undo the review: it is noted in `details`."""
        findings = review.findings
        try:
            return self.client.publish_check_run(
                self.repository, review.head_sha,
                conclusion=check_runs.check_conclusion(findings, review.config.app.check_fail_on),
                title=check_runs.check_title(findings), summary=check_run_summary(findings, errors, review.head_sha),
                annotations=check_runs.annotations_for(findings))
        except GitHubApiError as error:
            if error.is_transient:
                raise
            logger.warning("%s: check run not published: %s", self.repository, error)
            details["check_run_error"] = str(error)
            return None

    def _errors(self, file_errors: Sequence[FileError]) -> list[FileError]:
        errors = {error.path: error for error in file_errors}
        for path, error in self._fetch_errors.items():
            errors.setdefault(path, error)
        return list(errors.values())
