"""`--format github`: GitHub Actions workflow commands, escaped as the Actions toolkit does."""

from __future__ import annotations

from reviewbot.findings import FileError, Finding, Severity
from reviewbot.render.annotations import escape_data, escape_property, render_annotations
from tests.builders import finding as sample_finding


def finding(**changes) -> Finding:
    """The sample finding spread over lines 5-7, outside any handler or task."""
    return sample_finding(**{"end_line": 7, "end_column": 6, "context": "", **changes})


def test_one_command_per_finding():
    assert render_annotations([finding()], []) == (
        "::warning file=app/client.py,line=5,endLine=7,col=12,title=RB203 http-call-without-timeout"
        "::`requests.get` has no timeout\n"
    )


def test_severity_selects_the_command():
    out = render_annotations([finding(severity=Severity.ERROR), finding(severity=Severity.INFO)], [])
    assert [line.split(" ", 1)[0] for line in out.splitlines()] == ["::error", "::notice"]


def test_message_escapes_percent_and_line_breaks():
    out = render_annotations([finding(message="100% of rows\r\nloaded: a, b")], [])
    assert out.endswith("::100%25 of rows%0D%0Aloaded: a, b\n")


def test_properties_also_escape_colon_and_comma():
    out = render_annotations([finding(path="app/a,b:c%.py")], [])
    assert out.startswith("::warning file=app/a%2Cb%3Ac%25.py,line=5,")


def test_escaping_functions():
    assert escape_data("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad:e,f"
    assert escape_property("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf"


def test_errors_become_file_annotations():
    errors = [
        FileError("app/broken.py", "syntax", "syntax error near line 3; analysed as far as it parsed"),
        FileError("app/x.py", "internal", "RB101 failed: KeyError"),
    ]
    assert render_annotations([], errors) == (
        "::warning file=app/broken.py,title=reviewbot%3A syntax error"
        "::syntax error near line 3; analysed as far as it parsed\n"
        "::error file=app/x.py,title=reviewbot%3A internal error::RB101 failed: KeyError\n"
    )


def test_nothing_to_report():
    assert render_annotations([], []) == ""
