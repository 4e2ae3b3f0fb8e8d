"""Findings as JSON for scripts: `{"findings": [...], "errors": [...]}`."""

from __future__ import annotations

import json
from collections.abc import Sequence

from reviewbot.findings import FileError, Finding


def render_json(findings: Sequence[Finding], errors: Sequence[FileError]) -> str:
    """Each finding as `Finding.to_dict()` (path, line, end_line, column, rule, name, category,
    severity, principle, message, fingerprint, ...) and each skipped or partly analysed file as
    `{"path", "kind", "message"}`."""
    document = {
        "findings": [finding.to_dict() for finding in findings],
        "errors": [error.to_dict() for error in errors],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
