"""Bad input never stops an analysis: syntax errors are analysed as far as they parse, unreadable
files are skipped with a note, deep nesting never raises RecursionError, and one bad file never
costs the findings of the others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewbot import AnalysisResult, Config, analyze
from reviewbot.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "checks"
ALL_RULES = Config(preview=True)
CALL = b"requests.get(u)"
PRELUDE = b"import requests\n"
GOOD = b"import requests\n\n\ndef fetch(u):\n    return requests.get(u)\n"


def rb203_lines(result: AnalysisResult) -> list[tuple[str, int]]:
    return [(f.path, f.line) for f in result.findings if f.rule == "RB203"]


def assert_well_formed(result: AnalysisResult, files: dict[str, bytes]) -> None:
    for finding in result.findings:
        rows = files[finding.path].count(b"\n") + 1
        assert 1 <= finding.line <= finding.end_line <= rows, finding
        assert finding.column >= 1 and finding.end_column >= 0, finding
    for error in result.errors:
        assert error.path in files and error.kind in ("syntax", "skipped", "internal"), error
        assert error.message


# -------------------------------------------------------------------------- syntax errors


def test_syntax_error_is_noted_and_the_rest_of_the_file_is_analysed():
    source = PRELUDE + b"\ndef broken(:\n    pass\n\n\ndef fine(u):\n    return requests.get(u)\n"
    result = analyze({"app/a.py": source}, config=ALL_RULES)
    assert rb203_lines(result) == [("app/a.py", 8)]
    assert [(e.kind, e.message) for e in result.errors] == [
        ("syntax", "syntax error near line 3; analysed as far as it parsed")]


def test_unterminated_string_and_unclosed_brackets():
    source = PRELUDE + b"requests.get(u)\nx = 'unterminated\ny = [1, 2,\n"
    result = analyze({"app/a.py": source}, config=ALL_RULES)
    assert rb203_lines(result) == [("app/a.py", 2)]
    assert [e.kind for e in result.errors] == ["syntax"]


# ------------------------------------------------------------------------ skipped files


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"  \n\n\t\n", "empty file"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "binary file"),
        (b"name = 'caf\xe9'\n", "not UTF-8 (byte 11)"),
        (b"\xff\xfe" + "x = 1\n".encode("utf-16-le"), "binary file"),
        (b"# -*- coding: latin-1 -*-\ns = '\xe9'\n", "not UTF-8 (byte 31)"),
    ],
    ids=["empty", "blank", "binary", "latin-1", "utf-16", "declared-latin-1"],
)
def test_unreadable_files_are_skipped_with_a_note(data, message):
    result = analyze({"app/bad.py": data, "app/good.py": GOOD}, config=ALL_RULES)
    assert [(e.path, e.kind, e.message) for e in result.errors] == [("app/bad.py", "skipped", message)]
    assert rb203_lines(result) == [("app/good.py", 5)]


def test_huge_files_are_skipped_at_the_configured_size():
    big = GOOD + b"# padding\n" * 100_001  # just over 1 MB
    result = analyze({"app/big.py": big}, config=ALL_RULES)
    assert [(e.kind, e.message) for e in result.errors] == [("skipped", "larger than 1000000 bytes (max-file-size)")]
    small_limit = analyze({"app/a.py": GOOD}, config=Config(max_file_size=40))
    assert [(e.kind, e.message) for e in small_limit.errors] == [("skipped", "larger than 40 bytes (max-file-size)")]
    assert analyze({"app/a.py": GOOD}, config=Config(max_file_size=len(GOOD))).errors == []


def test_a_bom_and_crlf_line_endings_are_fine():
    source = b"\xef\xbb\xbfimport requests\r\n\r\ndef f(u):\r\n    return requests.get(u)\r\n"
    result = analyze({"app/a.py": source}, config=ALL_RULES)
    assert rb203_lines(result) == [("app/a.py", 4)]
    assert result.errors == []


# -------------------------------------------------------------------------- deep nesting

DEEP = {
    "parentheses": (PRELUDE + b"x = " + b"(" * 5000 + CALL + b")" * 5000 + b"\n", 2),
    "lists": (PRELUDE + b"x = " + b"[" * 5000 + CALL + b"]" * 5000 + b"\n", 2),
    "dicts": (PRELUDE + b"x = " + b"{'k': " * 3000 + CALL + b"}" * 3000 + b"\n", 2),
    "call-arguments": (PRELUDE + b"f" + b"(" * 3000 + CALL + b")" * 3000 + b"\n", 2),
    "attribute-chain": (PRELUDE + b"s = requests.Session()\nx = s.get(u)" + b".a" * 3000 + b"\n", 3),
    "attribute-chain-receiver": (PRELUDE + b"x = requests" + b".attr" * 3000 + b".get(u)\n" + CALL + b"\n", 3),
    "call-chain": (PRELUDE + CALL + b".json()" * 3000 + b"\n", 2),
    "subscripts": (PRELUDE + b"x = " + CALL + b"[0]" * 3000 + b"\n", 2),
    "not": (PRELUDE + b"x = " + b"not " * 5000 + CALL + b"\n", 2),
    "unary-minus": (PRELUDE + b"x = " + b"-" * 5000 + CALL + b"\n", 2),
    "lambdas": (PRELUDE + b"f = " + b"lambda: " * 3000 + CALL + b"\n", 2),
    "nested-ifs": (PRELUDE + b"def f(u):\n" + b"".join(b" " * (i + 1) + b"if u:\n" for i in range(1000))
                   + b" " * 1001 + CALL + b"\n", 1003),
    "nested-defs": (PRELUDE + b"".join(b" " * i + b"def f(u):\n" for i in range(1000)) + b" " * 1000 + CALL + b"\n",
                    1002),
    "comprehensions": (PRELUDE + b"x = " + b"[" * 1000 + CALL + b" for u in v" + b"]" * 1000 + b"\n", 2),
    "tuple-target": (PRELUDE + b"for " + b"(a, " * 2000 + b"b" + b")" * 2000 + b" in y:\n    " + CALL + b"\n", 3),
    "binary-operators": (PRELUDE + b"x = " + b" + ".join([CALL] * 300) + b"\n", 2),
}


@pytest.mark.parametrize("case", DEEP, ids=list(DEEP))
def test_deep_nesting_never_raises_and_still_finds_the_call(case):
    source, line = DEEP[case]
    files = {"app/deep.py": source, "app/good.py": GOOD}
    result = analyze(files, config=Config(preview=True, max_file_size=2_000_000))
    assert_well_formed(result, files)
    assert ("app/deep.py", line) in rb203_lines(result)
    assert ("app/good.py", 5) in rb203_lines(result)
    # tree-sitter gives up on indentation a thousand levels deep: that is a syntax note, not a crash
    assert all(e.kind == "syntax" for e in result.errors), result.errors


def test_every_call_of_a_long_expression_is_reported():
    source = PRELUDE + b"x = " + b" + ".join([CALL] * 300) + b"\n"
    result = analyze({"app/a.py": source}, config=Config(select=frozenset({"RB203"})))
    assert len(result.findings) == 300
    assert len({f.fingerprint for f in result.findings}) == 300


def test_one_bad_file_never_stops_the_others():
    files = {
        "app/a_binary.py": b"\x00\x01\x02",
        "app/b_broken.py": b"def (:\n",
        "app/c_deep.py": PRELUDE + b"x = " + b"(" * 5000 + b"\n",
        "app/d_good.py": GOOD,
        "app/e_latin1.py": b"x = '\xe9'\n",
    }
    result = analyze(files, config=ALL_RULES)
    assert rb203_lines(result) == [("app/d_good.py", 5)]
    assert [(e.path, e.kind) for e in result.errors] == [
        ("app/a_binary.py", "skipped"), ("app/b_broken.py", "syntax"), ("app/c_deep.py", "syntax"),
        ("app/e_latin1.py", "skipped")]


# ---------------------------------------------------------------------------------- CLI


def test_cli_reports_bad_files_and_keeps_going(tmp_path, monkeypatch, capsys):
    (tmp_path / ".git").mkdir()
    app = tmp_path / "app"
    app.mkdir()
    (app / "a_binary.py").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    (app / "b_deep.py").write_bytes(PRELUDE + b"x = " + b"[" * 5000 + CALL + b"]" * 5000 + b"\n")
    (app / "c_good.py").write_bytes(GOOD)
    (app / "d_empty.py").write_bytes(b"")
    (app / "e_huge.py").write_bytes(GOOD + b"#" * 1_000_000)
    monkeypatch.chdir(tmp_path)
    status = main(["check", "--select", "RB203", "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert status == 1
    assert [(f["path"], f["line"]) for f in document["findings"]] == [("app/b_deep.py", 2), ("app/c_good.py", 5)]
    assert document["errors"] == [
        {"path": "app/a_binary.py", "kind": "skipped", "message": "binary file"},
        {"path": "app/d_empty.py", "kind": "skipped", "message": "empty file"},
        {"path": "app/e_huge.py", "kind": "skipped", "message": "larger than 1000000 bytes (max-file-size)"},
    ]


def test_cli_with_only_bad_files_exits_clean(tmp_path, monkeypatch, capsys):
    (tmp_path / ".git").mkdir()
    (tmp_path / "broken.py").write_bytes(b"\x00\x00")
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "Found 0 findings (0 error, 0 warning, 0 info) in 1 file.\n"
    assert captured.err == "reviewbot: broken.py: skipped: binary file\n"


# ------------------------------------------------------------------------ property tests

FIXTURE_SOURCES = sorted(
    (path.read_bytes() for path in FIXTURES.rglob("*.py")), key=lambda data: (len(data), data)
) or [GOOD]
TOKENS = [
    "def ", "async ", "await ", "class ", "for ", "while ", "if ", "else:", "with ", "as ", "in ", "return ",
    "yield ", "lambda ", "import ", "from ", "requests", "session", ".get", ".objects", ".filter", ".all()",
    "(", ")", "[", "]", "{", "}", ":", ",", "=", "+", "*", "**", "@", ".", "x", "u", "1", "'s'", '"""', "#",
    "\n", "\n    ", "\t", " ", "\\", "é", "全",
]


@st.composite
def mutated_fixture(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(FIXTURE_SOURCES)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "shuffle-lines", "insert", "delete-line"]))
        if not data:
            break
        if kind == "flip":
            position = draw(st.integers(0, len(data) - 1))
            data[position] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[draw(st.integers(0, len(data) - 1)):]
        elif kind == "insert":
            position = draw(st.integers(0, len(data)))
            data[position:position] = draw(st.sampled_from(TOKENS)).encode() * draw(st.integers(1, 50))
        else:
            lines = bytes(data).split(b"\n")
            if kind == "shuffle-lines":
                draw(st.randoms(use_true_random=False)).shuffle(lines)
            else:
                del lines[draw(st.integers(0, len(lines) - 1))]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


python_soup = st.lists(st.sampled_from(TOKENS), max_size=300).map(lambda parts: "".join(parts).encode())


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_fixture())
def test_mutated_fixtures_never_crash_the_analysis(data):
    files = {"app/mutated.py": data, "app/good.py": GOOD}
    result = analyze(files, config=ALL_RULES)
    assert_well_formed(result, files)
    assert ("app/good.py", 5) in rb203_lines(result)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=3000), python_soup))
def test_random_bytes_and_token_soup_never_crash_the_analysis(data):
    files = {"app/random.py": data}
    result = analyze(files, config=ALL_RULES)
    assert_well_formed(result, files)
