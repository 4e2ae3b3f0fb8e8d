from __future__ import annotations

from reviewbot.diff import file_diff_from_patch
from reviewbot.findings import Severity
from reviewbot.render.review_plan import InlineComment, SummaryReason, plan_review
from tests.github.builders import make_finding

# New-side hunks: lines 10-16 and 30-36 of app/views.py.
PATCH = (
    "@@ -10,6 +10,7 @@ def a():\n"
    " l10\n l11\n l12\n+l13\n l14\n l15\n l16\n"
    "@@ -29,6 +30,7 @@ def b():\n"
    " l30\n l31\n l32\n+l33\n l34\n l35\n l36"
)
DIFFS = {"app/views.py": file_diff_from_patch("app/views.py", PATCH)}


def test_a_multi_line_finding_inside_one_hunk_becomes_a_range_comment() -> None:
    finding = make_finding(line=12, end_line=14)

    plan = plan_review([finding], DIFFS)

    assert plan.inline == (InlineComment(finding, line=14, start_line=12),)
    assert plan.inline[0].covers_finding
    assert plan.inline[0].anchor == "app/views.py:12-14"


def test_a_single_line_finding_has_no_start_line() -> None:
    plan = plan_review([make_finding(line=13)], DIFFS)

    assert plan.inline[0].start_line is None and plan.inline[0].line == 13


def test_a_span_leaving_its_hunk_is_clipped_to_the_hunk() -> None:
    starts_before = make_finding(line=5, end_line=11)
    ends_after = make_finding(line=35, end_line=40)

    plan = plan_review([starts_before, ends_after], DIFFS)

    anchors = {c.finding.line: (c.start_line, c.line) for c in plan.inline}
    assert anchors == {5: (10, 11), 35: (35, 36)}
    assert not any(c.covers_finding for c in plan.inline)


def test_a_span_over_two_hunks_stays_within_the_first() -> None:
    plan = plan_review([make_finding(line=15, end_line=32)], DIFFS)

    assert (plan.inline[0].start_line, plan.inline[0].line) == (15, 16)


def test_a_span_ending_where_a_hunk_starts_is_a_single_line_comment() -> None:
    plan = plan_review([make_finding(line=25, end_line=30)], DIFFS)

    assert (plan.inline[0].start_line, plan.inline[0].line) == (None, 30)


def test_findings_outside_the_hunks_go_to_the_summary() -> None:
    between = make_finding(line=20)
    other_file = make_finding(path="app/other.py", line=1)
    no_patch = make_finding(path="app/big.py", line=1)
    removed = make_finding(path="app/gone.py", line=1)
    diffs = {**DIFFS, "app/big.py": file_diff_from_patch("app/big.py", None),
             "app/gone.py": file_diff_from_patch("app/gone.py", "@@ -1,2 +0,0 @@\n-a\n-b", "removed")}

    plan = plan_review([between, other_file, no_patch, removed], diffs)

    assert plan.inline == ()
    assert {(item.finding.path, item.reason) for item in plan.in_summary} == {
        ("app/views.py", SummaryReason.OUTSIDE_DIFF), ("app/other.py", SummaryReason.OUTSIDE_DIFF),
        ("app/big.py", SummaryReason.OUTSIDE_DIFF), ("app/gone.py", SummaryReason.OUTSIDE_DIFF)}


def test_at_most_max_inline_comments_the_rest_in_the_summary_most_severe_first() -> None:
    patch = "@@ -0,0 +1,80 @@\n" + "\n".join(f"+line {n}" for n in range(1, 81))
    diffs = {"app/a.py": file_diff_from_patch("app/a.py", patch, "added")}
    warnings = [make_finding(path="app/a.py", line=n) for n in range(1, 61)]
    errors = [make_finding(path="app/a.py", line=n, rule="RB201", severity=Severity.ERROR) for n in (70, 75)]

    plan = plan_review(warnings + errors, diffs, max_inline=50)

    assert len(plan.inline) == 50
    assert [c.line for c in plan.inline[:3]] == [70, 75, 1]
    assert [item.reason for item in plan.in_summary] == [SummaryReason.OVER_LIMIT] * 12
    assert [item.finding.line for item in plan.in_summary] == list(range(49, 61))


def test_already_posted_fingerprints_are_not_planned_again() -> None:
    old, new = make_finding(line=12), make_finding(line=13)

    plan = plan_review([old, new], DIFFS, posted={old.fingerprint})

    assert plan.inline_findings == (new,)
    assert plan.already_posted == (old,)
    assert plan.has_new_findings


def test_the_order_is_deterministic() -> None:
    findings = [make_finding(path=p, line=n) for p in ("b.py", "a.py") for n in (3, 1)]
    shuffled = [findings[2], findings[0], findings[3], findings[1]]

    assert plan_review(findings, None) == plan_review(shuffled, None)
    assert [c.anchor for c in plan_review(findings, None).inline] == ["a.py:1", "a.py:3", "b.py:1", "b.py:3"]


def test_without_diffs_every_finding_is_placed_on_its_own_lines() -> None:
    plan = plan_review([make_finding(line=4, end_line=6)], None)

    assert (plan.inline[0].start_line, plan.inline[0].line) == (4, 6)
