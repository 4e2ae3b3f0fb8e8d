"""`reviewbot demo` on a machine with no credentials and no settings."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from reviewbot.demo import anchor, without_marker

pytestmark = pytest.mark.slow


def test_the_demo_runs_without_any_environment_and_prints_the_review(tmp_path):
    result = subprocess.run([sys.executable, "-m", "reviewbot.cli", "demo"], env={"PATH": "/usr/bin:/bin"},
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.startswith("reviewbot demo: the GitHub App against a local GitHub sandbox")
    assert "pull request acme/shop#1: Add the order dashboard, the carrier sync and the price import" in out
    assert re.search(r"webhook +pull_request\.opened, signed -> 202 queued as run 1\n", out)
    assert re.search(r"review +posted \d+\.\d\d s after the webhook, \d+ GitHub API calls", out)
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
