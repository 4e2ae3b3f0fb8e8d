"""The review job's logic against an in-memory GitHub: stages, supersede, locks, retries, records."""

from __future__ import annotations

from dataclasses import replace

import pytest
from github import GithubException

from reviewbot.findings import Finding, Severity
from reviewbot.jobs.ports import ExplainedFindings, TransientError
from reviewbot.jobs.review import RetryPolicy, ReviewJob, repository_directory
from reviewbot.state.records import RunRequest, RunStatus
from tests.jobs.doubles import BASE, HEAD, HEAD_2, ClientFactory, InMemoryRepository, added_patch


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


def test_the_queue_message_of_a_superseded_run_reviews_the_newest_head(store, github):
    first = queue_pr(store, HEAD)
    second = queue_pr(store, HEAD_2, delivery="d-2", trigger="synchronize")
    github.head_sha = HEAD_2
    job = make_job(store, github)
    assert job(first) is None
    assert [review.head_sha for review in github.reviews] == [HEAD_2]
    assert store.get_run(second).status is RunStatus.SUCCEEDED and store.get_run(first).attempts == 0
    assert job(second) is None  # a spare message
    assert len(github.reviews) == 1


def test_a_push_landing_while_the_worker_takes_the_run_is_followed(store, github):
    first = queue_pr(store, HEAD)
    take_lock = store.acquire_lock
    pushes = []

    def push_then_take_lock(run):
        if not pushes:  # the worker has read the first run; a push supersedes it before it starts
            pushes.append(queue_pr(store, HEAD_2, delivery="d-2", trigger="synchronize"))
            github.head_sha = HEAD_2
        return take_lock(run)

    store.acquire_lock = push_then_take_lock
    assert make_job(store, github)(first) is None
    assert [review.head_sha for review in github.reviews] == [HEAD_2]
    assert store.get_run(pushes[0]).status is RunStatus.SUCCEEDED


def test_a_retry_of_a_run_started_by_an_older_message_comes_back_through_that_message(store, github):
    github.publish_failures = [GithubException(502, {"message": "Bad Gateway"})]
    first = queue_pr(store, HEAD)
    second = queue_pr(store, HEAD_2, delivery="d-2", trigger="synchronize")
    github.head_sha = HEAD_2
    job = make_job(store, github)
    assert job(first) == 10
    assert (store.get_run(second).status, store.get_run(second).attempts) == (RunStatus.QUEUED, 1)
    assert job(first) is None
    assert store.get_run(second).status is RunStatus.SUCCEEDED and len(github.reviews) == 1


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

    def explain(findings, sources, config, *, team_cards=None, model_sources=None):
        seen.append((len(findings), sorted(sources), team_cards))
        return ExplainedFindings([_explained(f) for f in findings], {"tokens_in": 900, "cache_hits": 0})

    run_id = queue_pr(store)
    make_job(store, github, explain=explain)(run_id)
    assert seen == [(1, ["app/client.py"], None)]
    assert github.reviews[0].findings[0].explanation == "Pass timeout=10."
    run = store.get_run(run_id)
    assert run.findings[0]["explanation"] == "Pass timeout=10." and "explain" in run.timings
    assert run.explanation_stats == {"tokens_in": 900, "cache_hits": 0, "rule_card_errors": []}


def test_a_run_without_explanations_records_no_explanation_stats(store, github):
    run_id = queue_pr(store)
    make_job(store, github)(run_id)
    assert store.get_run(run_id).explanation_stats is None


def test_a_failing_explainer_does_not_stop_the_review(store, github):
    def explain(findings, sources, config, **_):
        raise TimeoutError("model did not answer")

    run_id = queue_pr(store)
    make_job(store, github, explain=explain)(run_id)
    review = github.reviews[0]
    assert review.findings[0].explanation is None
    assert list(review.notes) == ["Explanations are unavailable for this review."]
    assert store.get_run(run_id).explanation_stats == {"error": "TimeoutError: model did not answer"}


def test_an_explainer_that_changes_the_findings_is_ignored(store, github):
    make_job(store, github, explain=lambda findings, sources, config, **_: ExplainedFindings([]))(queue_pr(store))
    assert len(github.reviews[0].findings) == 1
    assert list(github.reviews[0].notes) == ["Explanations are unavailable for this review."]


@pytest.mark.parametrize("change", [
    {"severity": Severity.INFO},
    {"message": "Looks fine to me."},
    {"line": 1, "end_line": 1},
    {"rule": "RB101"},
])
def test_an_explainer_that_regrades_or_moves_a_finding_is_ignored(store, github, change):
    def explain(findings, sources, config, **_):
        return ExplainedFindings([replace(_explained(f), **change) for f in findings])

    run_id = queue_pr(store)
    make_job(store, github, explain=explain)(run_id)
    [finding] = github.reviews[0].findings
    assert (finding.rule, finding.severity, finding.line, finding.explanation) == (
        "RB203", Severity.WARNING, 5, None)
    assert "Looks fine" not in finding.message
    assert list(github.reviews[0].notes) == ["Explanations are unavailable for this review."]
    assert store.get_run(run_id).explanation_stats["error"] == (
        "the explainer changed the findings; its output was ignored")


def test_the_explainer_is_skipped_when_the_repository_turns_it_off(store, github):
    github.config = {"pyproject.toml": b"[tool.reviewbot.llm]\nenabled = false\n"}
    calls = []
    make_job(store, github, explain=lambda f, s, c, **_: calls.append(1) or ExplainedFindings(f))(queue_pr(store))
    assert calls == [] and len(github.reviews) == 1 and github.card_reads == []


CARDS_CONFIG = {"pyproject.toml": b'[tool.reviewbot.llm]\nrule-cards-dir = "./.reviewbot/rules/"\n'}


class RecordingExplainer:
    def __init__(self, notes=()):
        self.team_cards = []
        self.notes = list(notes)

    def __call__(self, findings, sources, config, *, team_cards=None, model_sources=None):
        self.team_cards.append(team_cards)
        return ExplainedFindings([_explained(f) for f in findings], {"llm_calls": 1}, self.notes)


def test_team_rule_cards_are_read_at_the_base_commit_not_the_head(store, github):
    github.config = CARDS_CONFIG
    github.base_files = {".reviewbot/rules/http.md": b"base card", ".reviewbot/rules/nested/x.md": b"no"}
    github.files = {**github.files, ".reviewbot/rules/http.md": b"rewritten by the pull request"}
    explain = RecordingExplainer()
    run_id = queue_pr(store)
    make_job(store, github, explain=explain)(run_id)
    assert github.card_reads == [(BASE, ".reviewbot/rules")]
    assert explain.team_cards == [{".reviewbot/rules/http.md": b"base card"}]
    assert list(github.reviews[0].notes) == []
    stats = store.get_run(run_id).explanation_stats
    assert stats == {"rule_cards_dir": "./.reviewbot/rules/", "rule_cards_ref": BASE, "rule_card_errors": [],
                     "llm_calls": 1}


def test_card_errors_from_the_explainer_reach_the_summary_and_the_run_record(store, github):
    github.config = CARDS_CONFIG
    github.base_files = {".reviewbot/rules/bad.md": b"---\ntitle: x\n---\n"}

    def explain(findings, sources, config, **_):
        return ExplainedFindings(list(findings), {"rule_card_errors": [".reviewbot/rules/bad.md: no id"]},
                                 ["A rule card of this repository was not used: .reviewbot/rules/bad.md: no id"])

    run_id = queue_pr(store)
    make_job(store, github, explain=explain)(run_id)
    assert list(github.reviews[0].notes) == [
        "A rule card of this repository was not used: .reviewbot/rules/bad.md: no id"]
    assert store.get_run(run_id).explanation_stats["rule_card_errors"] == [".reviewbot/rules/bad.md: no id"]


def test_a_missing_card_directory_is_noted_and_our_cards_are_used(store, github):
    github.config = CARDS_CONFIG
    explain = RecordingExplainer()
    make_job(store, github, explain=explain)(queue_pr(store))
    assert explain.team_cards == [{}]
    assert list(github.reviews[0].notes) == [
        "No rule cards (`*.md`) found in `./.reviewbot/rules/` at the base commit ccccccc; explanations use "
        "the built-in cards. Cards are read from the base branch, so cards this pull request adds apply once "
        "it is merged."]


def test_a_card_directory_github_cannot_read_costs_only_the_team_cards(store, github):
    github.config = CARDS_CONFIG
    github.card_failures = [TransientError("GitHub repos.contents answered 502: Server Error")]
    explain = RecordingExplainer()
    run_id = queue_pr(store)
    make_job(store, github, explain=explain)(run_id)
    run = store.get_run(run_id)
    assert run.status is RunStatus.SUCCEEDED and run.attempts == 1
    assert explain.team_cards == [None]
    assert github.reviews[0].findings[0].explanation == "Pass timeout=10."
    assert list(github.reviews[0].notes) == [
        "Rule cards in `./.reviewbot/rules/` at the base commit ccccccc could not be read; explanations use "
        "the built-in cards."]
    assert run.explanation_stats["rule_card_errors"] == [
        ".reviewbot/rules: cannot read the rule cards: TransientError: GitHub repos.contents answered 502: "
        "Server Error"]


@pytest.mark.parametrize("setting", ["../other-repo/rules", "/etc", ".", "rules/../.."])
def test_a_card_directory_outside_the_repository_is_not_read(store, github, setting):
    github.config = {"pyproject.toml": f'[tool.reviewbot.llm]\nrule-cards-dir = "{setting}"\n'.encode()}
    explain = RecordingExplainer()
    run_id = queue_pr(store)
    make_job(store, github, explain=explain)(run_id)
    assert github.card_reads == [] and explain.team_cards == [None]
    error = f"rule-cards-dir {setting!r} is not a directory inside the repository"
    assert list(github.reviews[0].notes) == [f"Rule cards were not read: {error}; explanations use the built-in cards."]
    assert store.get_run(run_id).explanation_stats["rule_card_errors"] == [error]


def test_repository_directory_normalises_paths_inside_the_repository():
    assert repository_directory("./.reviewbot/rules/") == ".reviewbot/rules"
    assert repository_directory("docs//cards") == "docs/cards"
    assert repository_directory("a/../b") == "b"
    assert [repository_directory(p) for p in ("", " ", "/abs", "..", "../x", "./")] == [None] * 6


def test_model_sources_are_passed_to_the_analysis(store, github):
    github.models = {"shop/models.py": b"from django.db import models\n\nclass Order(models.Model):\n    pass\n"}
    make_job(store, github)(queue_pr(store))
    assert len(github.reviews) == 1


def test_retry_policy_doubles_and_caps():
    policy = RetryPolicy(base_delay=10, max_delay=45)
    assert [policy.delay_after(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 45]


def _explained(finding: Finding) -> Finding:
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
