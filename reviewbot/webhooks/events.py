"""GitHub webhook payloads parsed into frozen dataclasses: pure, no web framework, no I/O.

Only the fields the App uses are read, and each is type-checked here, at the boundary, so the rest
of the App never handles a raw `dict`. A payload that lacks a field we need raises
MalformedPayload naming it; an event or action we do not handle becomes an IgnoredEvent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"

REVIEW_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})
COMMAND = "/perfcheck"
_DELIVERY_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


class MalformedPayload(ValueError):
    """The request is signed but is not a webhook payload we can read; the message says why."""


@dataclass(frozen=True, slots=True)
class PullRequestEvent:
    """`pull_request` with an action that asks for a review."""

    delivery_id: str
    action: str
    installation_id: int
    repository: str  # owner/name
    number: int
    head_sha: str
    draft: bool
    sender_login: str


@dataclass(frozen=True, slots=True)
class CommandEvent:
    """An `issue_comment` created on a pull request whose body starts with `/perfcheck`.
    It carries no head SHA: the worker reads the pull request's head when it runs."""

    delivery_id: str
    installation_id: int
    repository: str
    number: int
    comment_id: int
    author_login: str
    arguments: str


@dataclass(frozen=True, slots=True)
class IgnoredEvent:
    """A valid delivery that needs no work; `reason` is reported back to GitHub."""

    delivery_id: str
    event: str
    action: str
    reason: str


WebhookEvent = PullRequestEvent | CommandEvent | IgnoredEvent


def check_delivery_id(value: str | None) -> str:
    if not value:
        raise MalformedPayload(f"missing {DELIVERY_HEADER} header")
    if not _DELIVERY_ID.match(value):
        raise MalformedPayload(f"{DELIVERY_HEADER} is not a delivery id")
    return value


def parse_event(event: str | None, delivery_id: str | None, body: bytes) -> WebhookEvent:
    """Parse a delivery whose signature was already verified."""
    delivery = check_delivery_id(delivery_id)
    if not event:
        raise MalformedPayload(f"missing {EVENT_HEADER} header")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise MalformedPayload("the body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise MalformedPayload("the body is not a JSON object")
    action = payload.get("action")
    action = action if isinstance(action, str) else ""
    if event == "pull_request":
        if action not in REVIEW_ACTIONS:
            return IgnoredEvent(delivery, event, action, f"pull_request action {action!r} needs no review")
        return _pull_request(delivery, payload)
    if event == "issue_comment":
        return _issue_comment(delivery, action, payload)
    return IgnoredEvent(delivery, event, action, f"event {event!r} is not handled")


def _pull_request(delivery: str, payload: Mapping[str, Any]) -> PullRequestEvent:
    head_sha = _str(payload, "pull_request.head.sha")
    if not _SHA.match(head_sha):
        raise MalformedPayload("pull_request.head.sha is not a commit SHA")
    return PullRequestEvent(
        delivery_id=delivery,
        action=_str(payload, "action"),
        installation_id=_int(payload, "installation.id"),
        repository=_repository(payload),
        number=_int(payload, "pull_request.number"),
        head_sha=head_sha,
        draft=_bool(payload, "pull_request.draft", default=False),
        sender_login=_str(payload, "sender.login"),
    )


def _issue_comment(delivery: str, action: str, payload: Mapping[str, Any]) -> WebhookEvent:
    if action != "created":
        return IgnoredEvent(delivery, "issue_comment", action, f"issue_comment action {action!r} is not a command")
    body = _str(payload, "comment.body", allow_empty=True)
    arguments = command_arguments(body)
    if arguments is None:
        return IgnoredEvent(delivery, "issue_comment", action, f"the comment is not a {COMMAND} command")
    issue = _get(payload, "issue")
    if not isinstance(issue, Mapping):
        raise MalformedPayload("issue is missing")
    if not issue.get("pull_request"):
        return IgnoredEvent(delivery, "issue_comment", action, f"{COMMAND} on an issue, not a pull request")
    if "Bot" in (_get(payload, "sender.type", ""), _get(payload, "comment.user.type", "")):
        return IgnoredEvent(delivery, "issue_comment", action, f"{COMMAND} from a bot is ignored")
    return CommandEvent(
        delivery_id=delivery,
        installation_id=_int(payload, "installation.id"),
        repository=_repository(payload),
        number=_int(payload, "issue.number"),
        comment_id=_int(payload, "comment.id"),
        author_login=_str(payload, "comment.user.login"),
        arguments=arguments,
    )


def command_arguments(body: str) -> str | None:
    """The text after `/perfcheck` when the comment is that command, else None.
    `/perfcheck` must be the first word: `/perfchecker` or a quoted mention is not a command."""
    text = body.lstrip()
    if not text.startswith(COMMAND):
        return None
    rest = text[len(COMMAND):]
    if rest and not rest[0].isspace():
        return None
    return rest.strip().splitlines()[0].strip() if rest.strip() else ""


def _repository(payload: Mapping[str, Any]) -> str:
    name = _str(payload, "repository.full_name")
    owner, _, repo = name.partition("/")
    if not owner or not repo or "/" in repo:
        raise MalformedPayload("repository.full_name is not owner/name")
    return name


_MISSING = object()


def _get(payload: Mapping[str, Any], path: str, default: Any = _MISSING) -> Any:
    value: Any = payload
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value or value[key] is None:
            if default is not _MISSING:
                return default
            raise MalformedPayload(f"{path} is missing")
        value = value[key]
    return value


def _str(payload: Mapping[str, Any], path: str, *, allow_empty: bool = False) -> str:
    value = _get(payload, path)
    if not isinstance(value, str) or (not value and not allow_empty):
        raise MalformedPayload(f"{path} must be a non-empty string")
    return value


def _int(payload: Mapping[str, Any], path: str) -> int:
    value = _get(payload, path)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise MalformedPayload(f"{path} must be a positive integer")
    return value


def _bool(payload: Mapping[str, Any], path: str, *, default: bool) -> bool:
    value = _get(payload, path, default)
    if not isinstance(value, bool):
        raise MalformedPayload(f"{path} must be true or false")
    return value
