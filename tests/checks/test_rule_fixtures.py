"""Every rule against its fixtures: exactly the marked lines are reported, nothing else."""

from __future__ import annotations

import pytest

from reviewbot import Config, analyze
from reviewbot.checks import all_rules
from reviewbot.checks.registry import DOC_SECTIONS
from tests.fixture_marks import FIXTURES, load_cases

CASES = [case for rule in all_rules() for case in load_cases(rule.code)]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.code}-{c.name}" for c in CASES])
def test_rule_reports_exactly_the_marked_lines(case):
    config = Config(select=frozenset({case.code}), preview=True)
    result = analyze(case.files, config=config)
    reported = {(f.path, f.line) for f in result.findings}
    missing = sorted(case.expected - reported)
    unexpected = sorted(reported - case.expected)
    messages = {(f.path, f.line): f.message for f in result.findings}
    assert not missing and not unexpected, (
        f"missed (false negatives): {missing}\n"
        f"unexpected (false positives): {[(k, messages[k]) for k in unexpected]}"
    )
    assert not [e for e in result.errors if e.kind == "internal"], result.errors


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_has_documentation_and_fixtures(rule):
    sections = rule.doc_sections()
    for title in DOC_SECTIONS:
        assert sections.get(title), f"{rule.code} doc lacks '## {title}'"
    assert rule.summary().startswith("Checks for"), rule.summary()
    assert (FIXTURES / rule.code).is_dir(), f"{rule.code} has no fixtures"
    cases = load_cases(rule.code)
    assert any(case.expected for case in cases), f"{rule.code} fixtures mark no positive line"
    negatives = sum(
        data.decode().count("# ok") for case in cases for data in case.files.values()
    )
    assert negatives >= 3, f"{rule.code} fixtures mark fewer than 3 hard negatives (# ok)"
