"""GitHub webhook intake: signature check and event parsing (pure), recording and enqueueing,
and the thin FastAPI app around them."""

from reviewbot.webhooks.events import (
    CommandEvent,
    IgnoredEvent,
    MalformedPayload,
    PullRequestEvent,
    parse_event,
)
from reviewbot.webhooks.signature import InvalidSignature, sign, verify_signature

__all__ = [
    "CommandEvent",
    "IgnoredEvent",
    "InvalidSignature",
    "MalformedPayload",
    "PullRequestEvent",
    "parse_event",
    "sign",
    "verify_signature",
]
