"""Explanations from a real HTTP endpoint on 127.0.0.1 speaking the chat-completions protocol."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot import AnalysisResult, Config, analyze
from reviewbot.config import LlmOptions
from reviewbot.llm.cards import RuleCardError
from reviewbot.llm.cli_support import explain_for_cli
from tests.llm.conftest import RATES_PY, RB203_ONLY
from tests.llm.fake_llm_server import FakeLlmServer, Reply, explanation_only, timeout_fixer

FIXED_9 = '    response = requests.get(f"{RATES_URL}?base={currency}", timeout=10)'
FIXED_14 = ('    response = requests.get(f"{RATES_URL}/history", params={"base": currency, "days": days}, '
            'timeout=10)')


def environ(server: FakeLlmServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": "local-test-key",
        "OPENAI_BASE_URL": server.base_url,
        "REVIEWBOT_LLM_MODEL": "local-model",
        "REVIEWBOT_LLM_CACHE_URL": f"sqlite:///{tmp_path / 'cache.sqlite3'}",
        **extra,
    }


@pytest.mark.slow
def test_check_explain_against_a_local_endpoint(tmp_path):
    files = {"app/rates.py": RATES_PY}
    result = analyze(files, config=RB203_ONLY)
    with FakeLlmServer(responder=timeout_fixer) as server:
        err = io.StringIO()
        explained = explain_for_cli(result, files, Config(), environ=environ(server, tmp_path), stderr=err)
        assert server.call_count == 2
        first, second = explained.findings
        assert "`requests` has no default timeout" in first.explanation
        assert "https://requests.readthedocs.io/en/latest/user/advanced/#timeouts" in first.explanation
        assert (first.suggestion, second.suggestion) == (FIXED_9, FIXED_14)
        assert [(f.rule, f.line, f.severity) for f in explained.findings] == \
            [(f.rule, f.line, f.severity) for f in result.findings]
        assert err.getvalue() == "reviewbot: explained 2 of 2 findings, 2 of 2 suggested fixes verified\n"
        request = server.requests[0]
        assert request["model"] == "local-model"
        assert request["response_format"]["type"] == "json_schema"

        again = io.StringIO()
        repeated = explain_for_cli(result, files, Config(), environ=environ(server, tmp_path), stderr=again)
        assert server.call_count == 2  # a re-push costs nothing
        assert repeated.findings == explained.findings
        assert again.getvalue() == ("reviewbot: explained 2 of 2 findings, 2 from cache, "
                                    "2 of 2 suggested fixes verified\n")


@pytest.mark.slow
def test_failures_are_summarised_and_the_findings_kept(tmp_path):
    files = {"app/rates.py": RATES_PY}
    result = analyze(files, config=RB203_ONLY)
    with FakeLlmServer(responder=lambda request: Reply(status=500)) as server:
        err = io.StringIO()
        env = environ(server, tmp_path, REVIEWBOT_LLM_MAX_ATTEMPTS="1")
        explained = explain_for_cli(result, files, Config(), environ=env, stderr=err)
    assert explained.findings == result.findings
    assert err.getvalue() == ("reviewbot: explained 0 of 2 findings; 2 kept the checker's message "
                              "(server errors: 2)\n")


def test_without_endpoint_settings_the_cli_says_how_to_turn_explanations_on(tmp_path):
    result = AnalysisResult(findings=analyze({"app/rates.py": RATES_PY}, config=RB203_ONLY).findings)
    err = io.StringIO()
    same = explain_for_cli(result, {"app/rates.py": RATES_PY}, Config(), environ={}, stderr=err)
    assert same is result
    assert err.getvalue() == ("reviewbot: --explain: explanations are off: set OPENAI_API_KEY and "
                              "REVIEWBOT_LLM_MODEL (and OPENAI_BASE_URL for another endpoint)\n")
    err = io.StringIO()
    explain_for_cli(result, {}, Config(llm=LlmOptions(enabled=False)), environ={}, stderr=err)
    assert err.getvalue() == ("reviewbot: --explain: explanations are turned off by "
                              "[tool.reviewbot.llm] enabled = false\n")


@pytest.mark.slow
def test_a_team_card_directory_grounds_the_prompt(tmp_path):
    cards = tmp_path / "repo" / ".reviewbot" / "rules"
    cards.mkdir(parents=True)
    (cards / "http.md").write_text(
        "---\nid: async-processing\ntitle: Platform HTTP policy\ndescription: Use platform.http.\n"
        "severity: high\ntags: [http]\napplies_to: [python]\nrelated_rules: []\n---\n\n"
        "Always call `platform.http.session()`.\n"
    )
    files = {"app/rates.py": RATES_PY}
    config = Config(llm=LlmOptions(rule_cards_dir=".reviewbot/rules", rule_cards_mode="replace"))
    with FakeLlmServer(responder=explanation_only) as server:
        explain_for_cli(analyze(files, config=RB203_ONLY), files, config, environ=environ(server, tmp_path),
                        root=tmp_path / "repo", stderr=io.StringIO())
        system = server.requests[0]["messages"][0]["content"]
    assert "Always call `platform.http.session()`." in system
    assert "Never make a request wait" not in system


def test_a_malformed_team_card_is_a_configuration_error(tmp_path):
    (tmp_path / "bad.md").write_text("---\ntitle: no id\n---\nbody\n")
    config = Config(llm=LlmOptions(rule_cards_dir=str(tmp_path)))
    env = {"OPENAI_API_KEY": "k", "REVIEWBOT_LLM_MODEL": "m"}
    with pytest.raises(RuleCardError, match=r"bad\.md: rule card field 'id' is missing"):
        explain_for_cli(AnalysisResult(), {}, config, environ=env, stderr=io.StringIO())


def _cli_supports_explain() -> bool:
    try:
        import reviewbot.cli  # noqa: F401
    except ImportError:
        return False
    script = Path(sys.executable).with_name("reviewbot")
    if not script.exists():
        return False
    help_text = subprocess.run([str(script), "check", "--help"], capture_output=True, text=True, timeout=60)
    return "--explain" in help_text.stdout


@pytest.mark.slow
def test_reviewbot_check_explain_command(tmp_path):
    if not _cli_supports_explain():
        pytest.skip("`reviewbot check --explain` is not available in this build")
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "rates.py").write_bytes(RATES_PY)
    with FakeLlmServer(responder=timeout_fixer) as server:
        env = {**environ(server, tmp_path), "PATH": str(Path(sys.executable).parent)}
        completed = subprocess.run(
            [str(Path(sys.executable).with_name("reviewbot")), "check", "--explain", "app"],
            cwd=project, env=env, capture_output=True, text=True, timeout=120,
        )
        assert server.call_count >= 2, completed.stderr  # one call per RB203 finding, at least
    assert "has no default timeout" in completed.stdout, completed.stdout + completed.stderr
