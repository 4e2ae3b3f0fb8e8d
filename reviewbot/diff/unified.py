"""Parsing unified diffs (git diff output, or the `patch` field of GitHub's PR files) with unidiff."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError


class DiffError(ValueError):
    """The text is not a unified diff we can read."""


@dataclass(frozen=True, slots=True)
class Hunk:
    """New-side line range `start..end` (inclusive) of one hunk; `added` are its `+` lines."""

    start: int
    end: int
    added: frozenset[int]


@dataclass(frozen=True)
class FileDiff:
    path: str
    old_path: str | None
    status: str  # added, modified, removed, renamed
    hunks: tuple[Hunk, ...]

    @property
    def added_lines(self) -> frozenset[int]:
        lines: set[int] = set()
        for hunk in self.hunks:
            lines |= hunk.added
        return frozenset(lines)

    def hunk_index(self, line: int) -> int | None:
        """Index of the hunk whose new-side range holds `line`: GitHub accepts RIGHT-side comments
        only there, and a multi-line comment only within one hunk."""
        starts = [h.start for h in self.hunks]
        i = bisect.bisect_right(starts, line) - 1
        if i >= 0 and self.hunks[i].start <= line <= self.hunks[i].end:
            return i
        return None

    def is_commentable(self, line: int) -> bool:
        return self.status != "removed" and self.hunk_index(line) is not None

    def touches(self, start: int, end: int, mode: str) -> bool:
        """Whether a finding spanning `start..end` passes the diff filter `mode`:
        `added` (a line in the span was added or changed), `hunk` (a line in the span is inside a
        hunk), `file` (the file is in the diff) or `all`."""
        if mode in ("all", "file"):
            return self.status != "removed"
        if mode == "hunk":
            return any(self.hunk_index(line) is not None for line in range(start, end + 1))
        if mode == "added":
            added = self.added_lines
            return any(line in added for line in range(start, end + 1))
        raise ValueError(f"unknown diff filter {mode!r}")


def parse_unified_diff(text: str) -> dict[str, FileDiff]:
    """`git diff` output -> new path -> FileDiff. Raises DiffError on text that is not a diff."""
    try:
        patch = PatchSet(text)
    except UnidiffParseError as error:
        raise DiffError(f"not a unified diff: {error}") from None
    if not patch and text.strip():
        raise DiffError("not a unified diff: no file headers (---/+++ or diff --git) found")
    result: dict[str, FileDiff] = {}
    for patched in patch:
        path = _strip_prefix(patched.target_file if not patched.is_removed_file else patched.source_file)
        old_path = _strip_prefix(patched.source_file) if not patched.is_added_file else None
        if patched.is_added_file:
            status = "added"
        elif patched.is_removed_file:
            status = "removed"
        elif old_path is not None and old_path != path:
            status = "renamed"
        else:
            status = "modified"
        hunks = tuple(
            Hunk(
                start=h.target_start,
                end=h.target_start + max(h.target_length, 1) - 1,
                added=frozenset(line.target_line_no for line in h if line.is_added and line.target_line_no),
            )
            for h in patched
        )
        result[path] = FileDiff(path=path, old_path=old_path, status=status, hunks=hunks)
    return result


def file_diff_from_patch(path: str, patch: str | None, status: str = "modified",
                         previous_path: str | None = None) -> FileDiff:
    """A FileDiff from the `patch` field of a GitHub PR file (hunks without file headers).
    A file without a patch (binary, or too large a diff) has no commentable lines."""
    if not patch:
        return FileDiff(path=path, old_path=previous_path, status=status, hunks=())
    source = previous_path or path
    header = f"--- a/{source}\n+++ b/{path}\n"
    if status == "added":
        header = f"--- /dev/null\n+++ b/{path}\n"
    parsed = parse_unified_diff(header + patch.rstrip("\n") + "\n")
    diff = next(iter(parsed.values()), None)
    hunks = diff.hunks if diff is not None else ()
    return FileDiff(path=path, old_path=previous_path, status=status, hunks=hunks)


def _strip_prefix(name: str) -> str:
    if name.startswith(("a/", "b/")):
        return name[2:]
    return name
