"""Settings on disk: which file is found, how it is read, what its errors say, and what each
setting does to a `reviewbot check` run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewbot.checks import all_rules
from reviewbot.cli import main
from reviewbot.config import ConfigError
from reviewbot.config_loader import find_config_file, load_config, read_settings_table
from reviewbot.findings import Severity

KNOWN = [rule.code for rule in all_rules()]
CLIENT = "import requests\n\n\ndef fetch():\n    return requests.get('u')\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------------------------- finding


def test_reviewbot_toml_wins_over_pyproject_in_the_same_directory(repo):
    write(repo / "pyproject.toml", "[tool.reviewbot]\nselect = ['RB2']\n")
    tool_file = write(repo / ".reviewbot.toml", "select = ['RB203']\n")
    assert find_config_file(repo / "app" / "x.py") == tool_file


def test_pyproject_without_a_reviewbot_table_is_passed_over(repo):
    outer = write(repo / "pyproject.toml", "[tool.reviewbot]\nignore = ['RB203']\n")
    write(repo / "service" / "pyproject.toml", "[project]\nname = 'service'\n[tool.ruff]\nline-length = 100\n")
    write(repo / "service" / "app.py", CLIENT)
    assert find_config_file(repo / "service" / "app.py") == outer


def test_the_nearest_file_applies(repo):
    write(repo / "pyproject.toml", "[tool.reviewbot]\nignore = ['RB203']\n")
    inner = write(repo / "service" / "pyproject.toml", "[tool.reviewbot]\nselect = ['RB203']\n")
    assert find_config_file(repo / "service" / "deep" / "x.py") == inner


def test_the_search_stops_at_the_repository_root(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.reviewbot]\nignore = ['RB203']\n")
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    write(project / "app.py", CLIENT)
    assert find_config_file(project / "app.py") is None
    assert load_config(None, project / "app.py", KNOWN).path is None


def test_reviewbot_toml_holds_settings_at_the_top_level_or_under_tool_reviewbot(tmp_path):
    top = write(tmp_path / "a" / ".reviewbot.toml", "select = ['RB203']\n[severity]\nRB203 = 'error'\n")
    nested = write(tmp_path / "b" / ".reviewbot.toml", "[tool.reviewbot]\nselect = ['RB203']\n"
                                                       "[tool.reviewbot.severity]\nRB203 = 'error'\n")
    for path in (top, nested):
        loaded = load_config(path, tmp_path, KNOWN)
        assert loaded.config.select == frozenset({"RB203"})
        assert loaded.config.severity == {"RB203": Severity.ERROR}
        assert loaded.path == path


def test_reviewbot_toml_with_both_layouts_is_an_error(repo):
    path = write(repo / ".reviewbot.toml", "select = ['RB203']\n[tool.reviewbot]\nignore = ['RB203']\n")
    with pytest.raises(ConfigError) as error:
        read_settings_table(path)
    assert str(error.value) == (
        ".reviewbot.toml: settings must sit either at the top level or under [tool.reviewbot], "
        "not both (found top-level key 'select')"
    )


def test_pyproject_given_explicitly_without_a_table_means_defaults(repo):
    path = write(repo / "pyproject.toml", "[project]\nname = 'x'\n")
    loaded = load_config(path, repo, KNOWN)
    assert loaded.config.select is None and loaded.config.ignore == frozenset()


# ----------------------------------------------------------------------------------- errors


def check(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["check", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_unknown_key_names_the_file_and_the_key(repo, capsys):
    write(repo / "pyproject.toml", "[tool.reviewbot]\nselct = ['RB203']\n")
    write(repo / "app.py", CLIENT)
    assert check(capsys, "app.py") == (2, "", "reviewbot: error: pyproject.toml: [tool.reviewbot] unknown key 'selct'\n")


def test_unknown_code_names_the_file_and_the_code(repo, capsys):
    write(repo / ".reviewbot.toml", "ignore = ['RB999']\n")
    write(repo / "app.py", CLIENT)
    assert check(capsys, "app.py") == (
        2, "", "reviewbot: error: .reviewbot.toml: [tool.reviewbot] ignore: unknown rule code 'RB999'\n"
    )


def test_unknown_nested_key_and_bad_values(repo, capsys):
    write(repo / "app.py", CLIENT)
    write(repo / ".reviewbot.toml", "[app]\nreview_event = 'COMMENT'\n")
    assert check(capsys, "app.py")[2] == (
        "reviewbot: error: .reviewbot.toml: [tool.reviewbot.app] unknown key 'review_event'\n"
    )
    write(repo / ".reviewbot.toml", "[severity]\nRB203 = 'fatal'\n")
    assert check(capsys, "app.py")[2] == (
        "reviewbot: error: .reviewbot.toml: [tool.reviewbot] severity.RB203 must be \"error\", \"warning\" or \"info\"\n"
    )


def test_invalid_toml_names_the_file(repo, capsys):
    write(repo / ".reviewbot.toml", "select = [RB203\n")
    write(repo / "app.py", CLIENT)
    status, out, err = check(capsys, "app.py")
    assert status == 2 and out == ""
    assert err.startswith("reviewbot: error: .reviewbot.toml: not valid TOML: ")


def test_settings_file_found_above_the_working_directory_is_named_by_its_path(tmp_path, monkeypatch, capsys):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", "[tool.reviewbot]\nbogus = 1\n")
    write(tmp_path / "service" / "app.py", CLIENT)
    monkeypatch.chdir(tmp_path / "service")
    status, _, err = check(capsys, "app.py")
    assert status == 2
    assert err == f"reviewbot: error: {tmp_path / 'pyproject.toml'}: [tool.reviewbot] unknown key 'bogus'\n"


def test_missing_config_file(repo, capsys):
    write(repo / "app.py", CLIENT)
    assert check(capsys, "--config", "nope.toml", "app.py") == (
        2, "", "reviewbot: error: nope.toml: config file not found\n"
    )


# ---------------------------------------------------------------------- settings in effect


def reported(capsys, *args: str) -> list[tuple[str, int, str, str]]:
    status = main(["check", "--format", "json", "--fail-on", "never", *args])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return [(f["path"], f["line"], f["rule"], f["severity"]) for f in json.loads(captured.out)["findings"]]


def test_select_ignore_and_severity_from_pyproject(repo, capsys):
    write(repo / "app" / "client.py", CLIENT)
    write(repo / "pyproject.toml", "[tool.reviewbot]\nselect = ['RB203']\n")
    assert reported(capsys) == [("app/client.py", 5, "RB203", "warning")]
    write(repo / "pyproject.toml", "[tool.reviewbot]\nselect = ['RB203']\nseverity = { RB203 = 'error' }\n")
    assert reported(capsys) == [("app/client.py", 5, "RB203", "error")]
    write(repo / "pyproject.toml", "[tool.reviewbot]\nignore = ['RB2']\n")
    assert [f for f in reported(capsys) if f[2] == "RB203"] == []


def test_command_line_codes_override_the_settings(repo, capsys):
    write(repo / "app" / "client.py", CLIENT)
    write(repo / "pyproject.toml", "[tool.reviewbot]\nselect = ['RB1']\n")
    assert reported(capsys) == []
    assert reported(capsys, "--select", "RB203") == [("app/client.py", 5, "RB203", "warning")]
    assert reported(capsys, "--extend-select", "RB203") == [("app/client.py", 5, "RB203", "warning")]
    assert reported(capsys, "--select", "RB2", "--ignore", "RB201,RB202,RB203") == []


def test_exclude_globs_leave_files_out_of_the_walk(repo, capsys):
    for path in ("app/client.py", "app/generated/api.py", "legacy/old.py", "app/vendor_x.py"):
        write(repo / path, CLIENT)
    write(repo / "pyproject.toml",
          "[tool.reviewbot]\nselect = ['RB203']\nexclude = ['app/generated/**', 'legacy', '**/vendor_*.py']\n")
    assert reported(capsys) == [("app/client.py", 5, "RB203", "warning")]


def test_per_file_ignores(repo, capsys):
    write(repo / "app" / "client.py", CLIENT)
    write(repo / "app" / "sync" / "job.py", CLIENT)
    write(repo / "pyproject.toml",
          "[tool.reviewbot]\nselect = ['RB203']\n[tool.reviewbot.per-file-ignores]\n'app/sync/*.py' = ['RB203']\n")
    assert reported(capsys) == [("app/client.py", 5, "RB203", "warning")]


def test_context_lists_and_context_severity(repo, capsys):
    write(repo / "app" / "client.py", CLIENT)
    write(repo / "qa" / "smoke.py", CLIENT)
    write(repo / "ops" / "fill.py", CLIENT)
    write(repo / "app" / "jobs.py",
          "import requests\nfrom worker import job\n\n\n@job\ndef sync():\n    requests.get('u')\n")
    write(repo / "pyproject.toml",
          "[tool.reviewbot]\nselect = ['RB203']\ntest-paths = ['qa/**']\nscript-paths = ['ops/**']\n"
          "task-decorators = ['worker.job']\n")
    assert reported(capsys) == [
        ("app/client.py", 5, "RB203", "warning"),
        ("app/jobs.py", 7, "RB203", "error"),
        ("ops/fill.py", 5, "RB203", "info"),
        ("qa/smoke.py", 5, "RB203", "info"),
    ]
    assert {f[3] for f in reported(capsys, "--no-context-severity")} == {"warning"}
    write(repo / "pyproject.toml",
          "[tool.reviewbot]\nselect = ['RB203']\ntest-paths = ['qa/**']\ncontext-severity = false\n")
    assert ("qa/smoke.py", 5, "RB203", "warning") in reported(capsys)


def test_inline_suppressions(repo, capsys):
    write(repo / "app" / "client.py",
          "import requests\n\n"
          "requests.get('a')  # noqa: RB203\n"
          "requests.get('b')  # reviewbot: ignore[RB203] internal sidecar, answers in microseconds\n"
          "requests.get('c')  # noqa: RB101\n"
          "requests.get('d')  # noqa\n"
          "requests.get('e')\n")
    assert reported(capsys, "--select", "RB203") == [
        ("app/client.py", 5, "RB203", "warning"),
        ("app/client.py", 7, "RB203", "warning"),
    ]


def test_max_file_size_setting(repo, capsys):
    write(repo / "app" / "client.py", CLIENT)
    write(repo / "pyproject.toml", "[tool.reviewbot]\nselect = ['RB203']\nmax-file-size = 20\n")
    status = main(["check", "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert status == 0
    assert document == {
        "findings": [],
        "errors": [{"path": "app/client.py", "kind": "skipped", "message": "larger than 20 bytes (max-file-size)"}],
    }
