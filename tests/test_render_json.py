"""`--format json`: findings as Finding.to_dict() and errors, nothing else."""

from __future__ import annotations

import json

from reviewbot.findings import FileError
from reviewbot.render.json_output import render_json
from tests.builders import finding


def test_document_holds_findings_and_errors():
    text = render_json([finding()], [FileError("app/logo.py", "skipped", "binary file")])
    assert text.endswith("}\n")
    assert json.loads(text) == {
        "findings": [
            {
                "path": "app/client.py",
                "line": 5,
                "end_line": 5,
                "column": 12,
                "end_column": 29,
                "rule": "RB203",
                "name": "http-call-without-timeout",
                "category": "http-no-timeout",
                "severity": "warning",
                "principle": "async-processing",
                "message": "`requests.get` has no timeout",
                "fingerprint": "0123456789abcdef",
                "context": "handler",
            }
        ],
        "errors": [{"path": "app/logo.py", "kind": "skipped", "message": "binary file"}],
    }


def test_explanations_are_included_when_present():
    document = json.loads(render_json([finding(explanation="Waits forever.", suggestion="timeout=10")], []))
    assert document["findings"][0]["explanation"] == "Waits forever."
    assert document["findings"][0]["suggestion"] == "timeout=10"


def test_empty_run():
    assert json.loads(render_json([], [])) == {"findings": [], "errors": []}


def test_non_ascii_text_is_written_as_is():
    assert "café.py" in render_json([finding(path="app/café.py")], [])
