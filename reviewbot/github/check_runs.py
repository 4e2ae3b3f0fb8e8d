"""The `reviewbot/performance` check run: its conclusion, title and annotations.

GitHub takes at most 50 annotations per request and appends those of each update, so they are
sent in batches of 50; the request with the last batch also sets the conclusion. Annotations are not limited to
the diff, so every finding gets one, including those listed only in the review summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from reviewbot.findings import Finding, Severity
from reviewbot.github.transport import GitHubTransport
from reviewbot.render.review_plan import review_order

CHECK_NAME = "reviewbot/performance"
ANNOTATIONS_PER_REQUEST = 50
MAX_OUTPUT_CHARS = 65_535
MAX_TITLE_CHARS = 255
MAX_MESSAGE_CHARS = 64_000
ANNOTATION_LEVELS = {Severity.ERROR: "failure", Severity.WARNING: "warning", Severity.INFO: "notice"}


def check_conclusion(findings: Sequence[Finding], fail_on: Severity | None) -> str:
    """`success` without findings; `failure` when a finding is at least `fail_on`; otherwise
    `neutral`, so by default the check informs and never blocks a merge."""
    if not findings:
        return "success"
    if fail_on is not None and any(f.severity.rank >= fail_on.rank for f in findings):
        return "failure"
    return "neutral"


def check_title(findings: Sequence[Finding]) -> str:
    if not findings:
        return "No performance findings"
    counts = [(sum(1 for f in findings if f.severity is s), s) for s in (Severity.ERROR, Severity.WARNING,
                                                                        Severity.INFO)]
    parts = [f"{n} {s}{'s' if n != 1 and s is not Severity.INFO else ''}" for n, s in counts if n]
    noun = "finding" if len(findings) == 1 else "findings"
    return f"{len(findings)} performance {noun}: {', '.join(parts)}"


def annotation_for(finding: Finding) -> dict[str, Any]:
    """A check-run annotation. Annotations are plain text, so the message goes as it is."""
    end_line = max(finding.end_line, finding.line)
    annotation: dict[str, Any] = {
        "path": finding.path,
        "start_line": finding.line,
        "end_line": end_line,
        "annotation_level": ANNOTATION_LEVELS[finding.severity],
        "title": f"{finding.rule} {finding.name}"[:MAX_TITLE_CHARS],
        "message": finding.message[:MAX_MESSAGE_CHARS],
    }
    if end_line == finding.line and finding.column and finding.end_column > finding.column:
        annotation["start_column"] = finding.column
        annotation["end_column"] = finding.end_column
    if finding.explanation:
        annotation["raw_details"] = finding.explanation[:MAX_MESSAGE_CHARS]
    return annotation


def annotations_for(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    return [annotation_for(f) for f in review_order(findings)]


def create_check_run(api: GitHubTransport, repo: str, head_sha: str, *, name: str = CHECK_NAME,
                     details_url: str | None = None, external_id: str | None = None) -> int:
    """An in-progress check run; returns its id."""
    payload: dict[str, Any] = {"name": name, "head_sha": head_sha, "status": "in_progress"}
    if details_url:
        payload["details_url"] = details_url
    if external_id:
        payload["external_id"] = external_id
    _, data = api.write("POST", f"/repos/{repo}/check-runs", payload, endpoint="checks.create")
    return int(data["id"])


def complete_check_run(api: GitHubTransport, repo: str, check_run_id: int, *, conclusion: str, title: str,
                       summary: str, annotations: Sequence[dict[str, Any]] = ()) -> int:
    """Send the output in batches of 50 annotations, the conclusion with the last batch.
    Returns the number of requests made."""
    batches = _batches(annotations) or [[]]
    for index, batch in enumerate(batches):
        payload: dict[str, Any] = {"output": _output(title, summary, batch)}
        if index == len(batches) - 1:
            payload.update(status="completed", conclusion=conclusion)
        api.write("PATCH", f"/repos/{repo}/check-runs/{check_run_id}", payload, endpoint="checks.update")
    return len(batches)


def publish_check_run(api: GitHubTransport, repo: str, head_sha: str, *, conclusion: str, title: str,
                      summary: str, annotations: Sequence[dict[str, Any]] = (), name: str = CHECK_NAME,
                      external_id: str | None = None) -> int:
    """A completed check run: one request for at most 50 annotations; otherwise created in
    progress with the first 50 and completed by the update carrying the last ones. Returns its id."""
    batches = _batches(annotations) or [[]]
    payload: dict[str, Any] = {"name": name, "head_sha": head_sha, "output": _output(title, summary, batches[0])}
    if len(batches) == 1:
        payload.update(status="completed", conclusion=conclusion)
    else:
        payload["status"] = "in_progress"
    if external_id:
        payload["external_id"] = external_id
    _, data = api.write("POST", f"/repos/{repo}/check-runs", payload, endpoint="checks.create")
    check_run_id = int(data["id"])
    for index, batch in enumerate(batches[1:], start=2):
        update: dict[str, Any] = {"output": _output(title, summary, batch)}
        if index == len(batches):
            update.update(status="completed", conclusion=conclusion)
        api.write("PATCH", f"/repos/{repo}/check-runs/{check_run_id}", update, endpoint="checks.update")
    return check_run_id


def _batches(annotations: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [list(annotations[i:i + ANNOTATIONS_PER_REQUEST])
            for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)]


def _output(title: str, summary: str, annotations: list[dict[str, Any]]) -> dict[str, Any]:
    if len(summary) > MAX_OUTPUT_CHARS:
        summary = summary[: MAX_OUTPUT_CHARS - 20].rstrip() + "\n\n(shortened)"
    output: dict[str, Any] = {"title": title[:MAX_TITLE_CHARS], "summary": summary}
    if annotations:
        output["annotations"] = annotations
    return output
