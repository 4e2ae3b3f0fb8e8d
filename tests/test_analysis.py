"""The analysis core as a whole: positions, diffs, suppressions, settings, context severity,
fingerprints and the isolation of failing rules. RB203 (HTTP call without timeout) serves as
the probe rule."""

from __future__ import annotations

from collections.abc import Iterator

from reviewbot import Config, analyze
from reviewbot.analysis import analyze_file, character_column, enabled_rules
from reviewbot.checks.registry import CheckContext, Match, ProjectIndex, Report, Rule, rule_by_code
from reviewbot.diff import parse_unified_diff
from reviewbot.findings import Principle, Severity

ONLY_RB203 = Config(select=frozenset({"RB203"}))


def lines(result) -> list[tuple[str, int, str]]:
    return [(f.path, f.line, f.rule) for f in result.findings]


# ------------------------------------------------------------------------------- positions


def test_columns_count_characters_on_non_ascii_lines():
    source = 'import requests\nx = "é"; requests.get("u")\n'.encode()
    [finding] = analyze({"app/a.py": source}, config=ONLY_RB203).findings
    # Byte columns would be 11 and 28: `é` is two bytes.
    assert (finding.line, finding.column, finding.end_line, finding.end_column) == (2, 10, 2, 27)


def test_columns_with_four_byte_and_wide_characters():
    source = 'import requests\ns = "🚀全"; r = requests.get("u")  # ✓\n'.encode()
    [finding] = analyze({"app/a.py": source}, config=ONLY_RB203).findings
    assert (finding.column, finding.end_column) == (15, 32)
    text = source.decode().splitlines()[1]
    assert text[finding.column - 1 : finding.end_column - 1] == 'requests.get("u")'


def test_columns_on_ascii_lines_are_byte_columns_plus_one():
    source = b"import requests\n\ndef f():\n    return requests.get('u')\n"
    [finding] = analyze({"app/a.py": source}, config=ONLY_RB203).findings
    assert (finding.line, finding.column, finding.end_column) == (4, 12, 29)


def test_character_column_helper():
    source = "aé b".encode()
    assert character_column(source, 0, 0) == 1
    assert character_column(source, 4, 4) == 4  # `b` starts at byte 4, character 3
    line_two = b"x\n" + "é = 1".encode()
    assert character_column(line_two, len(line_two), len(line_two) - 2) == 6


def test_multi_line_span_reports_first_and_last_line():
    source = b"import requests\nrequests.get(\n    'u',\n)\n"
    [finding] = analyze({"app/a.py": source}, config=ONLY_RB203).findings
    assert (finding.line, finding.end_line, finding.column, finding.end_column) == (2, 4, 1, 2)


# ----------------------------------------------------------------------------------- diffs

MODULE = (
    b"import requests\n"  # 1
    b"\n"  # 2
    b"def old():\n"  # 3
    b"    return requests.get('https://a')\n"  # 4
    b"\n"  # 5
    b"\n"  # 6
    b"\n"  # 7
    b"\n"  # 8
    b"\n"  # 9
    b"def changed():\n"  # 10
    b"    requests.get('https://b')\n"  # 11
    b"    return requests.get('https://c')\n"  # 12
)
MODULE_DIFF = """\
diff --git a/app/a.py b/app/a.py
--- a/app/a.py
+++ b/app/a.py
@@ -9,3 +9,4 @@
\x20
 def changed():
     requests.get('https://b')
+    return requests.get('https://c')
"""


def test_diff_keeps_findings_on_added_lines_by_default():
    diffs = parse_unified_diff(MODULE_DIFF)
    assert lines(analyze({"app/a.py": MODULE}, diffs, ONLY_RB203)) == [("app/a.py", 12, "RB203")]


def test_diff_filter_modes():
    diffs = parse_unified_diff(MODULE_DIFF)
    files = {"app/a.py": MODULE}
    assert [f.line for f in analyze(files, diffs, ONLY_RB203, diff_filter="hunk").findings] == [11, 12]
    assert [f.line for f in analyze(files, diffs, ONLY_RB203, diff_filter="file").findings] == [4, 11, 12]
    assert [f.line for f in analyze(files, diffs, ONLY_RB203, diff_filter="all").findings] == [4, 11, 12]


def test_files_outside_the_diff_are_not_analysed():
    diffs = parse_unified_diff(MODULE_DIFF)
    result = analyze({"app/a.py": MODULE, "app/other.py": MODULE}, diffs, ONLY_RB203, diff_filter="file")
    assert {f.path for f in result.findings} == {"app/a.py"}


def test_model_sources_are_not_reported_on():
    result = analyze({"app/a.py": MODULE}, config=ONLY_RB203, model_sources={"app/models.py": MODULE})
    assert {f.path for f in result.findings} == {"app/a.py"}


# ---------------------------------------------------------------------------- suppressions


def suppressed_lines(comment: str) -> list[int]:
    source = f"import requests\nrequests.get('u')  {comment}\nrequests.get('v')\n".encode()
    return [f.line for f in analyze({"app/a.py": source}, config=ONLY_RB203).findings]


def test_noqa_forms():
    assert suppressed_lines("") == [2, 3]
    assert suppressed_lines("# noqa") == [3]
    assert suppressed_lines("# noqa: RB203") == [3]
    assert suppressed_lines("# noqa: E501, RB203") == [3]
    assert suppressed_lines("# NOQA:rb203") == [3]
    assert suppressed_lines("# noqa: RB101") == [2, 3]
    assert suppressed_lines("# noqa: RB20") == [2, 3]  # a prefix is not a code


def test_reviewbot_ignore_forms():
    assert suppressed_lines("# reviewbot: ignore[RB203] the upstream is a local sidecar") == [3]
    assert suppressed_lines("# reviewbot: ignore[http-call-without-timeout]") == [3]
    assert suppressed_lines("# reviewbot: ignore") == [3]
    assert suppressed_lines("# reviewbot: ignore[RB201] only that one") == [2, 3]


def test_suppression_anywhere_in_a_multi_line_span():
    source = b"import requests\nrequests.get(\n    'u',  # noqa: RB203\n)\nrequests.get('v')\n"
    assert [f.line for f in analyze({"app/a.py": source}, config=ONLY_RB203).findings] == [5]


def test_suppression_inside_a_string_is_also_honoured_only_on_the_flagged_lines():
    source = b"import requests\nx = '# noqa'\nrequests.get('u')\n"
    assert [f.line for f in analyze({"app/a.py": source}, config=ONLY_RB203).findings] == [3]


# -------------------------------------------------------------------------------- settings

CLIENT = b"import requests\n\ndef fetch():\n    return requests.get('u')\n"


def test_select_ignore_and_extend_select():
    assert enabled_rules(Config(select=frozenset({"RB203"}))) == (rule_by_code("RB203"),)
    assert "RB203" not in [r.code for r in enabled_rules(Config(ignore=frozenset({"RB2"})))]
    assert [r.code for r in enabled_rules(Config(select=frozenset({"RB1"}), extend_select=frozenset({"RB203"})))
            if r.code == "RB203"] == ["RB203"]
    assert analyze({"app/a.py": CLIENT}, config=Config(ignore=frozenset({"RB203"}))).findings == []


def test_severity_override_wins_over_context():
    handler = b"import requests\nfrom flask import Flask\napp = Flask(__name__)\n\n@app.route('/')\ndef index():\n" \
              b"    return requests.get('u').text\n"
    config = Config(select=frozenset({"RB203"}), severity={"RB203": Severity.INFO})
    [finding] = analyze({"app/views.py": handler}, config=config).findings
    assert (finding.severity, finding.context) == (Severity.INFO, "handler")


def test_per_file_ignores_and_exclude():
    files = {"app/a.py": CLIENT, "app/legacy/b.py": CLIENT, "scripts/c.py": CLIENT}
    config = Config(select=frozenset({"RB203"}), per_file_ignores=(("app/legacy/**", frozenset({"RB203"})),),
                    exclude=("scripts/**",))
    assert lines(analyze(files, config=config)) == [("app/a.py", 4, "RB203")]


def test_context_severity_raises_in_handlers_and_tasks_and_lowers_in_tests_migrations_scripts():
    handler = b"import requests\nfrom flask import Flask\napp = Flask(__name__)\n\n@app.route('/')\ndef index():\n" \
              b"    return requests.get('u').text\n"
    task = b"import requests\nfrom celery import shared_task\n\n@shared_task\ndef sync():\n" \
           b"    requests.post('u')\n"
    files = {"app/views.py": handler, "app/tasks.py": task, "app/client.py": CLIENT,
             "tests/test_client.py": CLIENT, "app/migrations/0002_fill.py": CLIENT, "scripts/backfill.py": CLIENT}
    result = analyze(files, config=ONLY_RB203)
    assert [(f.path, f.severity, f.context) for f in result.findings] == [
        ("app/client.py", Severity.WARNING, ""),
        ("app/migrations/0002_fill.py", Severity.INFO, "migration"),
        ("app/tasks.py", Severity.ERROR, "task"),
        ("app/views.py", Severity.ERROR, "handler"),
        ("scripts/backfill.py", Severity.INFO, "script"),
        ("tests/test_client.py", Severity.INFO, "test"),
    ]
    plain = analyze(files, config=Config(select=frozenset({"RB203"}), context_severity=False))
    assert {f.severity for f in plain.findings} == {Severity.WARNING}


def test_custom_context_lists():
    decorated = b"import requests\nfrom myframework import endpoint, job\n\n@endpoint\ndef a():\n" \
                b"    requests.get('u')\n\n@job\ndef b():\n    requests.get('u')\n"
    config = Config(select=frozenset({"RB203"}), handler_decorators=("myframework.endpoint",),
                    task_decorators=("job",), test_paths=("qa/**",))
    result = analyze({"app/x.py": decorated, "qa/check.py": CLIENT}, config=config)
    assert [(f.path, f.line, f.context, f.severity) for f in result.findings] == [
        ("app/x.py", 6, "handler", Severity.ERROR),
        ("app/x.py", 10, "task", Severity.ERROR),
        ("qa/check.py", 4, "test", Severity.INFO),
    ]


# ---------------------------------------------------------------------------- fingerprints


def test_fingerprint_survives_moving_code_and_tells_twins_apart():
    moved = b"import requests\n\n\n\n# a comment pushed the code down\ndef fetch():\n    return requests.get('u')\n"
    [before] = analyze({"app/a.py": CLIENT}, config=ONLY_RB203).findings
    [after] = analyze({"app/a.py": moved}, config=ONLY_RB203).findings
    assert before.line != after.line and before.fingerprint == after.fingerprint
    twins = analyze({"app/a.py": b"import requests\nrequests.get('u')\nrequests.get('u')\n"}, config=ONLY_RB203)
    assert len({f.fingerprint for f in twins.findings}) == 2
    elsewhere = analyze({"app/b.py": CLIENT}, config=ONLY_RB203).findings[0]
    assert elsewhere.fingerprint != before.fingerprint


def test_findings_are_sorted_by_path_line_and_column():
    files = {"b.py": b"import requests\nrequests.get('a'); requests.get('b')\n", "a.py": CLIENT}
    result = analyze(files, config=ONLY_RB203)
    assert [(f.path, f.line, f.column) for f in result.findings] == [("a.py", 4, 12), ("b.py", 2, 1),
                                                                     ("b.py", 2, 20)]


# ------------------------------------------------------------------------------- isolation


class ExplodingRule(Rule):
    """## What it does
    Checks for nothing; it fails on purpose.
    """

    code = "RB990"
    name = "exploding"
    category = "test"
    principle = Principle.CACHING
    severity = Severity.WARNING

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        yield from ()
        raise KeyError("boom")


class DeepRule(ExplodingRule):
    code = "RB991"

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        def down(n: int) -> int:
            return down(n + 1)

        down(0)
        yield from ()


def test_a_failing_rule_is_reported_and_the_others_still_run():
    rules = (rule_by_code("RB203"), ExplodingRule, DeepRule)
    findings, errors = analyze_file("app/a.py", CLIENT, Config(), rules, ProjectIndex())
    assert [(f.rule, f.line) for f in findings] == [("RB203", 4)]
    assert [(e.kind, e.message) for e in errors] == [
        ("internal", "RB990 failed: KeyError: 'boom'"),
        ("internal", "RB991: nesting too deep; rule skipped for this file"),
    ]
