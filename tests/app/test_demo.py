"""`reviewbot demo` on a machine with no credentials and no settings."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from reviewbot.demo import anchor, explanation_summary, run_demo, without_marker
from tests.llm.fake_llm_server import FakeLlmServer, timeout_fixer


@pytest.mark.slow
def test_the_demo_runs_without_any_environment_and_prints_the_review(tmp_path):
    result = subprocess.run([sys.executable, "-m", "reviewbot.cli", "demo"], env={"PATH": "/usr/bin:/bin"},
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.startswith("reviewbot demo: the GitHub App against a local GitHub sandbox")
    assert "pull request acme/shop#1: Add the order dashboard, the carrier sync and the price import" in out
    assert re.search(r"webhook +pull_request\.opened, signed -> 202 queued as run 1\n", out)
    assert re.search(r"review +posted \d+\.\d\d s after the webhook, \d+ GitHub API calls", out)
    assert "  explanations     off (set OPENAI_API_KEY and REVIEWBOT_LLM_MODEL to add them)\n" in out
    assert re.search(r"Review \(COMMENTED on [0-9a-f]{7}\)\n-+\n## reviewbot performance review", out)
    inline = int(re.search(r"Inline comments \((\d+)\)", out).group(1))
    anchors = re.findall(r"^shop/[a-z_]+\.py:\d+(?:-\d+)?$", out, re.MULTILINE)
    assert inline > 0 and len(anchors) == inline
    assert "shop/views.py:" in out and "**RB" in out
    assert "<!-- reviewbot:v1" not in out
    assert re.search(r"Check run reviewbot/performance: \w+ \(", out)
    assert list(tmp_path.iterdir()) == []  # its state lives in a temporary directory, removed at the end


def test_anchor_names_the_lines_a_comment_sits_on():
    assert anchor({"path": "shop/views.py", "line": 12, "start_line": None}) == "shop/views.py:12"
    assert anchor({"path": "shop/views.py", "line": 14, "start_line": 12}) == "shop/views.py:12-14"


def test_without_marker_drops_only_the_hidden_marker_line():
    body = "**RB203** text\n\n<!-- reviewbot:v1 comment fp=abc rule=RB203 -->"
    assert without_marker(body) == "**RB203** text"
    assert without_marker("plain text") == "plain text"


@pytest.mark.slow
def test_the_demo_prints_what_the_explanations_cost(tmp_path):
    out = io.StringIO()
    with FakeLlmServer(responder=timeout_fixer) as server:
        code = run_demo(tmp_path / "data", out, environ={
            "OPENAI_API_KEY": "local-test-key", "OPENAI_BASE_URL": server.base_url,
            "REVIEWBOT_LLM_MODEL": "local-model"})
        calls = server.call_count
    text = out.getvalue()
    assert code == 0, text
    line = re.search(r"^  explanations     (\d+) of (\d+) findings explained by local-model, (\d+) of (\d+) "
                     r"suggested fixes verified; (\d+) model calls, (\d+) tokens in, (\d+) out, 0 cache hits$",
                     text, re.MULTILINE)
    assert line, text
    explained, findings, verified, offered, model_calls, tokens_in, tokens_out = map(int, line.groups())
    assert 0 < explained <= findings and model_calls == calls > 0 and tokens_in > 0 and tokens_out > 0
    assert 1 <= verified <= offered  # the carrier call in views.py gets a verified timeout fix
    assert "```suggestion" in text


def test_explanation_summary_reads_the_run_record():
    stats = {"enabled": True, "model": "gpt-test", "findings": 3, "explained": 2, "suggestions_offered": 1,
             "verified": 1, "llm_calls": 2, "tokens_in": 1834, "tokens_out": 212, "cache_hits": 1,
             "rule_card_errors": ["a.md: x", "b.md: y"]}
    assert explanation_summary(stats) == (
        "2 of 3 findings explained by gpt-test, 1 of 1 suggested fixes verified; 2 model calls, 1834 tokens in, "
        "212 out, 1 cache hits; 2 rule cards not used")
    assert explanation_summary({**stats, "rule_card_errors": ["a.md: x"]}).endswith("; 1 rule card not used")
    assert explanation_summary(None) == "off (set OPENAI_API_KEY and REVIEWBOT_LLM_MODEL to add them)"
    assert explanation_summary({"error": "TimeoutError: late"}) == "unavailable: TimeoutError: late"
    assert explanation_summary({"enabled": False, "disabled_reason": "turned off by [tool.reviewbot.llm] "
                                "enabled = false"}) == "off: turned off by [tool.reviewbot.llm] enabled = false"
