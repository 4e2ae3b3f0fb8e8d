from __future__ import annotations

import pytest

from reviewbot.findings import Severity
from reviewbot.github import CHECK_NAME, GitHubApiError, annotations_for, check_conclusion
from reviewbot.github.check_runs import annotation_for, check_title
from tests.fakegithub import FakeGitHub
from tests.github.builders import make_finding

REPO = "octo/shop"


@pytest.fixture
def repo(fake_github: FakeGitHub):
    repo = fake_github.add_repo(REPO)
    repo.add_pull(1, {"a.py": "a = 1\n"}, {"a.py": "a = 2\n"})
    return repo


def _annotations(count: int):
    return annotations_for(make_finding(path=f"app/m{n:03}.py", line=n + 1) for n in range(count))


def test_120_annotations_complete_a_check_run_in_3_requests(fake_github, repo, client) -> None:
    head = repo.pulls[1].head_sha
    check_id = client.create_check_run(REPO, head)
    fake_github.reset_calls()

    requests = client.complete_check_run(REPO, check_id, conclusion="neutral", title="120 findings",
                                         summary="details", annotations=_annotations(120))

    run = repo.check_runs[check_id]
    assert requests == 3 and fake_github.count("PATCH", r"/check-runs/\d+$") == 3
    assert len(run["annotations"]) == 120
    assert (run["name"], run["head_sha"], run["status"], run["conclusion"]) == (CHECK_NAME, head, "completed",
                                                                              "neutral")
    assert run["output"]["title"] == "120 findings"


def test_publishing_a_check_run_with_120_annotations_takes_3_requests(fake_github, repo, client) -> None:
    check_id = client.publish_check_run(REPO, repo.pulls[1].head_sha, conclusion="failure", title="t", summary="s",
                                        annotations=_annotations(120))

    run = repo.check_runs[check_id]
    assert fake_github.count("POST", r"/check-runs$") == 1 and fake_github.count("PATCH", r"/check-runs/") == 2
    assert len(run["annotations"]) == 120 and (run["status"], run["conclusion"]) == ("completed", "failure")


def test_a_check_run_with_few_annotations_is_one_request(fake_github, repo, client) -> None:
    check_id = client.publish_check_run(REPO, repo.pulls[1].head_sha, conclusion="success", title="t", summary="s",
                                        annotations=_annotations(50))

    assert fake_github.count("POST", r"/check-runs$") == 1 and fake_github.count("PATCH") == 0
    assert repo.check_runs[check_id]["conclusion"] == "success"


def test_the_fake_refuses_more_than_50_annotations_per_request(repo, client) -> None:
    with pytest.raises(GitHubApiError) as raised:
        client.api.write("POST", f"/repos/{REPO}/check-runs",
                         {"name": CHECK_NAME, "head_sha": repo.pulls[1].head_sha,
                          "output": {"title": "t", "summary": "s", "annotations": _annotations(51)}},
                         endpoint="test")

    assert raised.value.status == 422


def test_conclusion_is_neutral_unless_a_threshold_is_set() -> None:
    warning, error = make_finding(), make_finding(severity=Severity.ERROR)

    assert check_conclusion([], None) == "success"
    assert check_conclusion([warning, error], None) == "neutral"
    assert check_conclusion([warning], Severity.ERROR) == "neutral"
    assert check_conclusion([warning, error], Severity.ERROR) == "failure"
    assert check_conclusion([warning], Severity.WARNING) == "failure"


def test_annotations_and_titles() -> None:
    single = make_finding(line=4, message="`requests.get` has no timeout <x>")
    ranged = make_finding(line=4, end_line=6, severity=Severity.INFO, explanation="Because.")

    assert annotation_for(single) == {"path": "app/views.py", "start_line": 4, "end_line": 4,
                                      "annotation_level": "warning", "title": "RB203 http-call-without-timeout",
                                      "message": "`requests.get` has no timeout <x>"}
    assert annotation_for(ranged)["annotation_level"] == "notice"
    assert annotation_for(ranged)["raw_details"] == "Because."
    assert check_title([]) == "No performance findings"
    assert check_title([single, ranged, make_finding(severity=Severity.ERROR)]) == (
        "3 performance findings: 1 error, 1 warning, 1 info")
