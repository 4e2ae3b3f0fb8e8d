"""The review job's GitHub client (`reviewbot.jobs.ports.RepositoryClient`) end to end against the
fake GitHub, with the real analysis in between."""

from __future__ import annotations

import pytest

from reviewbot.analysis import analyze
from reviewbot.config import AppOptions, Config
from reviewbot.findings import Severity
from reviewbot.github import RepositoryGitHubClient, TransientGitHubError
from reviewbot.jobs.errors import is_transient
from reviewbot.jobs.ports import RepositoryClient, ReviewToPublish
from reviewbot.jobs.repo_config import config_from_files
from reviewbot.jobs.review import reviewable_diffs
from reviewbot.render.markdown import parse_marker
from tests.fakegithub import FakeGitHub
from tests.github.builders import make_finding

REPO = "octo/shop"
SLOW = "import requests\n\n\ndef fetch_{n}(url):\n    return requests.get(url).json()\n"
FAST = "import requests\n\n\ndef fetch_{n}(url):\n    return requests.get(url, timeout=5).json()\n"


@pytest.fixture
def repo(fake_github: FakeGitHub):
    return fake_github.add_repo(REPO)


def _review(client: RepositoryClient, number: int) -> tuple[ReviewToPublish, object]:
    """What the review job does, in order."""
    pull = client.pull_request(number)
    config = config_from_files(client.config_files(pull.head_sha))
    diffs = reviewable_diffs(client.changed_files(number), config)
    sources = dict(client.file_contents(sorted(diffs), pull.head_sha))
    models = client.model_sources(pull.head_sha, sorted(sources))
    result = analyze(sources, {path: diffs[path] for path in sources}, config, diff_filter="added",
                     model_sources=models)
    review = ReviewToPublish(number=number, head_sha=pull.head_sha, findings=result.findings, diffs=diffs,
                             config=config, file_errors=result.errors)
    return review, client.publish_review(review)


def test_a_100_file_pull_request_is_reviewed_in_at_most_15_requests(fake_github, github_app, repo) -> None:
    base = {f"app/client_{n:03}.py": FAST.format(n=n) for n in range(100)}
    head = {path: (SLOW if n % 10 == 0 else FAST.replace("timeout=5", "timeout=6")).format(n=n)
            for n, path in enumerate(sorted(base))}
    base.update({"app/models.py": "class Order:\n    pass\n", "pyproject.toml": "[tool.reviewbot]\n"})
    head.update({"app/models.py": "class Order:\n    pass\n", "pyproject.toml": "[tool.reviewbot]\n"})
    pull = repo.add_pull(1, base, head)
    github_app.bot_login()  # once per process, not per review
    fake_github.reset_calls()
    client = github_app.repository_client(1, REPO)

    review, published = _review(client, 1)

    assert len(review.findings) == 10 and {f.rule for f in review.findings} == {"RB203"}
    assert published.inline_comments == 10 and published.summary_findings == 0
    assert client.api_calls == fake_github.api_calls()
    assert client.api_calls <= 15, published.details["api_calls_by_endpoint"]
    (stored,) = pull.reviews
    assert len(pull.comments) == 10 and stored["commit_id"] == pull.head_sha
    (check_run,) = repo.check_runs.values()
    assert check_run["conclusion"] == "neutral" and len(check_run["annotations"]) == 10
    assert published.review_id == stored["id"] and published.check_run_id == check_run["id"]


def test_a_second_run_on_the_same_head_posts_no_duplicate(fake_github, github_app, repo) -> None:
    pull = repo.add_pull(1, {"app/a.py": FAST.format(n=1)}, {"app/a.py": SLOW.format(n=1)})

    _, first = _review(github_app.repository_client(1, REPO), 1)
    _, second = _review(github_app.repository_client(1, REPO), 1)

    assert first.inline_comments == 1
    assert (second.review_id, second.inline_comments, second.already_posted) == (None, 0, 1)
    assert len(pull.reviews) == 1 and len(pull.comments) == 1
    assert len(repo.check_runs) == 2  # the check run describes each run's commit


def test_fixed_findings_threads_are_resolved_when_configured(fake_github, github_app, repo) -> None:
    pull = repo.add_pull(1, {"app/a.py": FAST.format(n=1)}, {"app/a.py": SLOW.format(n=1)})
    _review(github_app.repository_client(1, REPO), 1)
    pull.push({"app/a.py": FAST.format(n=1).replace("timeout=5", "timeout=7")})
    client = github_app.repository_client(1, REPO)
    pull_info = client.pull_request(1)
    config = Config(app=AppOptions(resolve_fixed=True))
    diffs = reviewable_diffs(client.changed_files(1), config)

    published = client.publish_review(ReviewToPublish(number=1, head_sha=pull_info.head_sha, findings=[],
                                                      diffs=diffs, config=config))

    assert published.details["resolved_threads"] == 1
    assert pull.threads[0].is_resolved
    assert published.review_id is None  # nothing new to say


def test_summary_only_findings_and_unfetchable_files_are_reported(fake_github, github_app, repo) -> None:
    repo.add_pull(1, {"app/a.py": "x = 1\n"}, {"app/a.py": "x = 2\n", "app/blob.py": b"\0binary"})
    client = github_app.repository_client(1, REPO)
    client.changed_files(1)
    contents = client.file_contents(["app/a.py", "app/blob.py"], repo.pulls[1].head_sha)
    outside = make_finding(path="app/a.py", line=40, fingerprint="abababababababab")

    published = client.publish_review(ReviewToPublish(
        number=1, head_sha=repo.pulls[1].head_sha, findings=[outside], diffs={}, config=Config(),
        notes=["Explanations are unavailable for this review."]))

    assert set(contents) == {"app/a.py"}
    body = repo.pulls[1].reviews[0]["body"]
    assert "- `app/a.py:40` **RB203**" in body
    assert "- `app/blob.py` (skipped): binary file; not analysed" in body
    assert "Explanations are unavailable for this review." in body
    assert published.summary_findings == 1 and published.inline_comments == 0
    assert parse_marker(body).fingerprints == ("abababababababab",)


def test_a_check_run_github_refuses_does_not_undo_the_review(fake_github, github_app, repo) -> None:
    pull = repo.add_pull(1, {"app/a.py": FAST.format(n=1)}, {"app/a.py": SLOW.format(n=1)})
    fake_github.inject("POST", r"/check-runs$", 403, body={"message": "Resource not accessible by integration"})

    _, published = _review(github_app.repository_client(1, REPO), 1)

    assert published.check_run_id is None and "Resource not accessible" in published.details["check_run_error"]
    assert published.review_id == pull.reviews[0]["id"]


def test_the_check_run_fails_when_findings_reach_the_configured_severity(fake_github, github_app, repo) -> None:
    pull = repo.add_pull(1, {"app/a.py": "x = 1\n"}, {"app/a.py": "x = 2\n"})
    client = github_app.repository_client(1, REPO)
    config = Config(app=AppOptions(check_fail_on=Severity.WARNING))

    client.publish_review(ReviewToPublish(number=1, head_sha=pull.head_sha,
                                          findings=[make_finding(path="app/a.py", line=1)], diffs={}, config=config))

    assert [run["conclusion"] for run in repo.check_runs.values()] == ["failure"]


def test_a_configuration_error_is_a_failed_check_run(fake_github, github_app, repo) -> None:
    pull = repo.add_pull(1, {"a.py": "a = 1\n"}, {"a.py": "a = 2\n"})

    github_app.repository_client(1, REPO).publish_config_error(pull.head_sha, "pyproject.toml: unknown key 'x'")

    (run,) = repo.check_runs.values()
    assert (run["conclusion"], run["output"]["title"]) == ("failure", "Invalid reviewbot configuration")
    assert "pyproject.toml: unknown key 'x'" in run["output"]["summary"]


def test_transient_failures_reach_the_job_as_transient(fake_github, github_app, repo, recorded_sleeps) -> None:
    repo.add_pull(1, {"a.py": "a = 1\n"}, {"a.py": "a = 2\n"})
    fake_github.inject("GET", r"/pulls/1$", 502, times=10)
    client = github_app.repository_client(1, REPO)

    with pytest.raises(TransientGitHubError) as raised:
        client.pull_request(1)

    assert is_transient(raised.value) and raised.value.status == 502


def test_the_client_satisfies_the_jobs_port(github_app) -> None:
    client: RepositoryClient = github_app.repository_client(1, REPO)
    assert isinstance(client, RepositoryGitHubClient)
    assert github_app(1, REPO).repository == REPO  # the App is the job's client factory


def test_rule_card_files_are_read_at_the_ref_asked_for(fake_github, github_app, repo) -> None:
    card = b"---\nid: caching\n---\n\nbase text\n"
    pull = repo.add_pull(1, {".reviewbot/rules/cache.md": card, "app.py": "a = 1\n"},
                         {".reviewbot/rules/cache.md": b"---\nid: caching\n---\n\nhead text\n",
                          ".reviewbot/rules/bin.md": b"\0\1\2", "app.py": "a = 2\n"})
    client = github_app.repository_client(1, REPO)

    base = client.rule_card_files(pull.base_sha, ".reviewbot/rules")
    head = client.rule_card_files(pull.head_sha, ".reviewbot/rules")

    assert dict(base.files) == {".reviewbot/rules/cache.md": card} and dict(base.skipped) == {}
    assert dict(head.skipped) == {".reviewbot/rules/bin.md": "binary"}
    assert client.rule_card_files(pull.base_sha, "missing").files == {}
