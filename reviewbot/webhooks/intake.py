"""Webhook intake without a web framework: verify, parse, record, enqueue, answer.

It does no GitHub calls and no analysis, so it answers in milliseconds. Bad input never raises:
each failure maps to a 4xx reply (401 unsigned or forged, 413 too large, 400 unreadable), and an
unavailable database or queue is a 503 so that the delivery shows as failed and can be redelivered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from reviewbot.state.records import IntakeOutcome
from reviewbot.state.store import StateStore
from reviewbot.state.writer_lock import writer_priority
from reviewbot.webhooks.events import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    CommandEvent,
    IgnoredEvent,
    MalformedPayload,
    WebhookEvent,
    parse_event,
)
from reviewbot.webhooks.routing import run_request_for
from reviewbot.webhooks.signature import SIGNATURE_HEADER, InvalidSignature, verify_signature

MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub does not deliver larger payloads

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: dict[str, object] = field(default_factory=dict)


class PayloadTooLarge(ValueError):
    pass


def too_large() -> Reply:
    return Reply(413, {"error": f"payload larger than {MAX_BODY_BYTES // (1024 * 1024)} MB"})


def precheck(headers: Mapping[str, str]) -> Reply | None:
    """What can be refused from the headers alone, before reading the body: no signature, or
    a declared length over the limit. `headers` must be keyed in lower case."""
    if not headers.get(SIGNATURE_HEADER.lower()):
        return Reply(401, {"error": f"missing {SIGNATURE_HEADER} header"})
    length = headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            return Reply(400, {"error": "Content-Length is not a number"})
        if int(length) > MAX_BODY_BYTES:
            return too_large()
    return None


class WebhookIntake:
    def __init__(self, secret: str | bytes, store: StateStore, enqueue: Callable[[int], None]) -> None:
        self._secret = secret
        self._store = store
        self._enqueue = enqueue

    def receive(self, headers: Mapping[str, str], body: bytes) -> Reply:
        headers = {key.lower(): value for key, value in headers.items()}
        refused = precheck(headers)
        if refused is not None:
            return refused
        if len(body) > MAX_BODY_BYTES:
            return too_large()
        try:
            verify_signature(body, headers.get(SIGNATURE_HEADER.lower()), self._secret)
        except InvalidSignature as error:
            logger.warning("webhook refused: %s", error)
            return Reply(401, {"error": str(error)})
        try:
            event = parse_event(headers.get(EVENT_HEADER.lower()), headers.get(DELIVERY_HEADER.lower()), body)
        except MalformedPayload as error:
            logger.warning("webhook refused: %s", error)
            return Reply(400, {"error": str(error)})
        with writer_priority():
            return self._record(event, headers.get(EVENT_HEADER.lower(), ""))

    def _record(self, event: WebhookEvent, event_name: str) -> Reply:
        request = run_request_for(event)
        delivery_id = event.delivery_id
        action = "created" if isinstance(event, CommandEvent) else event.action
        reason = event.reason if isinstance(event, IgnoredEvent) else ""
        try:
            result = self._store.record_delivery(delivery_id, event_name, action, request, reason)
        except Exception:
            logger.exception("delivery %s: the state database is unavailable", delivery_id)
            return Reply(503, {"error": "the state database is unavailable; redeliver later"})
        if result.outcome is IntakeOutcome.QUEUED and result.run_id is not None and result.carried_by is None:
            try:
                self._enqueue(result.run_id)
            except Exception:
                logger.exception("delivery %s: the queue is unavailable", delivery_id)
                try:
                    self._store.forget_delivery(delivery_id, "the queue was unavailable at intake")
                except Exception:
                    logger.exception("delivery %s: could not undo the intake record", delivery_id)
                return Reply(503, {"error": "the queue is unavailable; redeliver later"})
        logger.info("delivery %s (%s): %s %s", delivery_id, event_name, result.outcome.value, result.detail)
        body: dict[str, object] = {"status": result.outcome.value, "delivery": delivery_id}
        if result.run_id is not None:
            body["run"] = result.run_id
        if result.detail:
            body["detail"] = result.detail
        return Reply(202, body)
