"""The review job's logic against an in-memory GitHub: stages, supersede, locks, retries, records."""

from __future__ import annotations

import pytest
from github import GithubException

from reviewbot.findings import Finding
from reviewbot.jobs.ports import TransientError
from reviewbot.jobs.review import RetryPolicy, ReviewJob
from reviewbot.state.records import RunRequest, RunStatus
from reviewbot.state.store import StateStore
from tests.jobs.doubles import HEAD, HEAD_2, ClientFactory, InMemoryRepository, added_patch


@pytest.fixture
def store(tmp_path):
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    yield store
    store.close()


@pytest.fixture
def github():
    return InMemoryRepository()


def make_job(store, github, **kwargs):
    kwargs.setdefault("retry", RetryPolicy(max_attempts=3, base_delay=10, max_delay=60))
    return ReviewJob(store, ClientFactory(github), **kwargs)


def queue_pr(store, head=HEAD, delivery="d-1", trigger="opened", draft=False):
    request = RunRequest(42, "acme/shop", 7, head, trigger, "alice", draft=draft)
    return store.record_delivery(delivery, "pull_request", trigger, request).run_id


def queue_command(store, login="bob", delivery="d-c"):
    request = RunRequest(42, "acme/shop", 7, None, "command", login, comment_id=555)
    return store.record_delivery(delivery, "issue_comment", "created", request).run_id


def test_a_run_posts_one_review_and_records_everything(store, github):
    run_id = queue_pr(store)
    assert make_job(store, github)(run_id) is None
    assert len(github.reviews) == 1
    review = github.reviews[0]
    assert (review.number, review.head_sha) == (7, HEAD)
    assert [(f.rule, f.path, f.line) for f in review.findings] == [("RB203", "app/client.py", 5)]
    run = store.get_run(run_id)
    assert run.status is RunStatus.SUCCEEDED
    assert run.detail == "1 finding(s) on aaaaaaa: 1 inline, 0 in the summary, 0 already posted"
    assert run.findings[0]["rule"] == "RB203" and run.findings[0]["line"] == 5
    assert set(run.timings) == {"fetch", "analyze", "publish", "total"}
    assert run.api_calls == github.api_calls > 0
    assert run.publication == {"review_id": 1, "check_run_id": 101, "inline_comments": 1,
                               "summary_findings": 0, "already_posted": 0, "details": {}}


def test_only_changed_python_files_with_a_patch_are_fetched(store, github):
    from reviewbot.jobs.ports import ChangedFile

    github.changed += [
        ChangedFile("README.md", "modified", "@@ -1 +1 @@\n-a\n+b\n"),
        ChangedFile("app/old.py", "removed", "@@ -1 +0,0 @@\n-x = 1\n"),
        ChangedFile("app/huge.py", "modified", None),
        ChangedFile("vendor/lib.py", "added", "@@ -0,0 +1 @@\n+x = 1\n"),
    ]
    github.config = {"pyproject.toml": b'[tool.reviewbot]\nexclude = ["vendor/**"]\n'}
    make_job(store, github)(queue_pr(store))
    assert github.fetched_paths == ["app/client.py"]


def test_findings_outside_the_added_lines_are_not_reported(store, github):
    source = b"import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n\n\nx = 1\n"
    github.files = {"app/client.py": source}
    from reviewbot.jobs.ports import ChangedFile

    github.changed = [ChangedFile("app/client.py", "modified", "@@ -6,2 +6,3 @@\n \n \n+x = 1\n")]
    make_job(store, github)(queue_pr(store))
    assert github.reviews[0].findings == []


def test_a_draft_is_skipped_unless_the_repository_asks_for_drafts(store, github):
    github.draft = True
    run_id = queue_pr(store, draft=True)
    make_job(store, github)(run_id)
    assert github.reviews == []
    run = store.get_run(run_id)
    assert (run.status, run.detail) == (RunStatus.SKIPPED,
                                       "draft pull request (set app.review-drafts = true to review drafts)")

    github.config = {".reviewbot.toml": b"[app]\nreview-drafts = true\n"}
    github.head_sha = HEAD_2
    make_job(store, github)(queue_pr(store, head=HEAD_2, delivery="d-2", trigger="synchronize", draft=True))
    assert len(github.reviews) == 1


def test_a_closed_pull_request_is_skipped(store, github):
    github.state = "closed"
    run_id = queue_pr(store)
    make_job(store, github)(run_id)
    assert store.get_run(run_id).detail == "the pull request is closed" and github.reviews == []


def test_a_collaborator_command_is_acknowledged_and_reviewed(store, github):
    github.permissions = {"bob": "write"}
    run_id = queue_command(store)
    make_job(store, github)(run_id)
    assert github.reactions == [(555, "eyes")]
    assert len(github.reviews) == 1
    run = store.get_run(run_id)
    assert run.status is RunStatus.SUCCEEDED and run.head_sha == HEAD
    assert "authorize" in run.timings


@pytest.mark.parametrize("permission", ["read", "triage", "none"])
def test_a_command_from_someone_without_write_access_does_nothing(store, github, permission):
    github.permissions = {"mallory": permission}
    run_id = queue_command(store, login="mallory")
    make_job(store, github)(run_id)
    assert github.reactions == [] and github.reviews == []
    assert github.api_calls == 1  # the permission check, and nothing else
    run = store.get_run(run_id)
    assert (run.status, run.detail) == (RunStatus.SKIPPED,
                                       f"@mallory has {permission} access; /perfcheck needs write access")


@pytest.mark.parametrize("permission", ["admin", "maintain"])
def test_admins_and_maintainers_may_run_the_command(store, github, permission):
    github.permissions = {"bob": permission}
    make_job(store, github)(queue_command(store))
    assert len(github.reviews) == 1


def test_a_command_while_the_same_head_is_queued_stands_down(store, github):
    github.permissions = {"bob": "write"}
    queue_pr(store)
    command = queue_command(store)
    make_job(store, github)(command)
    assert github.reviews == []
    assert store.get_run(command).detail == f"a review of {HEAD[:7]} is already queued"


def test_a_superseded_queued_run_never_starts(store, github):
    first = queue_pr(store, HEAD)
    second = queue_pr(store, HEAD_2, delivery="d-2", trigger="synchronize")
    github.head_sha = HEAD_2
    job = make_job(store, github)
    job(first)
    job(second)
    assert [review.head_sha for review in github.reviews] == [HEAD_2]
    assert (store.get_run(first).status, store.get_run(first).detail) == (RunStatus.SUPERSEDED,
                                                                         f"superseded by run {second}")
    assert store.get_run(first).attempts == 0


def test_a_running_run_stops_before_posting_when_a_newer_push_arrives(store, github):
    first = queue_pr(store, HEAD)
    github.on_changed_files = lambda: queue_pr(store, HEAD_2, delivery="d-2", trigger="synchronize")
    make_job(store, github)(first)
    assert github.reviews == []
    run = store.get_run(first)
    assert run.status is RunStatus.SUPERSEDED and run.detail == "superseded by run 2"
    assert "publish" not in run.timings


def test_a_run_whose_head_moved_on_stands_down(store, github):
    github.head_sha = HEAD_2
    run_id = queue_pr(store, HEAD)
    make_job(store, github)(run_id)
    assert github.reviews == []
    assert store.get_run(run_id).detail == f"the pull request's head moved to {HEAD_2[:7]}"


def test_runs_of_one_pull_request_wait_for_the_lock(store, github):
    holder = store.get_run(queue_pr(store, HEAD))
    assert store.acquire_lock(holder)
    waiting = queue_command(store)
    github.permissions = {"bob": "write"}
    job = make_job(store, github, retry=RetryPolicy(lock_wait=3.0))
    assert job(waiting) == 3.0
    assert store.get_run(waiting).status is RunStatus.QUEUED and github.api_calls == 0
    store.release_lock(holder)
    store.finish(holder.id, RunStatus.SUCCEEDED)
    assert job(waiting) is None
    assert len(github.reviews) == 1


def test_a_transient_failure_is_retried_with_exponential_backoff(store, github):
    github.publish_failures = [GithubException(502, {"message": "Bad Gateway"}),
                               TransientError("connection reset")]
    run_id = queue_pr(store)
    job = make_job(store, github)
    assert job(run_id) == 10
    run = store.get_run(run_id)
    assert run.status is RunStatus.QUEUED and run.findings[0]["rule"] == "RB203"
    assert job(run_id) == 20
    assert job(run_id) is None
    run = store.get_run(run_id)
    assert run.status is RunStatus.SUCCEEDED and run.attempts == 3
    assert run.errors == ['attempt 1: GithubException: 502 {"message": "Bad Gateway"}',
                          "attempt 2: TransientError: connection reset"]


def test_a_run_that_keeps_failing_is_recorded_as_failed_with_its_findings(store, github):
    github.publish_failures = [GithubException(503, {"message": "unavailable"}) for _ in range(3)]
    run_id = queue_pr(store)
    job = make_job(store, github)
    assert job(run_id) == 10
    assert job(run_id) == 20
    assert job(run_id) is None
    run = store.get_run(run_id)
    assert run.status is RunStatus.FAILED
    assert run.detail == 'GithubException: 503 {"message": "unavailable"}'
    assert len(run.errors) == 3
    assert [f["rule"] for f in run.findings] == ["RB203"]
    assert github.reviews == []


def test_a_permanent_failure_is_not_retried(store, github):
    github.fetch_failures = [GithubException(404, {"message": "Not Found"})]
    run_id = queue_pr(store)
    assert make_job(store, github)(run_id) is None
    run = store.get_run(run_id)
    assert run.status is RunStatus.FAILED and run.attempts == 1
    assert run.errors == ['attempt 1: GithubException: 404 {"message": "Not Found"}']


def test_an_invalid_repository_config_fails_the_run_with_a_clear_message(store, github):
    github.config = {".reviewbot.toml": b'select = ["RB999"]\n'}
    run_id = queue_pr(store)
    assert make_job(store, github)(run_id) is None
    message = ".reviewbot.toml: [tool.reviewbot] select: unknown rule code 'RB999'"
    run = store.get_run(run_id)
    assert (run.status, run.detail) == (RunStatus.FAILED, f"invalid configuration: {message}")
    assert github.config_errors == [(HEAD, message)]
    assert github.reviews == []


def test_a_queue_message_for_a_finished_or_unknown_run_does_nothing(store, github):
    run_id = queue_pr(store)
    job = make_job(store, github)
    job(run_id)
    job(run_id)
    job(12345)
    assert len(github.reviews) == 1


def test_the_explainer_seam_runs_between_analysis_and_publishing(store, github):
    seen = []

    def explain(findings, sources, config):
        seen.append((len(findings), sorted(sources)))
        return [_explained(f) for f in findings]

    run_id = queue_pr(store)
    make_job(store, github, explain=explain)(run_id)
    assert seen == [(1, ["app/client.py"])]
    assert github.reviews[0].findings[0].explanation == "Pass timeout=10."
    run = store.get_run(run_id)
    assert run.findings[0]["explanation"] == "Pass timeout=10." and "explain" in run.timings


def test_a_failing_explainer_does_not_stop_the_review(store, github):
    def explain(findings, sources, config):
        raise TimeoutError("model did not answer")

    make_job(store, github, explain=explain)(queue_pr(store))
    review = github.reviews[0]
    assert review.findings[0].explanation is None
    assert list(review.notes) == ["Explanations are unavailable for this review."]


def test_an_explainer_that_changes_the_findings_is_ignored(store, github):
    make_job(store, github, explain=lambda findings, sources, config: [])(queue_pr(store))
    assert len(github.reviews[0].findings) == 1
    assert list(github.reviews[0].notes) == ["Explanations are unavailable for this review."]


def test_the_explainer_is_skipped_when_the_repository_turns_it_off(store, github):
    github.config = {"pyproject.toml": b"[tool.reviewbot.llm]\nenabled = false\n"}
    calls = []
    make_job(store, github, explain=lambda f, s, c: calls.append(1) or f)(queue_pr(store))
    assert calls == [] and len(github.reviews) == 1


def test_model_sources_are_passed_to_the_analysis(store, github):
    github.models = {"shop/models.py": b"from django.db import models\n\nclass Order(models.Model):\n    pass\n"}
    make_job(store, github)(queue_pr(store))
    assert len(github.reviews) == 1


def test_retry_policy_doubles_and_caps():
    policy = RetryPolicy(base_delay=10, max_delay=45)
    assert [policy.delay_after(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 45]


def _explained(finding: Finding) -> Finding:
    from dataclasses import replace

    return replace(finding, explanation="Pass timeout=10.")


def test_added_patch_marks_every_line_added():
    assert added_patch(b"a\nb\n") == "@@ -0,0 +1,2 @@\n+a\n+b\n"


class RateLimitedError(TransientError):
    retry_after = 120.0


def test_a_rate_limit_waits_as_long_as_github_asks(store, github):
    github.publish_failures = [RateLimitedError("secondary rate limit")]
    run_id = queue_pr(store)
    assert make_job(store, github)(run_id) == 120.0
    assert store.get_run(run_id).status is RunStatus.QUEUED
