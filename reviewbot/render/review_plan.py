"""Which findings become inline review comments and which go to the review summary.

GitHub accepts a RIGHT-side comment only on a line inside a hunk of the file's patch, and a
multi-line comment only when `start_line < line` within one hunk. A review with hundreds of
comments buries the pull request, so at most `max_inline` findings are placed inline; the rest
are listed in the summary. Nothing is dropped: every finding ends up inline, in the summary, or
counted as already posted by an earlier review.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from reviewbot.diff import FileDiff
from reviewbot.findings import Finding

DEFAULT_MAX_INLINE = 50


class SummaryReason(StrEnum):
    """Why a finding is listed in the summary instead of commented inline."""

    OUTSIDE_DIFF = "outside-diff"  # no line of its span is inside a hunk
    OVER_LIMIT = "over-limit"  # the review already holds `max_inline` comments
    REJECTED = "rejected"  # GitHub refused the anchor (the diff it sees differs from ours)


@dataclass(frozen=True, slots=True)
class InlineComment:
    """A finding anchored on RIGHT-side lines `start_line..line` (`start_line` None: one line)."""

    finding: Finding
    line: int
    start_line: int | None = None

    @property
    def path(self) -> str:
        return self.finding.path

    @property
    def first_line(self) -> int:
        return self.start_line if self.start_line is not None else self.line

    @property
    def covers_finding(self) -> bool:
        """Whether the anchor spans exactly the finding's lines: only then may a ```suggestion
        block replace them, since GitHub applies it to the anchored lines."""
        return self.first_line == self.finding.line and self.line == self.finding.end_line

    @property
    def anchor(self) -> str:
        """`path:line` or `path:start-end`, as shown to readers."""
        if self.start_line is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.start_line}-{self.line}"


@dataclass(frozen=True, slots=True)
class SummaryItem:
    finding: Finding
    reason: SummaryReason


@dataclass(frozen=True)
class ReviewPlan:
    inline: tuple[InlineComment, ...]
    in_summary: tuple[SummaryItem, ...]
    already_posted: tuple[Finding, ...]

    @property
    def inline_findings(self) -> tuple[Finding, ...]:
        return tuple(comment.finding for comment in self.inline)

    @property
    def has_new_findings(self) -> bool:
        return bool(self.inline or self.in_summary)


def review_key(finding: Finding) -> tuple[int, str, int, int, int, str, str]:
    """Most severe first, then by place: the order of comments, summary lists and annotations."""
    return (-finding.severity.rank, finding.path, finding.line, finding.end_line, finding.column, finding.rule,
            finding.fingerprint)


def review_order(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=review_key)


def plan_review(findings: Iterable[Finding], diffs: Mapping[str, FileDiff] | None, *,
                max_inline: int = DEFAULT_MAX_INLINE, posted: Collection[str] = ()) -> ReviewPlan:
    """Split `findings` into inline comments and summary items.

    `diffs` maps a path to its diff; a path missing from it has no commentable line. With
    `diffs=None` (a local run with no diff) every finding counts as commentable on its own lines.
    `posted` holds fingerprints an earlier review already reported: those are not repeated.
    """
    inline: list[InlineComment] = []
    in_summary: list[SummaryItem] = []
    already: list[Finding] = []
    seen: set[str] = set()
    for finding in review_order(findings):
        if finding.fingerprint in seen:
            continue
        seen.add(finding.fingerprint)
        if finding.fingerprint in posted:
            already.append(finding)
            continue
        comment = anchor_for(finding, None if diffs is None else diffs.get(finding.path), diffs is None)
        if comment is None:
            in_summary.append(SummaryItem(finding, SummaryReason.OUTSIDE_DIFF))
        elif len(inline) >= max_inline:
            in_summary.append(SummaryItem(finding, SummaryReason.OVER_LIMIT))
        else:
            inline.append(comment)
    return ReviewPlan(inline=tuple(inline), in_summary=tuple(in_summary), already_posted=tuple(already))


def anchor_for(finding: Finding, diff: FileDiff | None, without_diff: bool = False) -> InlineComment | None:
    """The RIGHT-side anchor for `finding`: its span clipped to the first hunk it overlaps.
    None when no line of the span is commentable."""
    first, last = finding.line, max(finding.end_line, finding.line)
    if without_diff:
        return _comment(finding, first, last)
    if diff is None or diff.status == "removed" or not diff.hunks:
        return None
    for hunk in diff.hunks:
        if hunk.end < first or hunk.start > last:
            continue
        return _comment(finding, max(first, hunk.start), min(last, hunk.end))
    return None


def _comment(finding: Finding, start: int, end: int) -> InlineComment:
    if start < end:
        return InlineComment(finding=finding, line=end, start_line=start)
    return InlineComment(finding=finding, line=start)
