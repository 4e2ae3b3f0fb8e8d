"""Findings for a terminal: a `path:line:col: CODE [severity] message` header, the flagged
source lines with an underline (a code frame, as ruff prints it), and a summary line."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reviewbot.findings import FileError, Finding, Severity

# Longer spans show their first and last lines around a `...` row.
MAX_FRAME_LINES = 5
TAB_WIDTH = 4

_RESET = "\x1b[0m"
_BOLD = "1"
_RED = "31"
_YELLOW = "33"
_BLUE = "34"
_CYAN = "36"
SEVERITY_COLORS = {Severity.ERROR: _RED, Severity.WARNING: _YELLOW, Severity.INFO: _CYAN}


@dataclass(frozen=True)
class Palette:
    """ANSI colours, or plain text when `enabled` is false (not a terminal, or --no-color)."""

    enabled: bool

    def paint(self, text: str, *codes: str) -> str:
        if not self.enabled or not text:
            return text
        return f"\x1b[{';'.join(codes)}m{text}{_RESET}"


def render_text(findings: Sequence[Finding], sources: Mapping[str, bytes], *, files_checked: int,
                color: bool = False) -> str:
    """Every finding with its code frame, then the summary line. `sources` holds the analysed
    bytes by path; a finding whose file is not there is shown without a frame."""
    palette = Palette(color)
    lines_by_path: dict[str, list[str]] = {}
    blocks = []
    for finding in findings:
        lines = lines_by_path.get(finding.path)
        if lines is None and finding.path in sources:
            lines = source_lines(sources[finding.path])
            lines_by_path[finding.path] = lines
        blocks.append(render_finding(finding, lines, palette))
    blocks.append(palette.paint(summary_line(findings, files_checked), _BOLD))
    return "\n".join(blocks) + "\n"


def summary_line(findings: Sequence[Finding], files_checked: int) -> str:
    """`Found 3 findings (1 error, 2 warning, 0 info) in 12 files.`"""
    counts = {severity: 0 for severity in Severity}
    for finding in findings:
        counts[finding.severity] += 1
    total = len(findings)
    return (
        f"Found {total} finding{'' if total == 1 else 's'} "
        f"({counts[Severity.ERROR]} error, {counts[Severity.WARNING]} warning, {counts[Severity.INFO]} info) "
        f"in {files_checked} file{'' if files_checked == 1 else 's'}."
    )


def render_errors_text(errors: Sequence[FileError]) -> str:
    """One line per file that was skipped or only partly analysed, for standard error."""
    lines = []
    for error in errors:
        if error.kind == "syntax":
            lines.append(f"reviewbot: {error.path}: {error.message}")
        elif error.kind == "internal":
            lines.append(f"reviewbot: {error.path}: internal error: {error.message}")
        else:
            lines.append(f"reviewbot: {error.path}: {error.kind}: {error.message}")
    return "".join(line + "\n" for line in lines)


def source_lines(data: bytes) -> list[str]:
    """Lines as tree-sitter numbers them (split at `\\n` only), decoded leniently."""
    return [line.removesuffix(b"\r").decode("utf-8", "replace") for line in data.split(b"\n")]


def render_finding(finding: Finding, lines: Sequence[str] | None, palette: Palette) -> str:
    severity_color = SEVERITY_COLORS[finding.severity]
    header = (
        f"{palette.paint(finding.path, _BOLD)}:{finding.line}:{finding.column}: "
        f"{palette.paint(finding.rule, _BOLD, _RED)} {palette.paint(f'[{finding.severity}]', severity_color)} "
        f"{finding.message}"
    )
    parts = [header]
    if lines is not None and 0 < finding.line <= len(lines):
        parts.extend(_frame(finding, lines, palette))
    for label, text in (("explanation", finding.explanation), ("suggestion", finding.suggestion)):
        if text:
            parts.extend(_note(label, text, palette))
    return "\n".join(parts) + "\n"


def _frame(finding: Finding, lines: Sequence[str], palette: Palette) -> list[str]:
    first = finding.line
    last = min(max(finding.end_line, first), len(lines))
    numbers = list(range(first, last + 1))
    if len(numbers) > MAX_FRAME_LINES:
        numbers = numbers[:2] + [0] + numbers[-2:]  # 0 stands for the `...` row
    width = len(str(last))
    gutter = palette.paint(" " * width + " |", _BLUE)
    rows = [gutter]
    for number in numbers:
        if number == 0:
            rows.append(palette.paint("." * width + " |", _BLUE))
            continue
        text = lines[number - 1]
        rows.append(f"{palette.paint(str(number).rjust(width) + ' |', _BLUE)} {_display(text)}".rstrip())
        underline = _underline(finding, number, text, first, last)
        if underline is not None:
            start, end = underline
            label = f" {finding.rule}" if number == last else ""
            marks = palette.paint("^" * max(end - start, 1) + label, SEVERITY_COLORS[finding.severity])
            rows.append(f"{gutter} {' ' * start}{marks}")
    rows.append(gutter)
    return rows


def _underline(finding: Finding, number: int, text: str, first: int, last: int) -> tuple[int, int] | None:
    """Display cells [start, end) to underline on line `number`: the span's part of it on the
    first and last line, nothing on lines between."""
    if number not in (first, last):
        return None
    content_end = len(text.rstrip())
    start = finding.column - 1 if number == first else len(text) - len(text.lstrip())
    if number == last and finding.end_column > 0 and (number != first or finding.end_column > finding.column):
        end = finding.end_column - 1
    else:
        end = content_end
    start = min(max(start, 0), len(text))
    end = min(max(end, start), len(text))
    return _cells(text[:start]), max(_cells(text[:end]), _cells(text[:start]) + 1)


def _note(label: str, text: str, palette: Palette) -> list[str]:
    head, *rest = text.strip().splitlines() or [""]
    prefix = palette.paint("  =", _BLUE)
    return [f"{prefix} {label}: {head}"] + [f"    {line}".rstrip() for line in rest]


def _display(text: str) -> str:
    return text.expandtabs(TAB_WIDTH)


def _cells(text: str) -> int:
    """Terminal cells `text` takes once tabs are expanded: wide (East Asian) characters take
    two, combining marks none."""
    width = 0
    for char in text.expandtabs(TAB_WIDTH):
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width
