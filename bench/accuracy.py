"""Precision and recall of every rule on a labelled corpus of realistic backend code.

Usage: python bench/accuracy.py [--corpus DIR] [--rule CODE ...]

The corpus (bench/accuracy/ by default) holds Python files written the way backend teams write
them, mostly fine code with problems at a realistic density. A problem line ends with a label
comment naming the rules a reviewer would report there:

    orders = len(Order.objects.filter(customer=customer))  # expect: RB103

A directory holding both `models.py` and `views.py` is one sub-project, analysed in a single
`analyze` call so that views see the models; every other file is analysed on its own. Paths are
relative to the corpus, so `management/commands/` and similar directories keep their meaning.

A finding matches a label of the same rule and path when the label's line lies within the
finding's lines (`line` to `end_line`); each label matches at most one finding. Unmatched findings
are false positives, unmatched labels false negatives. Findings of every severity count. Prints a
per-rule table and every false positive and false negative; the exit code is always 0.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reviewbot import Config, FileError, Finding, analyze  # noqa: E402
from reviewbot.checks.registry import all_rules  # noqa: E402

DEFAULT_CORPUS = ROOT / "bench" / "accuracy"
LABEL = re.compile(r"#\s*expect:\s*(?P<codes>RB\d{3}(?:\s*,\s*RB\d{3})*)")
PROJECT_MARKERS = ("models.py", "views.py")


@dataclass(frozen=True)
class Label:
    rule: str
    path: str
    line: int
    text: str


@dataclass
class Outcome:
    true_positives: list[tuple[Finding, Label]]
    false_positives: list[Finding]
    false_negatives: list[Label]
    errors: list[FileError]


def analysis_units(corpus: Path) -> list[list[Path]]:
    """Groups of files analysed together: one per sub-project, one per remaining file."""
    files = sorted(p for p in corpus.rglob("*.py") if "__pycache__" not in p.parts)
    projects = sorted(
        {p.parent for p in files if all((p.parent / marker).is_file() for marker in PROJECT_MARKERS)}
    )
    units: list[list[Path]] = [[f for f in files if project in f.parents] for project in projects]
    grouped = {f for unit in units for f in unit}
    units.extend([f] for f in files if f not in grouped)
    return units


def labels_in(path: str, source: str) -> list[Label]:
    labels = []
    for number, text in enumerate(source.splitlines(), start=1):
        match = LABEL.search(text)
        if match is None:
            continue
        for code in re.split(r"\s*,\s*", match.group("codes")):
            labels.append(Label(rule=code, path=path, line=number, text=text.strip()))
    return labels


def match_findings(findings: list[Finding], labels: list[Label]) -> Outcome:
    """Pairs each finding with the nearest unmatched label of its rule and path inside its span."""
    open_labels: dict[tuple[str, str], list[Label]] = defaultdict(list)
    for label in labels:
        open_labels[(label.rule, label.path)].append(label)
    outcome = Outcome([], [], [], [])
    for finding in sorted(findings, key=lambda f: (f.path, f.line, f.end_line, f.rule)):
        last = max(finding.end_line, finding.line)
        candidates = [
            label for label in open_labels[(finding.rule, finding.path)] if finding.line <= label.line <= last
        ]
        if not candidates:
            outcome.false_positives.append(finding)
            continue
        best = min(candidates, key=lambda label: label.line - finding.line)
        open_labels[(finding.rule, finding.path)].remove(best)
        outcome.true_positives.append((finding, best))
    outcome.false_negatives = sorted(
        (label for remaining in open_labels.values() for label in remaining), key=lambda label: (label.path, label.line)
    )
    return outcome


def evaluate(corpus: Path, rules: set[str] | None) -> tuple[Outcome, int, int]:
    config = Config()
    total = Outcome([], [], [], [])
    file_count = line_count = 0
    for unit in analysis_units(corpus):
        sources = {f.relative_to(corpus).as_posix(): f.read_bytes() for f in unit}
        labels = []
        for path, data in sources.items():
            text = data.decode("utf-8")
            labels.extend(labels_in(path, text))
            line_count += text.count("\n")
        file_count += len(sources)
        result = analyze(sources, config=config)
        findings = [f for f in result.findings if rules is None or f.rule in rules]
        labels = [label for label in labels if rules is None or label.rule in rules]
        outcome = match_findings(findings, labels)
        total.true_positives.extend(outcome.true_positives)
        total.false_positives.extend(outcome.false_positives)
        total.false_negatives.extend(outcome.false_negatives)
        total.errors.extend(result.errors)
    return total, file_count, line_count


def ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "-"


def print_table(outcome: Outcome, codes: list[str]) -> None:
    counts: dict[str, list[int]] = {code: [0, 0, 0] for code in codes}
    for finding, _ in outcome.true_positives:
        counts.setdefault(finding.rule, [0, 0, 0])[0] += 1
    for finding in outcome.false_positives:
        counts.setdefault(finding.rule, [0, 0, 0])[1] += 1
    for label in outcome.false_negatives:
        counts.setdefault(label.rule, [0, 0, 0])[2] += 1
    names = {rule.code: rule.name for rule in all_rules()}
    header = f"{'rule':<7} {'name':<31} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>7}"
    print(header)
    print("-" * len(header))
    for code in sorted(counts):
        tp, fp, fn = counts[code]
        print(
            f"{code:<7} {names.get(code, '?'):<31} {tp:>4} {fp:>4} {fn:>4}"
            f" {ratio(tp, tp + fp):>10} {ratio(tp, tp + fn):>7}"
        )
    tp, fp, fn = (sum(column) for column in zip(*counts.values(), strict=True)) if counts else (0, 0, 0)
    print("-" * len(header))
    print(f"{'total':<39} {tp:>4} {fp:>4} {fn:>4} {ratio(tp, tp + fp):>10} {ratio(tp, tp + fn):>7}")


def print_mismatches(outcome: Outcome) -> None:
    print(f"\nFalse positives ({len(outcome.false_positives)}):")
    for finding in sorted(outcome.false_positives, key=lambda f: (f.path, f.line, f.rule)):
        span = f"{finding.line}-{finding.end_line}" if finding.end_line > finding.line else str(finding.line)
        print(f"  {finding.path}:{span}  {finding.rule} [{finding.severity}]  {finding.message}")
    print(f"\nFalse negatives ({len(outcome.false_negatives)}):")
    for label in outcome.false_negatives:
        code = LABEL.sub("", label.text).rstrip()
        print(f"  {label.path}:{label.line}  {label.rule}  {code}")
    if outcome.errors:
        print(f"\nAnalysis errors ({len(outcome.errors)}):")
        for error in outcome.errors:
            print(f"  {error.path}  {error.kind}  {error.message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rule", action="append", metavar="CODE", help="only this rule (repeatable)")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 0
    rules = set(args.rule) if args.rule else None
    outcome, files, lines = evaluate(args.corpus, rules)
    codes = sorted(rules) if rules else sorted(rule.code for rule in all_rules() if Config().enables(rule.code, rule.preview))
    print(f"corpus: {args.corpus} ({files} files, {lines} lines, "
          f"{len(outcome.true_positives) + len(outcome.false_negatives)} labels)\n")
    print_table(outcome, codes)
    print_mismatches(outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
