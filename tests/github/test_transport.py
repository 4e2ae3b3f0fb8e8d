"""Retries, rate limits, write pacing and request counting, against the fake GitHub."""

from __future__ import annotations

import time

import pytest

from reviewbot.github import ClientOptions, GitHubApiError, GitHubApp, RateLimited, RetryPolicy
from reviewbot.github.transport import GitHubTransport
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import APP_ID, AppKey

REPO = "octo/shop"


@pytest.fixture
def pull(fake_github: FakeGitHub):
    repo = fake_github.add_repo(REPO)
    repo.collaborators["alice"] = "write"
    fake_github.add_issue_comment(repo, 1, "/perfcheck")
    return repo.add_pull(1, {"app/a.py": "a = 1\n"}, {"app/a.py": "a = 2\n"})


def test_a_get_answered_403_with_retry_after_waits_that_long_and_retries(fake_github, github_app, recorded_sleeps,
                                                                         pull) -> None:
    fake_github.inject("GET", r"/pulls/1/files$", 403, headers={"Retry-After": "1"})
    client = github_app.pull_request_client(1)

    files = client.changed_files(REPO, 1)

    assert [f.path for f in files] == ["app/a.py"]
    assert recorded_sleeps == [1.0]
    assert fake_github.count("GET", r"/pulls/1/files$") == 2
    assert client.api_calls.snapshot() == {"pulls.files": 2}


def test_a_primary_rate_limit_waits_until_the_reset(fake_github, github_app, recorded_sleeps, pull) -> None:
    reset = int(time.time()) + 30
    fake_github.inject("GET", r"/pulls/1$", 403, headers={"x-ratelimit-remaining": "0",
                                                         "x-ratelimit-reset": str(reset)},
                       body={"message": "API rate limit exceeded for installation ID 1."})

    github_app.pull_request_client(1).pull_request(REPO, 1)

    assert len(recorded_sleeps) == 1 and 25 <= recorded_sleeps[0] <= 32


def test_a_secondary_rate_limit_without_retry_after_waits_the_configured_time(fake_github, app_key: AppKey,
                                                                              pull) -> None:
    sleeps: list[float] = []
    options = ClientOptions(seconds_between_requests=0, seconds_between_writes=0,
                            retry=RetryPolicy(secondary_rate_wait=7))
    app = GitHubApp(APP_ID, app_key.private_pem, api_url=fake_github.base_url, options=options, sleep=sleeps.append)
    fake_github.inject("GET", r"/pulls/1$", 429, body={"message": "You have exceeded a secondary rate limit."})

    app.pull_request_client(1).pull_request(REPO, 1)

    assert sleeps == [7]


def test_a_wait_longer_than_allowed_raises_rate_limited_without_sleeping(fake_github, app_key: AppKey, pull) -> None:
    sleeps: list[float] = []
    options = ClientOptions(seconds_between_requests=0, seconds_between_writes=0, retry=RetryPolicy(max_wait=60))
    app = GitHubApp(APP_ID, app_key.private_pem, api_url=fake_github.base_url, options=options, sleep=sleeps.append)
    fake_github.inject("GET", r"/pulls/1$", 403, headers={"Retry-After": "3600"})

    with pytest.raises(RateLimited) as raised:
        app.pull_request_client(1).pull_request(REPO, 1)

    assert raised.value.retry_after == 3600 and raised.value.is_transient
    assert sleeps == []


def test_server_errors_on_reads_are_retried_with_backoff(fake_github, github_app, recorded_sleeps, pull) -> None:
    fake_github.inject("GET", r"/pulls/1$", 502, times=2)

    details = github_app.pull_request_client(1).pull_request(REPO, 1)

    assert details.number == 1
    assert recorded_sleeps == [1.0, 2.0]
    assert fake_github.count("GET", r"/pulls/1$") == 3


def test_reads_give_up_after_max_attempts(fake_github, github_app, recorded_sleeps, pull) -> None:
    fake_github.inject("GET", r"/pulls/1$", 503, times=10)

    with pytest.raises(GitHubApiError) as raised:
        github_app.pull_request_client(1).pull_request(REPO, 1)

    assert raised.value.status == 503 and raised.value.is_transient
    assert fake_github.count("GET", r"/pulls/1$") == 4


def test_a_403_that_is_not_a_rate_limit_is_final(fake_github, github_app, recorded_sleeps, pull) -> None:
    fake_github.inject("GET", r"/pulls/1$", 403, body={"message": "Resource not accessible by integration"})

    with pytest.raises(GitHubApiError) as raised:
        github_app.pull_request_client(1).pull_request(REPO, 1)

    assert not raised.value.is_transient and recorded_sleeps == []
    assert fake_github.count("GET", r"/pulls/1$") == 1


def test_a_write_is_never_retried(fake_github, github_app, recorded_sleeps, pull) -> None:
    comment_id = next(iter(pull.repo.issue_comments))
    fake_github.inject("POST", r"/reactions$", 502)

    with pytest.raises(GitHubApiError) as raised:
        github_app.pull_request_client(1).add_reaction(REPO, comment_id, "eyes")

    assert raised.value.status == 502 and raised.value.is_transient
    assert fake_github.count("POST", r"/reactions$") == 1
    assert recorded_sleeps == []


def test_writes_are_spaced_apart(fake_github, app_key: AppKey, pull) -> None:
    sleeps: list[float] = []
    options = ClientOptions(seconds_between_requests=0, seconds_between_writes=1.0)
    app = GitHubApp(APP_ID, app_key.private_pem, api_url=fake_github.base_url, options=options, sleep=sleeps.append)
    client = app.pull_request_client(1)
    comment_id = next(iter(pull.repo.issue_comments))

    client.add_reaction(REPO, comment_id, "eyes")
    client.add_reaction(REPO, comment_id, "rocket")
    client.pull_request(REPO, 1)  # reads are not paced

    assert len(sleeps) == 1 and 0.5 < sleeps[0] <= 1.0


def test_every_request_is_counted_per_endpoint(fake_github, github_app, pull) -> None:
    client = github_app.pull_request_client(1)
    client.pull_request(REPO, 1)
    client.changed_files(REPO, 1)
    client.collaborator_permission(REPO, "alice")

    assert client.api_calls.total == 3
    assert client.api_calls.snapshot() == {"pulls.files": 1, "pulls.get": 1, "repos.collaborator_permission": 1}
    assert fake_github.api_calls() == 3


def test_each_client_counts_its_own_requests(fake_github, github_app, pull) -> None:
    first, second = github_app.pull_request_client(1), github_app.pull_request_client(1)
    first.pull_request(REPO, 1)

    assert (first.api_calls.total, second.api_calls.total) == (1, 0)


def test_error_messages_carry_githubs_texts(fake_github, github_app, pull) -> None:
    transport: GitHubTransport = github_app.pull_request_client(1).api
    with pytest.raises(GitHubApiError) as raised:
        transport.write("POST", f"/repos/{REPO}/pulls/1/reviews", {"event": "NOPE"}, endpoint="test")

    assert raised.value.status == 422
    assert raised.value.messages == ("Unprocessable Entity", "Invalid event: NOPE")
