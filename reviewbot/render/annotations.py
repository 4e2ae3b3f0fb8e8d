"""Findings as GitHub Actions workflow commands: each becomes an annotation on the pull request's
"Files changed" tab when `reviewbot check --format github` runs in a workflow.

`::warning file=app/api.py,line=12,endLine=12,col=5,title=RB203 http-call-without-timeout::message`
"""

from __future__ import annotations

from collections.abc import Sequence

from reviewbot.findings import FileError, Finding, Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
ERROR_TITLES = {
    "syntax": "reviewbot: syntax error",
    "skipped": "reviewbot: file skipped",
    "internal": "reviewbot: internal error",
}


def render_annotations(findings: Sequence[Finding], errors: Sequence[FileError]) -> str:
    lines = [annotation(finding) for finding in findings]
    lines += [error_annotation(error) for error in errors]
    return "".join(line + "\n" for line in lines)


def annotation(finding: Finding) -> str:
    properties = {
        "file": finding.path,
        "line": str(finding.line),
        "endLine": str(finding.end_line),
        "col": str(finding.column),
        "title": f"{finding.rule} {finding.name}",
    }
    return workflow_command(COMMANDS[finding.severity], properties, finding.message)


def error_annotation(error: FileError) -> str:
    command = "error" if error.kind == "internal" else "warning"
    title = ERROR_TITLES.get(error.kind, f"reviewbot: {error.kind}")
    return workflow_command(command, {"file": error.path, "title": title}, error.message)


def workflow_command(command: str, properties: dict[str, str], message: str) -> str:
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{command} {rendered}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """The message part: `%`, CR and LF would end or corrupt the command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: also `:` and `,`, which separate the properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
