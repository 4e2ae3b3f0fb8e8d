"""Reads rule fixtures: trailing `# RB101` comments mark the lines a rule must report.

A fixture is `tests/fixtures/checks/<CODE>/<case>.py` (analysed alone) or a directory
`tests/fixtures/checks/<CODE>/<project>/` whose files are analysed together (for cross-file facts
such as the model index). Lines marked `# ok` (or not marked) must not be reported. Marks are read
with a regular expression, never evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "checks"
_MARK = re.compile(r"#\s*(?P<codes>RB\d{3}(?:[\s,]+RB\d{3})*)\b(?!\])")


@dataclass(frozen=True)
class FixtureCase:
    code: str
    name: str
    files: dict[str, bytes]  # path as analysed -> content
    expected: frozenset[tuple[str, int]]  # (path, line)


def expected_marks(path: str, text: str, code: str) -> set[tuple[str, int]]:
    marks = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if "noqa" in line or "reviewbot:" in line:
            continue  # suppression lines carry codes that are not expectations
        for match in _MARK.finditer(line):
            if code in re.split(r"[\s,]+", match.group("codes")):
                marks.add((path, number))
    return marks


def load_cases(code: str) -> list[FixtureCase]:
    root = FIXTURES / code
    cases = []
    for entry in sorted(root.iterdir()) if root.is_dir() else []:
        if entry.is_file() and entry.suffix == ".py":
            files = {f"app/{entry.name}": entry.read_bytes()}
        elif entry.is_dir():
            files = {f"{p.relative_to(entry).as_posix()}": p.read_bytes() for p in sorted(entry.rglob("*.py"))}
        else:
            continue
        expected: set[tuple[str, int]] = set()
        for path, data in files.items():
            expected |= expected_marks(path, data.decode(), code)
        cases.append(FixtureCase(code=code, name=entry.name, files=files, expected=frozenset(expected)))
    return cases
