"""Findings and file contents for the GitHub tests."""

from __future__ import annotations

import hashlib

from reviewbot.findings import Finding, Severity

PRINCIPLES = {"RB1": "query-optimization", "RB2": "async-processing", "RB3": "caching", "RB4": "cdn-static-assets",
              "RB5": "pagination-lazy-loading"}


def make_finding(path: str = "app/views.py", line: int = 3, end_line: int | None = None, *, rule: str = "RB203",
                 name: str = "http-call-without-timeout", severity: Severity = Severity.WARNING,
                 message: str = "`requests.get` has no timeout", fingerprint: str | None = None,
                 explanation: str | None = None, suggestion: str | None = None) -> Finding:
    return Finding(rule=rule, name=name, category="test", principle=PRINCIPLES.get(rule[:3], "caching"),
                   severity=severity, path=path, line=line, end_line=end_line if end_line is not None else line,
                   column=5, message=message, fingerprint=fingerprint or _fingerprint(rule, path, line),
                   explanation=explanation, suggestion=suggestion)


def numbered_lines(count: int, template: str = "x{n} = {n}") -> str:
    return "".join(template.format(n=n) + "\n" for n in range(1, count + 1))


def _fingerprint(rule: str, path: str, line: int) -> str:
    return hashlib.sha256(f"{rule}:{path}:{line}".encode()).hexdigest()[:16]
