"""Markers of earlier reviews, and resolving the threads of fixed findings."""

from __future__ import annotations

import pytest

from reviewbot.github import plan_review
from reviewbot.render.markdown import ReviewStats, comment_body, review_summary
from tests.fakegithub import FakeGitHub
from tests.github.builders import make_finding, numbered_lines

REPO = "octo/shop"
BASE = numbered_lines(40)
HEAD = BASE.replace("x10 = 10\n", "x10 = a()\n").replace("x30 = 30\n", "x30 = b()\n")


@pytest.fixture
def pull(fake_github: FakeGitHub):
    return fake_github.add_repo(REPO).add_pull(5, {"app/views.py": BASE}, {"app/views.py": HEAD})


def _post(client, pull, findings):
    diffs = {f.path: f.diff for f in client.changed_files(REPO, pull.number)}
    plan = plan_review(findings, diffs)
    body = review_summary(plan.inline_findings, plan.in_summary, [], ReviewStats(head_sha=pull.head_sha))
    return client.post_review(REPO, pull.number, pull.head_sha, body, plan.inline)


def test_existing_markers_come_from_threads_and_summaries_in_one_query(fake_github, client, pull) -> None:
    inline, outside = make_finding(line=10), make_finding(line=20, rule="RB101")
    posted = _post(client, pull, [inline, outside])
    fake_github.reset_calls()

    markers = client.existing_markers(REPO, 5)

    assert fake_github.api_calls() == 1
    assert markers.fingerprints == {inline.fingerprint, outside.fingerprint}
    assert markers.reviewed_heads == {pull.head_sha}
    (thread,) = markers.threads
    assert (thread.fingerprint, thread.path, thread.line, thread.is_resolved) == (inline.fingerprint,
                                                                                  "app/views.py", 10, False)
    assert thread.comment_id == pull.comments[0]["id"] and not thread.has_human_reply
    assert markers.summaries[0].review_id == posted.review_id


def test_a_person_cannot_forge_a_marker(fake_github, client, pull) -> None:
    forged = make_finding(line=30, fingerprint="ffffffffffffffff")
    pull.add_human_comment("app/views.py", 30, comment_body(forged), login="mallory")

    markers = client.existing_markers(REPO, 5)

    assert markers.threads == () and markers.fingerprints == frozenset()


def test_markers_only_count_for_the_apps_own_bot(fake_github, client, pull) -> None:
    _post(client, pull, [make_finding(line=10)])

    assert len(client.existing_markers(REPO, 5, bot_login="reviewbot[bot]").threads) == 1
    assert client.existing_markers(REPO, 5, bot_login="another-app[bot]").threads == ()


def test_markers_follow_every_page(fake_github, client, pull) -> None:
    fake_github.graphql_page_size = 2
    findings = [make_finding(line=n) for n in (8, 9, 10, 11, 12)]
    _post(client, pull, findings)
    _post(client, pull, [make_finding(line=20, rule="RB101")])
    _post(client, pull, [make_finding(line=21, rule="RB101")])
    fake_github.reset_calls()

    markers = client.existing_markers(REPO, 5)

    assert len(markers.threads) == 5 and len(markers.summaries) == 3
    assert fake_github.count("POST", "/graphql") == 3  # threads 2+2+1, reviews 2+1


def test_fixed_findings_threads_are_resolved_with_a_reply(fake_github, client, pull) -> None:
    fixed, still_there, discussed = make_finding(line=10), make_finding(line=30), make_finding(line=11)
    _post(client, pull, [fixed, still_there, discussed])
    discussed_comment = next(c for c in pull.comments if c["line"] == 11)
    pull.add_reply(discussed_comment["id"], "We need this, see the benchmark.")
    new_head = pull.push({"app/views.py": BASE.replace("x30 = 30\n", "x30 = b()\n")})
    markers = client.existing_markers(REPO, 5)
    fake_github.reset_calls()

    outcome = client.resolve_fixed_threads(new_head, {still_there.fingerprint}, markers,
                                           analysed_paths={"app/views.py"})

    fixed_thread = next(t for t in pull.threads if t.line == 10)
    assert outcome.resolved == (fixed_thread.thread_id,) and outcome.kept_with_replies == 1
    assert outcome.errors == ()
    assert [t.line for t in pull.threads if t.is_resolved] == [10]
    reply = pull.comments[-1]
    assert reply["in_reply_to_id"] == fixed_thread.comment_ids[0]
    assert reply["body"].startswith(f"Fixed in {new_head}.")
    assert len(pull.comments) == 5  # nothing deleted: 3 findings, a reply by a person, our reply
    assert fake_github.api_calls() == 2  # one mutation resolves every thread, one replies to the resolved


def test_a_thread_reopened_after_we_resolved_it_stays_open(fake_github, client, pull) -> None:
    _post(client, pull, [make_finding(line=10)])
    client.resolve_fixed_threads(pull.head_sha, set(), client.existing_markers(REPO, 5))
    pull.threads[0].is_resolved = False  # someone reopened it
    markers = client.existing_markers(REPO, 5)

    outcome = client.resolve_fixed_threads(pull.head_sha, set(), markers)

    assert markers.threads[0].has_fix_reply and not markers.threads[0].has_human_reply
    assert outcome.resolved == () and not pull.threads[0].is_resolved
    assert sum(1 for c in pull.comments if c["body"].startswith("Fixed in")) == 1


def test_threads_in_files_not_analysed_are_left_alone(fake_github, client, pull) -> None:
    _post(client, pull, [make_finding(line=10)])
    markers = client.existing_markers(REPO, 5)

    outcome = client.resolve_fixed_threads(pull.head_sha, set(), markers, analysed_paths=set())

    assert outcome.resolved == () and not any(t.is_resolved for t in pull.threads)
    assert fake_github.count("POST", "/graphql") == 1  # only the markers query


def test_resolving_without_permission_is_reported_not_raised(fake_github, client, pull) -> None:
    _post(client, pull, [make_finding(line=10)])
    fake_github.forbid_thread_resolution = True
    markers = client.existing_markers(REPO, 5)

    outcome = client.resolve_fixed_threads(pull.head_sha, set(), markers)

    assert outcome.resolved == ()
    assert outcome.errors == ("Resource not accessible by integration",)
    assert not any(t.is_resolved for t in pull.threads)
    assert len(pull.comments) == 1  # no "Fixed in" reply on a thread left open
