"""Signed webhooks into the running App (uvicorn on 127.0.0.1, embedded queue, in-process worker)
against the fake GitHub: what gets posted, and what never does."""

from __future__ import annotations

import http.client

import pytest

from reviewbot.sandbox.local_app import get_json
from reviewbot.state.records import RunStatus
from tests.app.conftest import REPO
from tests.app.expectations import anchors_of, expected_anchors, expected_findings, marker_fingerprint

pytestmark = pytest.mark.slow


def submitted_reviews(pull):
    return [review for review in pull.reviews if review["state"] != "PENDING"]


def test_a_signed_webhook_produces_exactly_one_review_with_the_right_anchors(local_app, example):
    pull = local_app.add_example(example)
    status, answer = local_app.send("pull_request", local_app.pull_request_payload(REPO, 1, "opened"))
    assert (status, answer["status"]) == (202, "queued")

    [run] = local_app.wait_for_runs(1)
    assert run.status is RunStatus.SUCCEEDED, run.errors

    findings = expected_findings(pull)
    assert findings, "the example must produce findings"
    [review] = submitted_reviews(pull)
    assert review["commit_id"] == pull.head_sha and review["state"] == "COMMENTED"
    assert review["body"].startswith("## reviewbot performance review")
    assert anchors_of(pull.submitted_comments()) == expected_anchors(findings)
    assert sorted(marker_fingerprint(c["body"]) for c in pull.submitted_comments()) == sorted(
        f.fingerprint for f in findings)

    [check_run] = local_app.github.repos[REPO].check_runs.values()
    assert (check_run["head_sha"], check_run["status"]) == (pull.head_sha, "completed")
    assert len(check_run["annotations"]) == len(findings)

    assert run.head_sha == pull.head_sha and run.trigger == "opened"
    assert [f["fingerprint"] for f in run.findings] == [f.fingerprint for f in findings]
    assert {"fetch", "analyze", "publish"} <= set(run.timings)
    assert run.api_calls > 0 and run.publication["review_id"] == review["id"]


def test_a_redelivery_makes_no_second_job(local_app, example):
    pull = local_app.add_example(example)
    payload = local_app.pull_request_payload(REPO, 1, "opened")
    first = local_app.send("pull_request", payload, delivery="7b2f6c2e-0000-4000-8000-000000000001")
    again = local_app.send("pull_request", payload, delivery="7b2f6c2e-0000-4000-8000-000000000001")
    assert first[1]["status"] == "queued" and again[1]["status"] == "duplicate-delivery"
    runs = local_app.wait_for_runs(1)
    assert len(runs) == 1
    assert len(submitted_reviews(pull)) == 1


def test_a_newer_push_supersedes_the_queued_review(paused_app, example):
    pull = paused_app.add_example(example)
    first_head = pull.head_sha
    paused_app.send("pull_request", paused_app.pull_request_payload(REPO, 1, "opened"))
    pull.push({"shop/views.py": example.head["shop/views.py"] + b"\n\ndef healthz(request):\n    return None\n"})
    paused_app.send("pull_request", paused_app.pull_request_payload(REPO, 1, "synchronize"))
    paused_app.start_worker()

    first, second = paused_app.wait_for_runs(2)
    assert (first.head_sha, first.status, first.detail) == (first_head, RunStatus.SUPERSEDED,
                                                            f"superseded by run {second.id}")
    assert (second.head_sha, second.status) == (pull.head_sha, RunStatus.SUCCEEDED)
    assert [review["commit_id"] for review in submitted_reviews(pull)] == [pull.head_sha]
    assert {c["commit_id"] for c in pull.submitted_comments()} == {pull.head_sha}


def test_a_re_push_posts_no_duplicate_comments(local_app, example):
    pull = local_app.add_example(example)
    local_app.send("pull_request", local_app.pull_request_payload(REPO, 1, "opened"))
    local_app.wait_for_runs(1)
    comments_before = len(pull.submitted_comments())

    # A push that moves every finding of views.py down by two lines but changes none of them.
    pull.push({"shop/views.py": b'"""Order views."""\n\n' + example.head["shop/views.py"]})
    local_app.send("pull_request", local_app.pull_request_payload(REPO, 1, "synchronize"))
    first, second = local_app.wait_for_runs(2)

    assert second.status is RunStatus.SUCCEEDED, second.errors
    assert len(pull.submitted_comments()) == comments_before
    fingerprints = [marker_fingerprint(c["body"]) for c in pull.submitted_comments()]
    assert len(fingerprints) == len(set(fingerprints))
    assert second.publication["inline_comments"] == 0
    assert second.publication["already_posted"] == len(second.findings) > 0
    assert len(local_app.github.repos[REPO].check_runs) == 2  # the check run describes each head


def test_perfcheck_from_a_collaborator_is_acknowledged_and_reviewed(local_app, example):
    pull = local_app.add_example(example)
    local_app.github.repos[REPO].collaborators["maria"] = "write"
    payload = local_app.comment_payload(REPO, 1, "/perfcheck", login="maria")
    assert local_app.send("issue_comment", payload)[1]["status"] == "queued"

    [run] = local_app.wait_for_runs(1)
    assert (run.trigger, run.requested_by, run.status) == ("command", "maria", RunStatus.SUCCEEDED)
    reactions = local_app.github.repos[REPO].reactions
    assert [(r["comment_id"], r["content"]) for r in reactions] == [(payload["comment"]["id"], "eyes")]
    assert [review["commit_id"] for review in submitted_reviews(pull)] == [pull.head_sha]


def test_perfcheck_from_an_outsider_does_nothing(local_app, example):
    pull = local_app.add_example(example)
    local_app.github.repos[REPO].collaborators["mallory"] = "read"
    local_app.github.reset_calls()
    local_app.send("issue_comment", local_app.comment_payload(REPO, 1, "/perfcheck", login="mallory"))

    [run] = local_app.wait_for_runs(1)
    assert (run.status, run.detail) == (RunStatus.SKIPPED, "@mallory has read access; /perfcheck needs write access")
    assert local_app.github.repos[REPO].reactions == [] and pull.reviews == []
    assert local_app.github.count("GET", r"/permission$") == 1
    assert local_app.github.count("GET", r"/pulls/") == 0 and local_app.github.count("POST", r"/graphql") == 0


def test_perfcheck_from_a_bot_is_ignored_at_intake(local_app, example):
    local_app.add_example(example)
    local_app.github.repos[REPO].collaborators["ci[bot]"] = "write"
    status, answer = local_app.send(
        "issue_comment", local_app.comment_payload(REPO, 1, "/perfcheck", login="ci[bot]", user_type="Bot"))
    assert (status, answer["status"], answer["detail"]) == (202, "ignored", "/perfcheck from a bot is ignored")
    assert local_app.store.all_runs() == []


def test_forged_unsigned_and_malformed_requests_are_refused(local_app, example):
    local_app.add_example(example)
    payload = local_app.pull_request_payload(REPO, 1, "opened")
    assert local_app.send("pull_request", payload, secret="not-the-secret")[0] == 401
    assert local_app.send("pull_request", payload, signed=False)[0] == 401
    assert local_app.store.all_runs() == [] and local_app.store.delivery_ids() == set()


def test_an_oversized_request_is_refused_before_its_body_is_read(local_app):
    connection = http.client.HTTPConnection("127.0.0.1", local_app.server.port, timeout=30)
    connection.putrequest("POST", "/webhook")
    for name, value in {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "big-1",
                        "X-Hub-Signature-256": "sha256=" + "0" * 64, "Content-Type": "application/json",
                        "Content-Length": str(25 * 1024 * 1024 + 1)}.items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    connection.close()


def test_malformed_json_is_a_bad_request(local_app):
    from reviewbot.sandbox.local_app import post_json
    from reviewbot.webhooks.signature import sign

    body = b'{"action": "opened", "pull_request": '
    status, answer = post_json(local_app.url + "/webhook", body, {
        "X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "bad-json-1",
        "X-Hub-Signature-256": sign(body, local_app.secret), "Content-Type": "application/json"})
    assert (status, answer) == (400, {"error": "the body is not valid JSON"})


def test_a_502_on_the_review_post_makes_no_duplicate_review(local_app, example):
    pull = local_app.add_example(example)
    # GitHub creates the review, then the proxy in front of it answers 502.
    local_app.github.inject("POST", r"/pulls/1/reviews$", 502, after=True)
    local_app.send("pull_request", local_app.pull_request_payload(REPO, 1, "opened"))
    [run] = local_app.wait_for_runs(1)
    assert run.status is RunStatus.SUCCEEDED, run.errors
    assert len(submitted_reviews(pull)) == 1
    assert run.publication["review_id"] == submitted_reviews(pull)[0]["id"]


def test_a_review_post_that_keeps_failing_is_retried_by_the_queue(local_app, example):
    pull = local_app.add_example(example)
    # More 502s than the client's own attempts: the job fails transiently and is queued again.
    local_app.github.inject("POST", r"/pulls/1/reviews$", 502, times=3)
    local_app.send("pull_request", local_app.pull_request_payload(REPO, 1, "opened"))
    [run] = local_app.wait_for_runs(1)
    assert run.status is RunStatus.SUCCEEDED, run.errors
    assert run.attempts == 2 and run.errors[0].startswith("attempt 1: TransientGitHubError: ")
    assert len(submitted_reviews(pull)) == 1


def test_a_refused_anchor_falls_back_to_the_summary(local_app, example):
    pull = local_app.add_example(example)
    findings = expected_findings(pull)
    refused = findings[0]
    github = local_app.github
    judge = github._anchor_problem

    def refuse_one(pull_, comment):
        if (comment["path"], comment["line"]) == (refused.path, refused.end_line):
            return "Pull request review thread line must be part of the diff"
        return judge(pull_, comment)

    github._anchor_problem = refuse_one
    local_app.send("pull_request", local_app.pull_request_payload(REPO, 1, "opened"))
    [run] = local_app.wait_for_runs(1)

    assert run.status is RunStatus.SUCCEEDED, run.errors
    [review] = submitted_reviews(pull)
    assert anchors_of(pull.submitted_comments()) == expected_anchors([f for f in findings if f is not refused])
    assert "Not accepted by GitHub as inline comments" in review["body"]
    assert f"`{refused.path}:{refused.line}` **{refused.rule}**" in review["body"]
    assert run.publication["summary_findings"] == 1
    assert run.publication["inline_comments"] == len(findings) - 1


def test_a_draft_is_skipped_until_it_is_ready_for_review(local_app, example):
    pull = local_app.add_example(example)
    pull.draft = True
    local_app.send("pull_request", local_app.pull_request_payload(REPO, 1, "opened"))
    [draft_run] = local_app.wait_for_runs(1)
    assert draft_run.status is RunStatus.SKIPPED and pull.reviews == []

    pull.draft = False
    local_app.send("pull_request", local_app.pull_request_payload(REPO, 1, "ready_for_review"))
    _, ready_run = local_app.wait_for_runs(2)
    assert ready_run.status is RunStatus.SUCCEEDED and len(submitted_reviews(pull)) == 1


def test_an_invalid_repository_config_fails_the_run_and_says_so_in_a_check_run(local_app, example):
    repo = local_app.github.add_repo(REPO)
    pull = repo.add_pull(1, example.base, {**example.head, ".reviewbot.toml": b'ignore = ["RB9"]\n'})
    local_app.send("pull_request", local_app.pull_request_payload(REPO, 1, "opened"))
    [run] = local_app.wait_for_runs(1)
    message = ".reviewbot.toml: [tool.reviewbot] ignore: unknown rule code 'RB9'"
    assert (run.status, run.detail) == (RunStatus.FAILED, f"invalid configuration: {message}")
    assert pull.reviews == []
    [check_run] = repo.check_runs.values()
    assert (check_run["conclusion"], check_run["output"]["title"]) == ("failure", "Invalid reviewbot configuration")
    assert "> .reviewbot.toml: \\[tool.reviewbot\\] ignore: unknown rule code 'RB9'" in check_run["output"]["summary"]


def test_healthz_and_readyz(local_app):
    assert get_json(local_app.url + "/healthz") == (200, {"status": "ok"})
    assert get_json(local_app.url + "/readyz") == (200, {"status": "ready",
                                                         "checks": {"database": "ok", "queue": "ok"}})


def test_github_enterprise_server_urls(tmp_path, example):
    from reviewbot.sandbox import LocalApp

    with LocalApp(tmp_path / "data", api_prefix="/api/v3") as app:
        assert app.settings.api_url.endswith("/api/v3")
        pull = app.add_example(example)
        app.send("pull_request", app.pull_request_payload(REPO, 1, "opened"))
        [run] = app.wait_for_runs(1)
        assert run.status is RunStatus.SUCCEEDED, run.errors
        assert len(submitted_reviews(pull)) == 1
