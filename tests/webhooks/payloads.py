"""Webhook payloads as GitHub sends them (trimmed to realistic size), and signed requests."""

from __future__ import annotations

import json
import uuid
from typing import Any

from reviewbot.webhooks.signature import sign

SECRET = "webhook-secret-for-tests"
HEAD = "a" * 40
HEAD_2 = "b" * 40


def pull_request_payload(action: str = "opened", *, number: int = 7, head: str = HEAD, draft: bool = False,
                         repository: str = "acme/shop", installation: int = 42) -> dict[str, Any]:
    owner, name = repository.split("/")
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number, "state": "open", "draft": draft, "title": "Add the order dashboard",
            "head": {"sha": head, "ref": "feature", "repo": {"full_name": repository}},
            "base": {"sha": "c" * 40, "ref": "main", "repo": {"full_name": repository}},
            "user": {"login": "alice", "type": "User"},
        },
        "repository": {"id": 1, "name": name, "full_name": repository, "owner": {"login": owner}},
        "installation": {"id": installation, "node_id": "MDIz"},
        "sender": {"login": "alice", "type": "User"},
    }


def comment_payload(body: str = "/perfcheck", *, number: int = 7, login: str = "bob", user_type: str = "User",
                    on_pull_request: bool = True, action: str = "created", comment_id: int = 9001,
                    repository: str = "acme/shop") -> dict[str, Any]:
    owner, name = repository.split("/")
    issue: dict[str, Any] = {"number": number, "title": "Add the order dashboard", "state": "open"}
    if on_pull_request:
        issue["pull_request"] = {"url": f"https://api.github.com/repos/{repository}/pulls/{number}"}
    return {
        "action": action,
        "issue": issue,
        "comment": {"id": comment_id, "body": body, "user": {"login": login, "type": user_type},
                    "author_association": "CONTRIBUTOR"},
        "repository": {"id": 1, "name": name, "full_name": repository, "owner": {"login": owner}},
        "installation": {"id": 42},
        "sender": {"login": login, "type": user_type},
    }


def signed_headers(body: bytes, event: str, *, delivery: str | None = None, secret: str = SECRET) -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(body, secret),
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/test",
    }


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()
