"""A suggested fix is kept only when the checks agree it is one."""

from __future__ import annotations

import dataclasses

import pytest

from reviewbot import Config
from reviewbot.checks.registry import rule_by_code
from reviewbot.llm.answer import Replacement
from reviewbot.llm.verify import SuggestionVerifier, Verdict, splice
from tests.llm.conftest import RATES_PY, analysed

FIXED_LINE_9 = '    response = requests.get(f"{RATES_URL}?base={currency}", timeout=10)'


def verify(replacement: Replacement, files=None, index: int = 0, config: Config | None = None):
    files = files or {"app/rates.py": RATES_PY}
    config = config or Config()
    finding = analysed(files)[index]
    return SuggestionVerifier(files, config).verify(finding, replacement)


def test_a_good_fix_is_kept_as_the_new_text_of_the_flagged_lines():
    result = verify(Replacement(9, 9, FIXED_LINE_9))
    assert result.verdict is Verdict.VERIFIED
    assert result.suggestion == FIXED_LINE_9


def test_a_fix_without_indentation_is_indented_like_the_line_it_replaces():
    result = verify(Replacement(9, 9, FIXED_LINE_9.strip()))
    assert result.verdict is Verdict.VERIFIED
    assert result.suggestion == FIXED_LINE_9


def test_a_fix_that_does_not_parse_is_refused():
    result = verify(Replacement(9, 9, '    response = requests.get(f"{RATES_URL}", timeout=10'))
    assert result.verdict is Verdict.REJECTED_PARSE
    assert result.suggestion is None


def test_a_fix_that_leaves_the_finding_is_refused():
    result = verify(Replacement(9, 9, '    response = requests.get(f"{RATES_URL}?base={currency}", verify=True)'))
    assert result.verdict is Verdict.REJECTED_STILL_FIRES
    assert result.reason == "RB203 still fires"


def test_a_fix_that_moves_the_problem_to_another_line_of_the_span_is_refused():
    result = verify(Replacement(9, 9, '    requests.head(RATES_URL, timeout=1)\n    response = requests.get(RATES_URL)'))
    assert result.verdict is Verdict.REJECTED_STILL_FIRES


@pytest.mark.parametrize(
    "replacement",
    [Replacement(8, 9, "def fetch_rates(currency):\n" + FIXED_LINE_9), Replacement(9, 10, FIXED_LINE_9),
     Replacement(10, 9, FIXED_LINE_9), Replacement(14, 14, FIXED_LINE_9)],
    ids=["starts-above", "ends-below", "reversed", "another-finding"],
)
def test_a_fix_outside_the_flagged_lines_is_refused(replacement):
    assert verify(replacement).verdict is Verdict.REJECTED_OUT_OF_RANGE


def test_a_fix_that_repeats_a_neighbouring_line_is_refused():
    result = verify(Replacement(9, 9, "def fetch_rates(currency):\n" + FIXED_LINE_9))
    assert result.verdict is Verdict.REJECTED_OUT_OF_RANGE
    assert "repeats a line outside" in result.reason


def test_a_fix_that_could_break_out_of_the_suggestion_block_is_refused():
    result = verify(Replacement(9, 9, FIXED_LINE_9 + "\n```\n@org/admins"))
    assert result.verdict is Verdict.REJECTED_UNSAFE


def test_a_fix_that_makes_another_rule_fire_is_refused():
    if rule_by_code("RB301") is None:
        pytest.skip("RB301 (cache-without-expiry) is not registered")
    source = RATES_PY.replace(b"import requests\n", b"import redis\nimport requests\n\nstore = redis.Redis()\n")
    files = {"app/rates.py": source}
    finding = analysed(files)[0]
    assert finding.rule == "RB203"
    caching_fix = (f"{FIXED_LINE_9}\n"
                   '    store.set(f"rates:{currency}", response.text)')
    result = SuggestionVerifier(files, Config()).verify(
        finding, Replacement(finding.line, finding.line, caching_fix)
    )
    assert result.verdict is Verdict.REJECTED_NEW_FINDINGS
    assert result.reason == "new findings: RB301"


def test_new_findings_are_compared_as_counts_per_rule(monkeypatch):
    """The comparison itself, with an extra finding injected into the analysis of the patched file."""
    import reviewbot.llm.verify as verify_module

    real_analyze = verify_module.analyze

    def analyze_with_marker(files, **kwargs):
        result = real_analyze(files, **kwargs)
        for data in files.values():
            if b"pickle.loads" in data:
                template = analysed({"app/rates.py": RATES_PY})[0]
                result.findings.append(dataclasses.replace(template, rule="RB999", line=1))
        return result

    monkeypatch.setattr(verify_module, "analyze", analyze_with_marker)
    kept = verify(Replacement(9, 9, FIXED_LINE_9))
    assert kept.verdict is Verdict.VERIFIED
    refused = verify(Replacement(9, 9, FIXED_LINE_9 + "\n    pickle.loads(b'')"))
    assert refused.verdict is Verdict.REJECTED_NEW_FINDINGS
    assert refused.reason == "new findings: RB999"


def test_the_other_findings_of_the_file_do_not_count_against_a_fix():
    # Line 14 keeps its own RB203; fixing line 9 must still verify.
    files = {"app/rates.py": RATES_PY}
    findings = analysed(files)
    assert len(findings) == 2
    verifier = SuggestionVerifier(files, Config())
    assert verifier.verify(findings[0], Replacement(9, 9, FIXED_LINE_9)).verdict is Verdict.VERIFIED
    fixed_14 = '    response = requests.get(f"{RATES_URL}/history", params={"base": currency, "days": days}, timeout=5)'
    assert verifier.verify(findings[1], Replacement(14, 14, fixed_14)).verdict is Verdict.VERIFIED


def test_a_multi_line_finding_can_have_part_of_its_lines_replaced():
    source = b'import requests\n\n\ndef push(url, body):\n    return requests.post(\n        url,\n        json=body,\n    )\n'
    files = {"app/push.py": source}
    finding = analysed(files)[0]
    assert (finding.line, finding.end_line) == (5, 8)
    result = SuggestionVerifier(files, Config()).verify(finding, Replacement(7, 7, "json=body, timeout=5,"))
    assert result.verdict is Verdict.VERIFIED
    assert result.suggestion == "    return requests.post(\n        url,\n        json=body, timeout=5,\n    )"


def test_splice_keeps_crlf_line_endings():
    assert splice(b"a\r\nb\r\nc\r\n", 2, 2, ["x", "y"]) == b"a\r\nx\r\ny\r\nc\r\n"
    assert splice(b"a\nb\nc", 3, 3, ["z"]) == b"a\nb\nz"
