"""The terminal output of `reviewbot check`: header, code frame, summary, errors."""

from __future__ import annotations

from dataclasses import replace

from reviewbot.findings import FileError, Finding, Severity
from reviewbot.render.text import render_errors_text, render_text, source_lines, summary_line

MESSAGE = "`requests.get` has no timeout: a slow upstream blocks this worker indefinitely"


def finding(path="app/client.py", line=5, column=12, end_line=5, end_column=29,
            severity=Severity.WARNING, rule="RB203") -> Finding:
    return Finding(
        rule=rule, name="http-call-without-timeout", category="http-no-timeout", principle="async-processing",
        severity=severity, path=path, line=line, end_line=end_line, column=column, end_column=end_column,
        message=MESSAGE, fingerprint="0123456789abcdef",
    )


CLIENT = (
    b"import requests\n"
    b"\n"
    b"\n"
    b"def fetch_rates(url):\n"
    b"    return requests.get(url).json()\n"
)


def test_single_line_finding_is_underlined_from_column_to_end_column():
    out = render_text([finding()], {"app/client.py": CLIENT}, files_checked=1)
    assert out == (
        f"app/client.py:5:12: RB203 [warning] {MESSAGE}\n"
        "  |\n"
        "5 |     return requests.get(url).json()\n"
        "  |            ^^^^^^^^^^^^^^^^^ RB203\n"
        "  |\n"
        "\n"
        "Found 1 finding (0 error, 1 warning, 0 info) in 1 file.\n"
    )


def test_long_span_shows_first_and_last_lines_around_an_ellipsis_row():
    source = (
        b"import requests\n\n\ndef f(url):\n"
        b"    return requests.get(\n"
        b"        url,\n"
        b"        headers={},\n"
        b"        params={},\n"
        b"        data=None,\n"
        b"        verify=True,\n"
        b"    )\n"
    )
    out = render_text([finding(path="a.py", line=5, end_line=11, end_column=6)], {"a.py": source},
                      files_checked=3)
    assert out == (
        f"a.py:5:12: RB203 [warning] {MESSAGE}\n"
        "   |\n"
        " 5 |     return requests.get(\n"
        "   |            ^^^^^^^^^^^^^\n"
        " 6 |         url,\n"
        ".. |\n"
        "10 |         verify=True,\n"
        "11 |     )\n"
        "   |     ^ RB203\n"
        "   |\n"
        "\n"
        "Found 1 finding (0 error, 1 warning, 0 info) in 3 files.\n"
    )


def test_short_multi_line_span_shows_every_line():
    source = b"x = requests.get(\n    url,\n)\n"
    out = render_text([finding(path="a.py", line=1, column=5, end_line=3, end_column=2)], {"a.py": source},
                      files_checked=1)
    assert out.splitlines()[1:7] == [
        "  |",
        "1 | x = requests.get(",
        "  |     ^^^^^^^^^^^^^",
        "2 |     url,",
        "3 | )",
        "  | ^ RB203",
    ]


def test_underline_counts_characters_not_bytes_and_wide_characters_take_two_cells():
    # Columns are 1-based characters: `全` is 3 bytes in UTF-8, one character, two terminal cells.
    source = "全 = requests.get(u)\n".encode()
    out = render_text([finding(path="w.py", line=1, column=5, end_line=1, end_column=20)], {"w.py": source}, files_checked=1)
    assert out.splitlines()[2:4] == [
        "1 | 全 = requests.get(u)",
        "  |      ^^^^^^^^^^^^^^^ RB203",
    ]


def test_tabs_are_expanded_and_the_underline_follows_them():
    source = b"if x:\n\tv = requests.get(u)\n"
    out = render_text([finding(path="t.py", line=2, column=6, end_line=2, end_column=21)], {"t.py": source}, files_checked=1)
    assert out.splitlines()[2:4] == [
        "2 |     v = requests.get(u)",
        "  |         ^^^^^^^^^^^^^^^ RB203",
    ]


def test_unknown_end_column_underlines_to_the_end_of_the_line():
    out = render_text([finding(end_column=0)], {"app/client.py": CLIENT}, files_checked=1)
    assert "  |            ^^^^^^^^^^^^^^^^^^^^^^^^ RB203" in out.splitlines()


def test_finding_without_source_has_no_frame():
    out = render_text([finding()], {}, files_checked=1)
    assert out == (
        f"app/client.py:5:12: RB203 [warning] {MESSAGE}\n"
        "\n"
        "Found 1 finding (0 error, 1 warning, 0 info) in 1 file.\n"
    )


def test_finding_beyond_the_end_of_the_source_has_no_frame():
    out = render_text([finding(line=99, end_line=99)], {"app/client.py": CLIENT}, files_checked=1)
    assert "|" not in out


def test_explanation_and_suggestion_follow_the_frame():
    explained = replace(finding(), explanation="The call waits forever.\nAdd a timeout.",
                        suggestion="requests.get(url, timeout=10)")
    out = render_text([explained], {"app/client.py": CLIENT}, files_checked=1)
    assert out.splitlines()[5:9] == [
        "  = explanation: The call waits forever.",
        "    Add a timeout.",
        "  = suggestion: requests.get(url, timeout=10)",
        "",
    ]


def test_no_findings():
    assert render_text([], {}, files_checked=0) == "Found 0 findings (0 error, 0 warning, 0 info) in 0 files.\n"


def test_summary_counts_each_severity():
    findings = [finding(severity=Severity.ERROR), finding(severity=Severity.WARNING),
                finding(severity=Severity.WARNING), finding(severity=Severity.INFO)]
    assert summary_line(findings, 12) == "Found 4 findings (1 error, 2 warning, 1 info) in 12 files."


def test_color_marks_path_code_severity_and_underline():
    out = render_text([finding(severity=Severity.ERROR)], {"app/client.py": CLIENT}, files_checked=1, color=True)
    header = out.splitlines()[0]
    assert header == (
        f"\x1b[1mapp/client.py\x1b[0m:5:12: \x1b[1;31mRB203\x1b[0m \x1b[31m[error]\x1b[0m {MESSAGE}"
    )
    assert "\x1b[31m^^^^^^^^^^^^^^^^^ RB203\x1b[0m" in out
    assert out.endswith("\x1b[1mFound 1 finding (1 error, 0 warning, 0 info) in 1 file.\x1b[0m\n")


def test_plain_output_has_no_escape_codes():
    out = render_text([finding()], {"app/client.py": CLIENT}, files_checked=1, color=False)
    assert "\x1b" not in out


def test_errors_are_one_line_each():
    errors = [
        FileError("app/broken.py", "syntax", "syntax error near line 3; analysed as far as it parsed"),
        FileError("app/logo.py", "skipped", "binary file"),
        FileError("app/x.py", "internal", "RB101 failed: KeyError: 'x'"),
    ]
    assert render_errors_text(errors) == (
        "reviewbot: app/broken.py: syntax error near line 3; analysed as far as it parsed\n"
        "reviewbot: app/logo.py: skipped: binary file\n"
        "reviewbot: app/x.py: internal error: RB101 failed: KeyError: 'x'\n"
    )
    assert render_errors_text([]) == ""


def test_source_lines_split_like_tree_sitter_rows():
    # Form feeds and Unicode line separators do not start a row; CRLF is one line break.
    assert source_lines(b"a\x0cb\r\nc\xe2\x80\xa8d\n") == ["a\x0cb", "c\u2028d", ""]
