"""The review job: one attempt at one run, fetch -> analyze -> explain -> publish.

Called by the queue with a run id. Between stages it renews the pull request's lock and stops
if a newer head SHA superseded the run, so a superseded run never posts. Findings are saved in
the run record as soon as the analysis ends, so a failure to publish never loses them.

Repository configuration errors fail the run (no review with the defaults instead): a config
that ignores a rule was written to silence it, and reviewing with the defaults would post exactly
the comments it asked us not to. The author sees the error in a failed check run.

Explanations are optional and never cost the review: when the explainer fails, or a rule card of
the repository cannot be read or parsed, the review goes out with a note in its summary, and the
run record keeps what the explanation step did (`explanation_stats`). A repository's rule cards
(`[tool.reviewbot.llm] rule-cards-dir`) are read at the pull request's BASE commit, never its head:
they ground what the model writes, and a pull request must not be able to rewrite the text its
own review is grounded in. Cards a pull request adds or edits apply once it is merged. (Where the
cards live and whether they extend or replace ours is configuration, read at the head like every
other setting; only the text the model is grounded in is pinned to the base.)
"""

from __future__ import annotations

import logging
import posixpath
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from reviewbot.analysis import analyze
from reviewbot.config import Config, ConfigError
from reviewbot.diff import FileDiff, file_diff_from_patch
from reviewbot.findings import Finding
from reviewbot.jobs.errors import describe, is_transient
from reviewbot.jobs.ports import (
    WRITE_PERMISSIONS,
    ChangedFile,
    ExplainedFindings,
    FindingExplainer,
    RepositoryClient,
    RepositoryClientFactory,
    ReviewToPublish,
)
from reviewbot.jobs.repo_config import config_from_files
from reviewbot.state.records import HeadClaim, RunRecord, RunStatus
from reviewbot.state.store import StateStore

logger = logging.getLogger(__name__)

REACTION = "eyes"
DIFF_FILTER = "added"
EXPLANATIONS_UNAVAILABLE = "Explanations are unavailable for this review."
MAX_TAKEOVERS = 5  # runs one queue message follows at once before it waits and tries again


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for transient failures: base, 2*base, 4*base... capped."""

    max_attempts: int = 5
    base_delay: float = 10.0
    max_delay: float = 1800.0
    lock_wait: float = 2.0  # when another run of the same PR holds its lock

    def delay_after(self, attempt: int) -> float:
        return min(self.base_delay * 2 ** max(attempt - 1, 0), self.max_delay)


class Superseded(Exception):
    """A newer head SHA took over this run's pull request."""


@dataclass(frozen=True)
class Ending:
    status: RunStatus
    detail: str


@dataclass
class StageTimer:
    clock: Callable[[], float] = time.perf_counter
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = self.clock()
        try:
            yield
        finally:
            self.timings[name] = round(self.clock() - start, 4)


class ReviewJob:
    def __init__(self, store: StateStore, github: RepositoryClientFactory, *,
                 explain: FindingExplainer | None = None, retry: RetryPolicy | None = None) -> None:
        self._store = store
        self._github = github
        self._explain = explain
        self._retry = retry or RetryPolicy()

    def __call__(self, run_id: int) -> float | None:
        """Handle the queue message of `run_id`: one attempt at the run it stands for now, which is
        the newest run of the pull request when newer pushes superseded `run_id` before it
        started (`StateStore.current_run`). Returns the delay in seconds after which the message
        must be queued again (a transient failure, or the PR's lock is busy), or None when it is
        done."""
        for _ in range(MAX_TAKEOVERS):
            run = self._store.current_run(run_id)
            if run is None:
                logger.warning("run %s: no such run; nothing to do", run_id)
                return None
            if run.status is not RunStatus.QUEUED:
                # Another message started it, or it ended: a spare message.
                logger.debug("run %s is %s; nothing to do", run.id, run.status)
                return None
            if not self._store.acquire_lock(run):
                logger.info("run %s: another run of %s#%s is in progress", run.id, run.repository, run.number)
                return self._retry.lock_wait
            try:
                started = self._store.start_attempt(run.id)
                if started is not None:
                    return self._attempt(started)
            finally:
                self._store.release_lock(run)
            # A newer push superseded the run between the two reads: follow it.
        return self._retry.lock_wait

    def _attempt(self, run: RunRecord) -> float | None:
        timer = StageTimer()
        client: RepositoryClient | None = None
        try:
            with timer.stage("total"):
                client = self._github(run.installation_id, run.repository)
                ending = self._review(run, client, timer)
        except Superseded as stop:
            ending = Ending(RunStatus.SUPERSEDED, str(stop))
        except ConfigError as error:
            ending = Ending(RunStatus.FAILED, f"invalid configuration: {error}")
            self._record(run, timer, client)
            self._report_config_error(run, client, str(error))
            self._store.finish(run.id, ending.status, ending.detail, error=ending.detail)
            return None
        except Exception as error:  # every failure ends in the run record, never in a lost job
            self._record(run, timer, client)
            return self._fail(run, error)
        self._record(run, timer, client)
        self._store.finish(run.id, ending.status, ending.detail)
        logger.info("run %s (%s#%s): %s %s", run.id, run.repository, run.number, ending.status, ending.detail)
        return None

    def _review(self, run: RunRecord, client: RepositoryClient, timer: StageTimer) -> Ending:
        if run.is_command:
            with timer.stage("authorize"):
                permission = client.collaborator_permission(run.requested_by)
                if permission not in WRITE_PERMISSIONS:
                    return Ending(RunStatus.SKIPPED,
                                  f"@{run.requested_by} has {permission} access; /perfcheck needs write access")
                if run.comment_id is not None:
                    client.add_reaction(run.comment_id, REACTION)
            self._checkpoint(run)

        with timer.stage("fetch"):
            pull = client.pull_request(run.number)
            head = pull.head_sha
            if run.is_command:
                claim = self._store.claim_head(run.id, head)
                if claim is HeadClaim.DUPLICATE:
                    return Ending(RunStatus.SKIPPED, f"a review of {head[:7]} is already queued")
                if claim is HeadClaim.SUPERSEDED:
                    raise Superseded(self._superseded_detail(run))
            elif head != run.head_sha:
                raise Superseded(f"the pull request's head moved to {head[:7]}")
            if pull.state != "open":
                return Ending(RunStatus.SKIPPED, "the pull request is closed")
            config = config_from_files(client.config_files(head))
            if pull.draft and not config.app.review_drafts and not run.is_command:
                return Ending(RunStatus.SKIPPED, "draft pull request (set app.review-drafts = true to review drafts)")
            diffs = reviewable_diffs(client.changed_files(run.number), config)
            sources = dict(client.file_contents(sorted(diffs), head))
            models = client.model_sources(head, sorted(sources))
        self._checkpoint(run)

        with timer.stage("analyze"):
            result = analyze(sources, {path: diffs[path] for path in sources}, config,
                             diff_filter=DIFF_FILTER, model_sources=models)
            findings: Sequence[Finding] = result.findings
            self._store.save_progress(run.id, findings=[f.to_dict() for f in findings],
                                      file_errors=[e.to_dict() for e in result.errors])

        notes: list[str] = []
        if self._explain is not None and config.llm.enabled and findings:
            self._checkpoint(run)
            with timer.stage("explain"):
                findings, explain_notes = self._explained(run, client, pull.base_sha, findings, sources, models,
                                                          config)
                notes.extend(explain_notes)

        self._checkpoint(run)
        with timer.stage("publish"):
            published = client.publish_review(ReviewToPublish(
                number=run.number, head_sha=head, findings=findings, diffs=diffs, config=config,
                file_errors=result.errors, notes=notes, run_id=str(run.id),
            ))
        self._store.save_progress(run.id, publication={
            "review_id": published.review_id, "check_run_id": published.check_run_id,
            "inline_comments": published.inline_comments, "summary_findings": published.summary_findings,
            "already_posted": published.already_posted, "details": dict(published.details),
        })
        return Ending(RunStatus.SUCCEEDED,
                      f"{len(findings)} finding(s) on {head[:7]}: {published.inline_comments} inline, "
                      f"{published.summary_findings} in the summary, {published.already_posted} already posted")

    def _explained(self, run: RunRecord, client: RepositoryClient, base_sha: str, findings: Sequence[Finding],
                   sources: Mapping[str, bytes], models: Mapping[str, bytes],
                   config: Config) -> tuple[Sequence[Finding], list[str]]:
        """Explanations are optional: when the explainer fails, the review goes out without them.
        Whatever happens, the run record says what the explanation step did."""
        assert self._explain is not None
        team_cards, card_stats, notes = self._team_cards(client, base_sha, config)
        try:
            outcome: ExplainedFindings = self._explain(findings, sources, config, team_cards=team_cards,
                                                       model_sources=models)
        except Exception as error:
            logger.warning("run %s: explanations failed: %s", run.id, describe(error))
            self._store.save_progress(run.id, explanation_stats={**card_stats, "error": describe(error)})
            return findings, [*notes, EXPLANATIONS_UNAVAILABLE]
        stats = {**card_stats, **dict(outcome.stats)}
        stats["rule_card_errors"] = [*card_stats.get("rule_card_errors", []),
                                     *outcome.stats.get("rule_card_errors", [])]
        notes.extend(outcome.notes)
        explained = list(outcome.findings)
        if not only_text_added(findings, explained):
            logger.warning("run %s: the explainer changed the findings; ignoring its output", run.id)
            stats["error"] = "the explainer changed the findings; its output was ignored"
            self._store.save_progress(run.id, explanation_stats=stats)
            return findings, [*notes, EXPLANATIONS_UNAVAILABLE]
        self._store.save_progress(run.id, findings=[f.to_dict() for f in explained], explanation_stats=stats)
        return explained, notes

    def _team_cards(self, client: RepositoryClient, base_sha: str,
                    config: Config) -> tuple[dict[str, bytes] | None, dict[str, object], list[str]]:
        """The repository's rule cards at the base commit, what to record about them, and the
        notes for the summary. Reading them never fails the review: an error is noted and the
        explanations use our cards."""
        setting = config.llm.rule_cards_dir
        if not setting:
            return None, {}, []
        directory = repository_directory(setting)
        where = f"`{setting}` at the base commit {base_sha[:7]}"
        stats: dict[str, object] = {"rule_cards_dir": setting, "rule_cards_ref": base_sha}
        if directory is None:
            error = f"rule-cards-dir {setting!r} is not a directory inside the repository"
            return None, {**stats, "rule_card_errors": [error]}, [
                f"Rule cards were not read: {error}; explanations use the built-in cards."]
        try:
            fetched = client.rule_card_files(base_sha, directory)
        except Exception as error:  # an optional input: a GitHub failure here must not cost the review
            message = f"{directory}: cannot read the rule cards: {describe(error)}"
            return None, {**stats, "rule_card_errors": [message]}, [
                f"Rule cards in {where} could not be read; explanations use the built-in cards."]
        errors = [f"{path}: not read ({why})" for path, why in sorted(fetched.skipped.items())]
        notes = [f"A rule card of this repository was not used: {error}" for error in errors]
        if not fetched.files and not errors:
            notes.append(f"No rule cards (`*.md`) found in {where}; explanations use the built-in cards. "
                         "Cards are read from the base branch, so cards this pull request adds apply once it "
                         "is merged.")
        return dict(fetched.files), {**stats, "rule_card_errors": errors}, notes

    def _checkpoint(self, run: RunRecord) -> None:
        self._store.renew_lock(run)
        if self._store.superseding_run(run.id) is not None:
            raise Superseded(self._superseded_detail(run))

    def _superseded_detail(self, run: RunRecord) -> str:
        return f"superseded by run {self._store.superseding_run(run.id)}"

    def _record(self, run: RunRecord, timer: StageTimer, client: RepositoryClient | None) -> None:
        self._store.save_progress(run.id, timings=timer.timings,
                                  api_calls=client.api_calls if client is not None else 0)

    def _fail(self, run: RunRecord, error: Exception) -> float | None:
        message = f"attempt {run.attempts}: {describe(error)}"
        if is_transient(error) and run.attempts < self._retry.max_attempts:
            # GitHub's own hint (Retry-After, a rate limit's reset) wins when it asks for longer.
            hint = getattr(error, "retry_after", None)
            delay = max(self._retry.delay_after(run.attempts), float(hint) if hint else 0.0)
            logger.warning("run %s: %s; retrying in %.0f s", run.id, message, delay)
            self._store.requeue(run.id, delay, error=message)
            return delay
        logger.error("run %s failed: %s", run.id, message)
        self._store.finish(run.id, RunStatus.FAILED, describe(error), error=message)
        return None

    def _report_config_error(self, run: RunRecord, client: RepositoryClient | None, message: str) -> None:
        head = self._store.get_run(run.id)
        sha = head.head_sha if head is not None else run.head_sha
        if client is None or sha is None:
            return
        try:
            client.publish_config_error(sha, message)
        except Exception as error:
            logger.warning("run %s: could not report the configuration error: %s", run.id, describe(error))


def only_text_added(findings: Sequence[Finding], explained: Sequence[Finding]) -> bool:
    """Whether `explained` are `findings`, in order, with nothing changed but `explanation` and
    `suggestion`: the explainer may not add, drop, move or re-grade a finding."""
    return len(findings) == len(explained) and all(
        isinstance(after, Finding) and replace(after, explanation=None, suggestion=None) ==
        replace(before, explanation=None, suggestion=None)
        for before, after in zip(findings, explained, strict=True))


def repository_directory(setting: str) -> str | None:
    """`rule-cards-dir` as a path inside the repository (`./x/` -> `x`), or None when it leaves
    the repository (absolute, `..`) or names its root."""
    path = setting.strip().replace("\\", "/")
    if not path or path.startswith("/"):
        return None
    normal = posixpath.normpath(path)
    if normal in (".", "") or normal == ".." or normal.startswith("../"):
        return None
    return normal


def is_reviewable(changed: ChangedFile, config: Config) -> bool:
    """Python files the change adds lines to. A file without a patch has no commentable line
    and, with the `added` filter, no finding to report, so it is not fetched at all."""
    return (changed.path.endswith(".py") and changed.status != "removed" and bool(changed.patch)
            and not config.is_excluded(changed.path))


def reviewable_diffs(files: Sequence[ChangedFile], config: Config) -> dict[str, FileDiff]:
    return {
        changed.path: file_diff_from_patch(changed.path, changed.patch, changed.status, changed.previous_path)
        for changed in files if is_reviewable(changed, config)
    }
