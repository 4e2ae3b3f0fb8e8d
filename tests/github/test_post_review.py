"""Posting one review: inline anchors, refused anchors, failed requests that still created the
review, rate limits, and not repeating findings on a later push."""

from __future__ import annotations

import pytest

from reviewbot.findings import Severity
from reviewbot.github import GitHubApiError, plan_review
from reviewbot.render.markdown import ReviewStats, parse_marker, review_summary
from reviewbot.render.review_plan import InlineComment
from tests.fakegithub import FakeGitHub
from tests.github.builders import make_finding, numbered_lines

REPO = "octo/shop"
BASE = numbered_lines(40)
# Lines 10 and 30 change: hunks cover new lines 7-13 and 27-33.
HEAD = BASE.replace("x10 = 10\n", "x10 = requests.get(url)\n").replace("x30 = 30\n", "x30 = cache.set(k, v)\n")


@pytest.fixture
def pull(fake_github: FakeGitHub):
    return fake_github.add_repo(REPO).add_pull(5, {"app/views.py": BASE}, {"app/views.py": HEAD})


def _plan_and_body(client, pull, findings, **plan_options):
    files = client.changed_files(REPO, pull.number)
    diffs = {f.path: f.diff for f in files}
    plan = plan_review(findings, diffs, **plan_options)
    body = review_summary(plan.inline_findings, plan.in_summary, [], ReviewStats(head_sha=pull.head_sha,
                                                                                 already_posted=len(plan.already_posted)))
    return plan, body


def _submitted(pull):
    return [r for r in pull.reviews if r["state"] != "PENDING"]


def test_one_review_with_single_and_multi_line_comments(fake_github, client, pull) -> None:
    single = make_finding(line=10, message="`requests.get` has no timeout")
    ranged = make_finding(line=29, end_line=31, rule="RB301", name="cache-without-expiry", message="no TTL")
    outside = make_finding(line=20, rule="RB101", name="n-plus-one-query", severity=Severity.ERROR)
    plan, body = _plan_and_body(client, pull, [single, ranged, outside])

    posted = client.post_review(REPO, 5, pull.head_sha, body, plan.inline)

    assert [r["id"] for r in _submitted(pull)] == [posted.review_id]
    review = pull.reviews[0]
    assert (review["state"], review["commit_id"], review["body"]) == ("COMMENTED", pull.head_sha, body)
    comments = sorted(pull.comments, key=lambda c: c["line"])
    assert [(c["path"], c["start_line"], c["line"], c["side"]) for c in comments] == [
        ("app/views.py", None, 10, "RIGHT"), ("app/views.py", 29, 31, "RIGHT")]
    assert parse_marker(comments[0]["body"]).fingerprint == single.fingerprint
    assert "`app/views.py:20` **RB101**" in review["body"]  # outside the diff: in the summary
    assert posted.rejected == () and not posted.recovered
    assert fake_github.count("POST", r"/reviews$") == 1


def test_a_refused_anchor_moves_to_the_summary_and_the_rest_is_posted(fake_github, client, pull) -> None:
    good = [make_finding(line=n) for n in (8, 10, 12, 28, 30, 32)]
    stale = make_finding(line=20, message="`stale` anchor")  # our diff says commentable, GitHub's does not
    plan, body = _plan_and_body(client, pull, good)
    comments = sorted([*plan.inline, InlineComment(stale, line=20)], key=lambda c: c.line)

    posted = client.post_review(REPO, 5, pull.head_sha, body, comments)

    assert [c.finding for c in posted.rejected] == [stale]
    assert sorted(c.line for c in posted.inline) == [8, 10, 12, 28, 30, 32]
    assert len(pull.reviews) == 1 and pull.reviews[0]["state"] == "COMMENTED"  # probes left nothing behind
    assert sorted(c["line"] for c in pull.comments) == [8, 10, 12, 28, 30, 32]
    stored = pull.reviews[0]["body"]
    assert "**Not accepted by GitHub as inline comments:**\n\n- `app/views.py:20`" in stored
    assert stale.fingerprint in parse_marker(stored).fingerprints
    assert fake_github.count("POST", r"/reviews$") >= 3  # the refused review, probes, the real one


def test_several_refused_anchors_are_all_found(fake_github, client, pull) -> None:
    comments = [InlineComment(make_finding(line=n), line=n) for n in (8, 18, 10, 21, 28, 3, 32)]
    body = review_summary([c.finding for c in comments], [], [], ReviewStats(head_sha=pull.head_sha))

    posted = client.post_review(REPO, 5, pull.head_sha, body, comments)

    assert sorted(c.line for c in posted.rejected) == [3, 18, 21]
    assert sorted(c["line"] for c in pull.comments) == [8, 10, 28, 32]
    assert len(_submitted(pull)) == 1 and len(pull.reviews) == 1


def test_when_probing_is_not_possible_every_unconfirmed_comment_goes_to_the_summary(fake_github, client,
                                                                                   pull) -> None:
    comments = [InlineComment(make_finding(line=n), line=n) for n in (8, 20)]
    body = review_summary([c.finding for c in comments], [], [], ReviewStats(head_sha=pull.head_sha))
    fake_github.inject("POST", r"/reviews$", 422, times=1)  # the first real attempt, generic 422
    fake_github.faults[-1].body = {"message": "Unprocessable Entity",
                                   "errors": ["Pull request review thread line must be part of the diff"]}
    fake_github.inject("POST", r"/reviews$", 500, times=1)  # the first probe fails outright

    posted = client.post_review(REPO, 5, pull.head_sha, body, comments)

    assert sorted(c.line for c in posted.rejected) == [8, 20]
    assert posted.inline == ()
    assert len(pull.reviews) == 1 and pull.comments == []
    assert "- `app/views.py:8`" in pull.reviews[0]["body"] and "- `app/views.py:20`" in pull.reviews[0]["body"]


def test_a_502_after_github_created_the_review_does_not_post_it_twice(fake_github, client, recorded_sleeps,
                                                                       pull) -> None:
    plan, body = _plan_and_body(client, pull, [make_finding(line=10), make_finding(line=30)])
    fake_github.inject("POST", r"/pulls/5/reviews$", 502, after=True)

    posted = client.post_review(REPO, 5, pull.head_sha, body, plan.inline)

    assert posted.recovered
    assert [r["id"] for r in pull.reviews] == [posted.review_id]
    assert len(pull.comments) == 2
    assert fake_github.count("POST", r"/pulls/5/reviews$") == 1
    assert fake_github.count("GET", r"/pulls/5/reviews$") == 1
    assert recorded_sleeps == [1.0]


def test_a_502_before_github_created_the_review_posts_it_again_once(fake_github, client, pull) -> None:
    plan, body = _plan_and_body(client, pull, [make_finding(line=10)])
    fake_github.inject("POST", r"/pulls/5/reviews$", 502)

    posted = client.post_review(REPO, 5, pull.head_sha, body, plan.inline)

    assert not posted.recovered
    assert [r["id"] for r in pull.reviews] == [posted.review_id]
    assert fake_github.count("POST", r"/pulls/5/reviews$") == 2


def test_a_rate_limited_post_waits_checks_and_posts(fake_github, client, recorded_sleeps, pull) -> None:
    plan, body = _plan_and_body(client, pull, [make_finding(line=10)])
    fake_github.inject("POST", r"/pulls/5/reviews$", 403, headers={"Retry-After": "1"})

    posted = client.post_review(REPO, 5, pull.head_sha, body, plan.inline)

    assert recorded_sleeps == [1.0]
    assert [r["id"] for r in pull.reviews] == [posted.review_id]
    assert [c.method for c in fake_github.calls if "/reviews" in c.path] == ["POST", "GET", "POST"]


def test_a_post_that_keeps_failing_raises_after_three_attempts(fake_github, client, pull) -> None:
    plan, body = _plan_and_body(client, pull, [make_finding(line=10)])
    fake_github.inject("POST", r"/pulls/5/reviews$", 503, times=5)

    with pytest.raises(GitHubApiError) as raised:
        client.post_review(REPO, 5, pull.head_sha, body, plan.inline)

    assert raised.value.status == 503 and raised.value.is_transient
    assert fake_github.count("POST", r"/pulls/5/reviews$") == 3
    assert pull.reviews == []


def test_a_leftover_pending_review_is_cleared_first(fake_github, client, pull) -> None:
    client.api.write("POST", f"/repos/{REPO}/pulls/5/reviews", {"commit_id": pull.head_sha}, endpoint="test")
    plan, body = _plan_and_body(client, pull, [make_finding(line=10)])

    posted = client.post_review(REPO, 5, pull.head_sha, body, plan.inline)

    assert [(r["id"], r["state"]) for r in pull.reviews] == [(posted.review_id, "COMMENTED")]


def test_findings_already_posted_are_not_posted_again_after_a_push(fake_github, client, pull) -> None:
    first = [make_finding(line=10), make_finding(line=30, rule="RB301"), make_finding(line=20, rule="RB101")]
    plan, body = _plan_and_body(client, pull, first)
    client.post_review(REPO, 5, pull.head_sha, body, plan.inline)

    pull.push({"app/views.py": HEAD.replace("x12 = 12\n", "x12 = requests.post(url)\n")})
    second = [*first, make_finding(line=12)]
    markers = client.existing_markers(REPO, 5)
    plan, body = _plan_and_body(client, pull, second, posted=markers.fingerprints)

    assert markers.fingerprints == {f.fingerprint for f in first}  # inline and summary-only alike
    assert [c.finding for c in plan.inline] == [second[-1]] and plan.in_summary == ()
    assert sorted(f.line for f in plan.already_posted) == [10, 20, 30]
    posted = client.post_review(REPO, 5, pull.head_sha, body, plan.inline)
    assert len(_submitted(pull)) == 2 and len(posted.inline) == 1
    assert "1 inline comment. 3 findings already reported by earlier reviews are not repeated." in body


def test_an_unknown_review_event_is_refused_before_any_request(fake_github, client, pull) -> None:
    with pytest.raises(ValueError):
        client.post_review(REPO, 5, pull.head_sha, "body", [], event="MERGE")
    assert fake_github.api_calls() == 0
