"""Patches as GitHub shows them in a PR's file list, and the lines GitHub lets a review comment on.

Written independently of `reviewbot.diff` on purpose: the fake must judge anchors the way GitHub
does, not the way the code under test thinks it does.
"""

from __future__ import annotations

import difflib
import hashlib
import re

_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def git_blob_sha(data: bytes) -> str:
    """The SHA git gives a blob with this content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:8000]


def make_patch(old: bytes | None, new: bytes | None, context: int = 3) -> str | None:
    """The `patch` field: hunks only, no file headers. None for binary content, as GitHub sends."""
    if (old is not None and is_binary(old)) or (new is not None and is_binary(new)):
        return None
    old_lines = old.decode("utf-8", errors="replace").splitlines() if old else []
    new_lines = new.decode("utf-8", errors="replace").splitlines() if new else []
    diff = list(difflib.unified_diff(old_lines, new_lines, lineterm="", n=context))
    if not diff:
        return None
    return "\n".join(diff[2:])


def patch_stats(patch: str | None) -> tuple[int, int]:
    """(additions, deletions) of a patch."""
    if not patch:
        return 0, 0
    additions = sum(1 for line in patch.split("\n") if line.startswith("+"))
    deletions = sum(1 for line in patch.split("\n") if line.startswith("-"))
    return additions, deletions


def right_side_lines(patch: str | None) -> dict[int, int]:
    """New-file line number -> index of the hunk holding it, for every line (added or context)
    a RIGHT-side review comment may be placed on."""
    lines: dict[int, int] = {}
    if not patch:
        return lines
    hunk = -1
    new_line = 0
    for text in patch.split("\n"):
        header = _HUNK_HEADER.match(text)
        if header:
            hunk += 1
            new_line = int(header.group(3))
            continue
        if hunk < 0 or not text or text.startswith("\\"):
            continue
        if text.startswith("-"):
            continue
        lines[new_line] = hunk
        new_line += 1
    return lines
