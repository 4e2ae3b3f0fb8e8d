"""`reviewbot check`, `rules`, `rule` and the dispatch of `serve`, `worker` and `demo`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import types
from dataclasses import replace
from pathlib import Path

import pytest

from reviewbot.checks import all_rules, rule_by_code
from reviewbot.cli import build_parser, check_command, main

CLIENT = "import requests\n\n\ndef fetch_rates(url):\n    return requests.get(url).json()\n"
CLIENT_FINDING = (
    "app/client.py:5:12: RB203 [warning] `requests.get` has no timeout: a slow upstream blocks this worker "
    "indefinitely\n"
    "  |\n"
    "5 |     return requests.get(url).json()\n"
    "  |            ^^^^^^^^^^^^^^^^^ RB203\n"
    "  |\n"
)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "client.py").write_text(CLIENT)
    (tmp_path / "app" / "clean.py").write_text("def add(a, b):\n    return a + b\n")
    (tmp_path / "pyproject.toml").write_text("[tool.reviewbot]\nselect = ['RB203']\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ------------------------------------------------------------------------------- check


def test_check_prints_findings_with_code_frames_and_a_summary(project, capsys):
    assert run(capsys, "check") == (
        1,
        CLIENT_FINDING + "\nFound 1 finding (0 error, 1 warning, 0 info) in 2 files.\n",
        "",
    )


def test_check_named_file_and_clean_file(project, capsys):
    assert run(capsys, "check", "app/client.py")[0] == 1
    assert run(capsys, "check", "app/clean.py") == (0, "Found 0 findings (0 error, 0 warning, 0 info) in 1 file.\n",
                                                    "")


def test_fail_on_threshold(project, capsys):
    assert run(capsys, "check", "--fail-on", "error")[0] == 0
    assert run(capsys, "check", "--fail-on", "warning")[0] == 1
    assert run(capsys, "check", "--fail-on", "info")[0] == 1
    assert run(capsys, "check", "--fail-on", "never")[0] == 0
    (project / "pyproject.toml").write_text("[tool.reviewbot]\nselect = ['RB203']\nseverity = { RB203 = 'info' }\n")
    assert run(capsys, "check")[0] == 0  # the default threshold is warning
    assert run(capsys, "check", "--fail-on", "info")[0] == 1


def test_min_severity_narrows_what_is_reported(project, capsys):
    status, out, _ = run(capsys, "check", "--min-severity", "error")
    assert (status, out) == (0, "Found 0 findings (0 error, 0 warning, 0 info) in 2 files.\n")
    assert run(capsys, "check", "--min-severity", "warning")[0] == 1


def test_unknown_code_on_the_command_line(project, capsys):
    assert run(capsys, "check", "--select", "RB999") == (
        2, "", "reviewbot: error: --select: unknown rule code 'RB999' (`reviewbot rules` lists them)\n"
    )
    assert run(capsys, "check", "--ignore", "XX1")[2] == (
        "reviewbot: error: --ignore: unknown rule code 'XX1' (`reviewbot rules` lists them)\n"
    )


def test_codes_are_comma_separated_case_insensitive_and_repeatable(project, capsys):
    assert run(capsys, "check", "--ignore", "rb201, rb203")[0] == 0
    assert run(capsys, "check", "--ignore", "RB201", "--ignore", "RB203")[0] == 0
    assert run(capsys, "check", "--select", "ALL", "--ignore", "RB2")[0] == 0


def test_missing_path_is_a_usage_error(project, capsys):
    assert run(capsys, "check", "nope.py") == (2, "", "reviewbot: error: nope.py: no such file or directory\n")


def test_directories_are_walked_skipping_environments_and_build_output(project, capsys):
    for directory in (".venv", "venv", "node_modules", "__pycache__", "build", "dist", ".git", "app/.tox"):
        (project / directory).mkdir(parents=True, exist_ok=True)
        (project / directory / "vendored.py").write_text(CLIENT)
    (project / "app" / "notes.txt").write_text(CLIENT)
    (project / "app" / "sub").mkdir()
    (project / "app" / "sub" / "more.py").write_text(CLIENT)
    status, out, _ = run(capsys, "check", "--format", "json")
    assert status == 1
    assert [f["path"] for f in json.loads(out)["findings"]] == ["app/client.py", "app/sub/more.py"]


def test_an_explicitly_named_file_is_analysed_whatever_its_suffix(project, capsys):
    (project / "app" / "job").write_text(CLIENT)
    status, out, _ = run(capsys, "check", "--format", "json", "app/job")
    assert [f["path"] for f in json.loads(out)["findings"]] == ["app/job"]


def test_paths_are_relative_to_the_project_root_from_a_subdirectory(project, capsys, monkeypatch):
    monkeypatch.chdir(project / "app")
    status, out, _ = run(capsys, "check", "--format", "json", "client.py")
    assert [f["path"] for f in json.loads(out)["findings"]] == ["app/client.py"]


def test_files_that_fail_go_to_stderr_and_do_not_change_the_exit_status(project, capsys):
    (project / "app" / "client.py").unlink()
    (project / "app" / "logo.py").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (project / "app" / "broken.py").write_text("def broken(:\n    pass\n")
    (project / "app" / "latin1.py").write_bytes(b"name = 'caf\xe9'\n")
    status, out, err = run(capsys, "check")
    assert status == 0
    assert out == "Found 0 findings (0 error, 0 warning, 0 info) in 4 files.\n"
    assert err == (
        "reviewbot: app/broken.py: syntax error near line 1; analysed as far as it parsed\n"
        "reviewbot: app/latin1.py: skipped: not UTF-8 (byte 11)\n"
        "reviewbot: app/logo.py: skipped: binary file\n"
    )


def test_json_output_carries_the_errors(project, capsys):
    (project / "app" / "empty.py").write_text("")
    status, out, err = run(capsys, "check", "--format", "json")
    document = json.loads(out)
    assert (status, err) == (1, "")
    assert document["errors"] == [{"path": "app/empty.py", "kind": "skipped", "message": "empty file"}]
    assert [(f["path"], f["line"], f["column"], f["rule"]) for f in document["findings"]] == [
        ("app/client.py", 5, 12, "RB203")]


def test_github_and_sarif_formats(project, capsys):
    status, out, _ = run(capsys, "check", "--format", "github")
    assert (status, out) == (
        1,
        "::warning file=app/client.py,line=5,endLine=5,col=12,title=RB203 http-call-without-timeout::"
        "`requests.get` has no timeout: a slow upstream blocks this worker indefinitely\n",
    )
    status, out, _ = run(capsys, "check", "--format", "sarif")
    log = json.loads(out)
    assert status == 1
    assert [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]] == ["RB203"]
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["RB203"]


def test_markdown_format_is_the_review_as_posted(project, capsys):
    markdown = pytest.importorskip("reviewbot.render.markdown")
    status, out, _ = run(capsys, "check", "--format", "markdown")
    _, json_out, _ = run(capsys, "check", "--format", "json")
    findings = [f for f in _findings_from_json(json_out)]
    assert status == 1
    assert out == markdown.render_review_markdown(findings, [], diffs=None, max_inline=50)
    assert "app/client.py" in out


def _findings_from_json(text: str):
    from reviewbot.findings import Finding, Severity

    fields = set(Finding.__dataclass_fields__)
    for item in json.loads(text)["findings"]:
        data = {k: v for k, v in item.items() if k in fields}
        data["severity"] = Severity(data["severity"])
        yield Finding(**data)


def test_parallel_run_gives_the_same_output_as_a_single_process(project, capsys):
    for number in range(12):
        (project / "app" / f"module_{number:02}.py").write_text(CLIENT.replace("url).json()", f"url{number})"))
    (project / "app" / "broken.py").write_text("def broken(:\n")
    single = run(capsys, "check", "--format", "json", "--jobs", "1")
    parallel = run(capsys, "check", "--format", "json", "--jobs", "2")
    assert single == parallel
    document = json.loads(parallel[1])
    assert len(document["findings"]) == 13
    assert [e["path"] for e in document["errors"]] == ["app/broken.py"]


def test_jobs_must_be_positive(project, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["check", "--jobs", "0"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.endswith("reviewbot check: error: argument --jobs/-j: must be 1 or more\n")


def test_color_only_on_a_terminal_and_not_with_no_color(project, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    parser = build_parser()
    colored, plain, piped = Terminal(), Terminal(), io.StringIO()
    check_command(parser.parse_args(["check"]), stdout=colored, stderr=io.StringIO())
    check_command(parser.parse_args(["check", "--no-color"]), stdout=plain, stderr=io.StringIO())
    check_command(parser.parse_args(["check"]), stdout=piped, stderr=io.StringIO())
    assert "\x1b[1;31mRB203\x1b[0m" in colored.getvalue()
    assert "\x1b" not in plain.getvalue() and "\x1b" not in piped.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    honoured = Terminal()
    check_command(parser.parse_args(["check"]), stdout=honoured, stderr=io.StringIO())
    assert "\x1b" not in honoured.getvalue()


def test_explain_passes_the_result_through_the_llm_support(project, capsys, monkeypatch):
    calls = []

    def explain_for_cli(result, files, config, *, root):
        calls.append((sorted(files), config.select, root))
        return replace(result, findings=[replace(f, explanation="Every call can hang forever.")
                                         for f in result.findings])

    support = types.ModuleType("reviewbot.llm.cli_support")
    support.explain_for_cli = explain_for_cli
    monkeypatch.setitem(sys.modules, "reviewbot.llm.cli_support", support)
    status, out, _ = run(capsys, "check", "--explain")
    assert status == 1
    assert calls == [(["app/clean.py", "app/client.py"], frozenset({"RB203"}), project)]
    assert "  = explanation: Every call can hang forever.\n" in out


def test_explain_without_the_llm_support_is_a_usage_error(project, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "reviewbot.llm.cli_support", None)
    status, out, err = run(capsys, "check", "--explain")
    assert (status, out) == (2, "")
    assert err.startswith("reviewbot: error: --explain is not available in this installation (")


def test_console_script_exit_status(project):
    completed = subprocess.run([sys.executable, "-m", "reviewbot.cli", "check", "--no-color"], capture_output=True,
                               text=True, check=False)
    assert completed.returncode == 1
    assert completed.stdout.endswith("Found 1 finding (0 error, 1 warning, 0 info) in 2 files.\n")


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage: reviewbot" in capsys.readouterr().err


# ------------------------------------------------------------------------------- rules


def test_rules_lists_every_rule_once_per_line(capsys):
    status, out, _ = run(capsys, "rules")
    assert status == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [rule.code for rule in all_rules()]
    rb203 = next(line for line in lines if line.startswith("RB203"))
    assert rb203.split()[1:4] == ["http-call-without-timeout", "warning", "async-processing"]
    assert rb203.endswith(rule_by_code("RB203").summary())


def test_rules_as_json(capsys):
    status, out, _ = run(capsys, "rules", "--format", "json")
    catalog = json.loads(out)
    assert status == 0
    assert [entry["code"] for entry in catalog] == [rule.code for rule in all_rules()]
    rb203 = next(entry for entry in catalog if entry["code"] == "RB203")
    assert rb203 == {
        "code": "RB203",
        "name": "http-call-without-timeout",
        "category": "http-no-timeout",
        "severity": "warning",
        "principle": "async-processing",
        "summary": rule_by_code("RB203").summary(),
    }


def test_rule_prints_its_documentation_by_code_or_name(capsys):
    rule = rule_by_code("RB203")
    expected = (
        "# http-call-without-timeout (RB203)\n\n"
        "Category: http-no-timeout. Principle: async-processing. Default severity: warning.\n\n"
        f"{rule.doc()}"
    )
    assert run(capsys, "rule", "RB203") == (0, expected, "")
    assert run(capsys, "rule", "rb203") == (0, expected, "")
    assert run(capsys, "rule", "http-call-without-timeout") == (0, expected, "")
    assert "## Why is this bad?" in expected and "## Use instead" in expected


def test_unknown_rule(capsys):
    assert run(capsys, "rule", "RB999") == (2, "", "reviewbot: error: unknown rule 'RB999' (`reviewbot rules` lists them)\n")


# --------------------------------------------------------------- commands owned elsewhere


def test_serve_and_worker_dispatch_to_the_app_with_their_options(monkeypatch):
    calls = []
    app_cli = types.ModuleType("reviewbot.app.cli")
    app_cli.serve_command = lambda args: calls.append(("serve", args.host, args.port)) or 0
    app_cli.worker_command = lambda args: calls.append(("worker",)) or 3
    monkeypatch.setitem(sys.modules, "reviewbot.app.cli", app_cli)
    assert main(["serve"]) == 0
    assert main(["serve", "--host", "0.0.0.0", "--port", "9000"]) == 0
    assert main(["worker"]) == 3
    assert calls == [("serve", "127.0.0.1", 8000), ("serve", "0.0.0.0", 9000), ("worker",)]


def test_demo_dispatches_lazily(monkeypatch, capsys):
    demo = types.ModuleType("reviewbot.demo")
    demo.demo_command = lambda args: 0
    monkeypatch.setitem(sys.modules, "reviewbot.demo", demo)
    assert main(["demo"]) == 0


def test_a_command_whose_module_is_missing_fails_with_a_message(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "reviewbot.demo", None)
    status, out, err = run(capsys, "demo")
    assert (status, out) == (2, "")
    assert err.startswith("reviewbot: error: `reviewbot demo` is not available in this installation (")


def test_check_does_not_import_the_app(project):
    # `check` must work where the App's dependencies are not installed.
    code = (
        "import sys\nfrom reviewbot.cli import main\nstatus = main(['check', '--fail-on', 'never', '--no-color'])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('reviewbot.app', 'reviewbot.webhooks', "
        "'reviewbot.jobs', 'fastapi', 'github'))))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.splitlines()[-1] == "[]"


def test_a_closed_pipe_stops_quietly():
    process = subprocess.Popen([sys.executable, "-m", "reviewbot.cli", "rules"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before anything is written
    stderr = process.stderr.read()
    process.stderr.close()
    assert (process.wait(), stderr) == (141, b"")
