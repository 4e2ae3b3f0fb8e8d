"""What a review of a pull request on the fake GitHub must contain, computed independently of
the App: the analysis run directly on the head files and the patches GitHub shows."""

from __future__ import annotations

from reviewbot.analysis import analyze
from reviewbot.diff import file_diff_from_patch
from reviewbot.findings import Finding


def expected_findings(pull) -> list[Finding]:
    head = pull.repo.commits[pull.head_sha].files
    diffs = {entry["filename"]: file_diff_from_patch(entry["filename"], entry.get("patch"), entry["status"])
             for entry in pull.files if entry["filename"].endswith(".py") and entry["status"] != "removed"}
    models = {path: data for path, data in head.items() if path.endswith("models.py")}
    return analyze({path: head[path] for path in diffs}, diffs, model_sources=models).findings


def anchors_of(comments) -> list[tuple[str, int, int]]:
    """(path, first line, last line) of each inline comment; a one-line comment has no start_line."""
    return sorted((c["path"], c.get("start_line") or c["line"], c["line"]) for c in comments)


def expected_anchors(findings: list[Finding]) -> list[tuple[str, int, int]]:
    """Every finding of the example lies on added lines, so each is commented on its own span."""
    return sorted((f.path, f.line, max(f.end_line, f.line)) for f in findings)


def marker_fingerprint(body: str) -> str:
    last = body.rstrip().splitlines()[-1]
    assert last.startswith("<!-- reviewbot:v1 "), body
    return next(part.split("=", 1)[1] for part in last.split() if part.startswith("fp="))
