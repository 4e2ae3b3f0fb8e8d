"""The code a prompt shows for one finding: the enclosing function with line numbers, bounded.

The digest of a context ignores where the code sits in the file (absolute line numbers), so the
same code moved down by a re-push, or copied into another repository, has the same digest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from tree_sitter import Node

from reviewbot.findings import Finding
from reviewbot.source.parsing import parse

MAX_CONTEXT_LINES = 80
MODULE_LEVEL_LINES = 30  # shown around a finding that is not inside a function
MAX_IMPORT_LINES = 20
MAX_LINE_CHARS = 240
_FUNCTION_TYPES = frozenset({"function_definition"})
_IMPORT_TYPES = frozenset({"import_statement", "import_from_statement", "future_import_statement"})


@dataclass(frozen=True)
class CodeContext:
    first_line: int  # 1-based number of lines[0]
    lines: tuple[str, ...]
    flagged_first: int
    flagged_last: int
    imports: tuple[str, ...]
    truncated: bool  # the enclosing function was longer than shown

    @property
    def last_line(self) -> int:
        return self.first_line + len(self.lines) - 1

    def numbered(self) -> str:
        """`  12 | code` lines; flagged lines start with `>`."""
        width = len(str(self.last_line))
        rows = []
        for offset, text in enumerate(self.lines):
            number = self.first_line + offset
            marker = ">" if self.flagged_first <= number <= self.flagged_last else " "
            rows.append(f"{marker} {number:>{width}} | {text}")
        return "\n".join(rows)

    def flagged_text(self) -> str:
        start = self.flagged_first - self.first_line
        return "\n".join(self.lines[start : start + self.flagged_last - self.flagged_first + 1])

    def digest(self) -> str:
        """Identifies the code shown, independent of its position in the file."""
        digest = hashlib.sha256()
        for part in (
            "\n".join(self.lines),
            str(self.flagged_first - self.first_line),
            str(self.flagged_last - self.flagged_first),
            "\n".join(self.imports),
        ):
            digest.update(part.encode())
            digest.update(b"\0")
        return digest.hexdigest()


def source_lines(source: bytes) -> list[str]:
    """Lines as tree-sitter counts them (split on LF only), without line endings."""
    return [line.decode("utf-8", "replace").removesuffix("\r") for line in source.split(b"\n")]


def build_context(source: bytes, finding: Finding, max_lines: int = MAX_CONTEXT_LINES) -> CodeContext:
    lines = source_lines(source)
    flagged_first = max(1, min(finding.line, len(lines)))
    flagged_last = max(flagged_first, min(finding.end_line, len(lines)))
    tree = parse(source)
    function = _enclosing_function(tree.root_node, finding)
    if function is not None:
        start = function.start_point[0] + 1
        end = function.end_point[0] + 1
        if function.end_point[1] == 0 and end > start:
            end -= 1
        window = max_lines
    else:
        start, end = 1, len(lines)
        window = min(max_lines, MODULE_LEVEL_LINES)
    start, end = min(start, flagged_first), max(end, flagged_last)
    truncated = False
    if end - start + 1 > window:
        truncated = function is not None
        span = flagged_last - flagged_first + 1
        before = max(0, (window - span) // 3)  # more room after the flagged lines than before
        start = max(start, flagged_first - before)
        end = min(end, start + window - 1)
        if end < flagged_last:  # a flagged span longer than the window: show its start
            end = min(flagged_last, start + window - 1)
    shown = tuple(_clip(line) for line in lines[start - 1 : end])
    return CodeContext(
        first_line=start,
        lines=shown,
        flagged_first=flagged_first,
        flagged_last=min(flagged_last, end),
        imports=_imports(tree.root_node, lines),
        truncated=truncated,
    )


def _clip(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + " …"


def _enclosing_function(root: Node, finding: Finding) -> Node | None:
    row = finding.line - 1
    column = max(0, finding.column - 1)
    node = root.named_descendant_for_point_range((row, column), (row, column))
    while node is not None:
        if node.type in _FUNCTION_TYPES:
            parent = node.parent
            return parent if parent is not None and parent.type == "decorated_definition" else node
        node = node.parent
    return None


def _imports(root: Node, lines: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for child in root.named_children:
        if child.type not in _IMPORT_TYPES:
            continue
        for row in range(child.start_point[0], child.end_point[0] + 1):
            if len(found) >= MAX_IMPORT_LINES:
                return tuple(found)
            found.append(_clip(lines[row]))
    return tuple(found)
