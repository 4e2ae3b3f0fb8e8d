"""The result types of an analysis: findings, severities and per-file errors."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def raised(self) -> Severity:
        return _BY_RANK[min(self.rank + 1, 2)]

    def lowered(self) -> Severity:
        return _BY_RANK[max(self.rank - 1, 0)]


_RANKS = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
_BY_RANK = {rank: severity for severity, rank in _RANKS.items()}


class Principle(StrEnum):
    """The five principles of the backend performance rule card."""

    CACHING = "caching"
    ASYNC_PROCESSING = "async-processing"
    QUERY_OPTIMIZATION = "query-optimization"
    CDN_STATIC_ASSETS = "cdn-static-assets"
    PAGINATION_LAZY_LOADING = "pagination-lazy-loading"


@dataclass(frozen=True, slots=True)
class Finding:
    """One reported problem. Lines and columns are 1-based; `end_line` is inclusive."""

    rule: str
    name: str
    category: str
    principle: str
    severity: Severity
    path: str
    line: int
    end_line: int
    column: int
    message: str
    fingerprint: str
    end_column: int = 0
    context: str = ""  # "handler", "task", "test", "migration", "script" or ""
    explanation: str | None = None
    suggestion: str | None = None

    def with_severity(self, severity: Severity) -> Finding:
        return replace(self, severity=severity)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "path": self.path,
            "line": self.line,
            "end_line": self.end_line,
            "column": self.column,
            "end_column": self.end_column,
            "rule": self.rule,
            "name": self.name,
            "category": self.category,
            "severity": str(self.severity),
            "principle": self.principle,
            "message": self.message,
            "fingerprint": self.fingerprint,
            "context": self.context,
        }
        if self.explanation is not None:
            data["explanation"] = self.explanation
        if self.suggestion is not None:
            data["suggestion"] = self.suggestion
        return data


@dataclass(frozen=True, slots=True)
class FileError:
    """A file that could not be analysed in full. `kind` says why:
    syntax (analysed as far as it parsed), skipped (binary, not UTF-8, too large, empty) or internal."""

    path: str
    kind: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "kind": self.kind, "message": self.message}


@dataclass(slots=True)
class AnalysisResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)


_WHITESPACE = re.compile(rb"\s+")


def fingerprint(rule: str, path: str, code: bytes, occurrence: int = 0) -> str:
    """A stable id for a finding: rule + path + the flagged code with white space folded.

    It does not depend on line numbers, so it survives code moving up or down in a later push.
    `occurrence` tells apart identical code flagged twice in one file.
    """
    digest = hashlib.sha256()
    digest.update(rule.encode())
    digest.update(b"\0")
    digest.update(path.encode())
    digest.update(b"\0")
    digest.update(_WHITESPACE.sub(b" ", code.strip()))
    digest.update(b"\0%d" % occurrence)
    return digest.hexdigest()[:16]
