"""A proposed fix is posted only when the checks themselves agree it is one.

The replacement is spliced into the file in place of the flagged lines; the patched file must parse
cleanly, the finding's rule must no longer fire there, and no rule may fire more often than before.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from reviewbot.analysis import analyze
from reviewbot.config import Config
from reviewbot.findings import Finding
from reviewbot.llm.answer import Replacement
from reviewbot.llm.context import source_lines
from reviewbot.llm.sanitize import suggestion_problem
from reviewbot.source.models import build_model_index
from reviewbot.source.parsing import parse


class Verdict(StrEnum):
    VERIFIED = "verified"
    REJECTED_PARSE = "rejected_parse"
    REJECTED_STILL_FIRES = "rejected_still_fires"
    REJECTED_NEW_FINDINGS = "rejected_new_findings"
    REJECTED_OUT_OF_RANGE = "rejected_out_of_range"
    REJECTED_UNSAFE = "rejected_unsafe"


@dataclass(frozen=True)
class VerifiedSuggestion:
    verdict: Verdict
    suggestion: str | None  # the new text of lines finding.line..finding.end_line, when verified
    reason: str = ""


class SuggestionVerifier:
    """Verifies suggestions for one review. Baseline analyses are computed once per file."""

    def __init__(self, files: Mapping[str, bytes], config: Config) -> None:
        self._files = files
        self._config = config
        # Built once from the original files: a fix of flagged lines does not redefine models.
        self._models = build_model_index(files)
        self._baselines: dict[str, Counter[str]] = {}
        self._baseline_findings: dict[str, list[Finding]] = {}

    def verify(self, finding: Finding, replacement: Replacement) -> VerifiedSuggestion:
        source = self._files.get(finding.path)
        if source is None:
            return VerifiedSuggestion(Verdict.REJECTED_OUT_OF_RANGE, None, "file not available")
        lines = source_lines(source)
        span = spliced_span(lines, finding, replacement)
        if isinstance(span, VerifiedSuggestion):
            return span
        suggestion = "\n".join(span)
        patched = splice(source, finding.line, finding.end_line, span)
        if parse(patched).root_node.has_error:
            return VerifiedSuggestion(Verdict.REJECTED_PARSE, None, "the patched file does not parse")
        after = analyze({finding.path: patched}, config=self._config, models=self._models).findings
        new_last = finding.line + len(span) - 1
        if any(f.rule == finding.rule and finding.line <= f.line <= new_last for f in after):
            return VerifiedSuggestion(Verdict.REJECTED_STILL_FIRES, None, f"{finding.rule} still fires")
        expected = self._baseline(finding.path).copy()
        if any(self._same_place(f, finding) for f in self._baseline_findings[finding.path]):
            expected[finding.rule] -= 1
        grown = sorted(rule for rule, count in Counter(f.rule for f in after).items() if count > expected[rule])
        if grown:
            return VerifiedSuggestion(Verdict.REJECTED_NEW_FINDINGS, None, f"new findings: {', '.join(grown)}")
        return VerifiedSuggestion(Verdict.VERIFIED, suggestion)

    def _baseline(self, path: str) -> Counter[str]:
        if path not in self._baselines:
            found = analyze({path: self._files[path]}, config=self._config, models=self._models).findings
            self._baseline_findings[path] = found
            self._baselines[path] = Counter(f.rule for f in found)
        return self._baselines[path]

    @staticmethod
    def _same_place(candidate: Finding, finding: Finding) -> bool:
        return candidate.rule == finding.rule and candidate.line == finding.line


def spliced_span(lines: list[str], finding: Finding, replacement: Replacement) -> list[str] | VerifiedSuggestion:
    """The new text of the finding's lines: the replacement put in place of its lines, re-indented to
    where the first replaced line sits; unchanged flagged lines around it are kept."""
    first, last = finding.line, finding.end_line
    start, end = replacement.start_line, replacement.end_line
    if not (first <= start <= end <= last) or last > len(lines):
        return VerifiedSuggestion(
            Verdict.REJECTED_OUT_OF_RANGE, None, f"lines {start}-{end} are outside the flagged lines {first}-{last}"
        )
    code = replacement.code.replace("\r\n", "\n").rstrip("\n")
    problem = suggestion_problem(code)
    if problem is not None:
        return VerifiedSuggestion(Verdict.REJECTED_UNSAFE, None, problem)
    original_first = lines[start - 1]
    indent = original_first[: len(original_first) - len(original_first.lstrip())]
    new_lines = [indent + line if line.strip() else "" for line in textwrap.dedent(code).split("\n")]
    if (start == first and _repeats_line(new_lines[0], lines, first - 1)) or (
        end == last and _repeats_line(new_lines[-1], lines, last + 1)
    ):
        return VerifiedSuggestion(
            Verdict.REJECTED_OUT_OF_RANGE, None, "the replacement repeats a line outside the flagged lines"
        )
    return lines[first - 1 : start - 1] + new_lines + lines[end:last]


def _repeats_line(new_line: str, lines: list[str], number: int) -> bool:
    """A replacement that starts (ends) with the line just above (below) the flagged span rewrote
    more than the flagged lines. Lines of bare brackets are common on both sides and prove nothing."""
    if not 1 <= number <= len(lines):
        return False
    text = lines[number - 1].strip()
    return any(c.isalnum() for c in text) and new_line.strip() == text


def splice(source: bytes, first: int, last: int, new_lines: list[str]) -> bytes:
    """`source` with lines first..last (1-based, inclusive) replaced, keeping the file's line endings."""
    raw = source.split(b"\n")
    ending = b"\r" if raw[first - 1].endswith(b"\r") else b""
    replaced = [line.encode() + ending for line in new_lines]
    return b"\n".join(raw[: first - 1] + replaced + raw[last:])
