"""A sample finding for the renderer tests."""

from __future__ import annotations

from dataclasses import replace

from reviewbot.findings import Finding, Severity

SAMPLE_FINDING = Finding(
    rule="RB203", name="http-call-without-timeout", category="http-no-timeout", principle="async-processing",
    severity=Severity.WARNING, path="app/client.py", line=5, end_line=5, column=12, end_column=29,
    message="`requests.get` has no timeout", fingerprint="0123456789abcdef", context="handler",
)


def finding(**changes: object) -> Finding:
    """SAMPLE_FINDING with `changes` applied."""
    return replace(SAMPLE_FINDING, **changes)  # type: ignore[arg-type]
