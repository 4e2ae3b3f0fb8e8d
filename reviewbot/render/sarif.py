"""Findings as a SARIF 2.1.0 log, for GitHub code scanning and other SARIF viewers.

The rule descriptors come from the rule docstrings (the same text `reviewbot rule CODE` prints);
skipped and partly analysed files become tool execution notifications.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePosixPath
from urllib.parse import quote

from reviewbot import __version__
from reviewbot.checks.registry import Rule, rule_by_code
from reviewbot.findings import FileError, Finding, Severity

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
SOURCE_ROOT = "%SRCROOT%"
FINGERPRINT_KEY = "reviewbot/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# A file that could not be analysed in full is worth a look, a bug in a rule more so.
NOTIFICATION_LEVELS = {"syntax": "warning", "skipped": "warning", "internal": "error"}


def render_sarif(findings: Sequence[Finding], errors: Sequence[FileError], rules: Sequence[type[Rule]]) -> str:
    return json.dumps(sarif_log(findings, errors, rules), indent=2, ensure_ascii=False) + "\n"


def sarif_log(findings: Sequence[Finding], errors: Sequence[FileError],
              rules: Sequence[type[Rule]]) -> dict[str, object]:
    """The log for one run. `rules` are described in `tool.driver.rules` (pass the rules that
    ran); a rule a finding names that is not among them is added."""
    catalog = list(rules)
    known = {rule.code for rule in catalog}
    for finding in findings:
        if finding.rule not in known:
            extra = rule_by_code(finding.rule)
            if extra is not None:
                catalog.append(extra)
                known.add(extra.code)
    index = {rule.code: position for position, rule in enumerate(catalog)}
    run: dict[str, object] = {
        "tool": {
            "driver": {
                "name": "reviewbot",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [rule_descriptor(rule) for rule in catalog],
            }
        },
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [notification(error) for error in errors],
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": [result(finding, index.get(finding.rule)) for finding in findings],
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def rule_descriptor(rule: type[Rule]) -> dict[str, object]:
    doc = rule.doc()
    what = " ".join(rule.doc_sections().get("What it does", "").split())
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": what or rule.summary(), "markdown": doc},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "category": rule.category,
            "principle": str(rule.principle),
            "tags": ["performance", str(rule.principle), rule.category],
            "preview": rule.preview,
        },
    }


def result(finding: Finding, rule_index: int | None) -> dict[str, object]:
    region: dict[str, int] = {
        "startLine": finding.line,
        "startColumn": finding.column,
        "endLine": finding.end_line,
    }
    if finding.end_column > 0:
        region["endColumn"] = finding.end_column
    entry: dict[str, object] = {
        "ruleId": finding.rule,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(finding.path), "region": region}}],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {"category": finding.category, "principle": finding.principle, "context": finding.context},
    }
    if rule_index is not None:
        entry["ruleIndex"] = rule_index
    if finding.explanation:
        entry["properties"]["explanation"] = finding.explanation  # type: ignore[index]
    return entry


def notification(error: FileError) -> dict[str, object]:
    return {
        "level": NOTIFICATION_LEVELS.get(error.kind, "warning"),
        "message": {"text": f"{error.path}: {error.message}"},
        "descriptor": {"id": error.kind},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(error.path)}}],
    }


def artifact_location(path: str) -> dict[str, str]:
    """A project-relative path as a URI reference against %SRCROOT%; an absolute path (a file
    outside the project) as a file URI."""
    posix = PurePosixPath(path)
    if posix.is_absolute():
        return {"uri": "file://" + quote(path)}
    return {"uri": quote(path), "uriBaseId": SOURCE_ROOT}
