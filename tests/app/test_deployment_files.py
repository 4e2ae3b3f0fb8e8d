"""The App manifest and the Dockerfile say what the App needs (no Docker engine runs here)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_the_manifest_subscribes_to_the_events_the_app_handles():
    manifest = yaml.safe_load((ROOT / "app.yml").read_text())
    assert manifest["default_events"] == ["pull_request", "issue_comment"]
    assert manifest["hook_attributes"]["url"].endswith("/webhook")
    assert manifest["hook_attributes"]["active"] is True


def test_the_manifest_asks_for_the_permissions_the_app_uses():
    permissions = yaml.safe_load((ROOT / "app.yml").read_text())["default_permissions"]
    assert permissions == {"metadata": "read", "pull_requests": "write", "checks": "write", "contents": "read",
                           "issues": "write"}


def test_the_image_runs_as_a_non_root_user():
    text = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and all(not user.startswith(("root", "0")) for user in users)


def test_the_image_checks_its_health_on_healthz_and_serves_on_all_interfaces():
    text = (ROOT / "Dockerfile").read_text()
    healthcheck = re.search(r"^HEALTHCHECK .*?(?<!\\)$", text, re.MULTILINE | re.DOTALL)
    assert healthcheck and "http://127.0.0.1:8000/healthz" in healthcheck.group(0)
    assert 'CMD ["reviewbot", "serve", "--host", "0.0.0.0", "--port", "8000"]' in text
    assert "REVIEWBOT_DATA_DIR=/data" in text
