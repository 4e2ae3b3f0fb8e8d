"""The web adapter around WebhookIntake: read the body (bounded), hand it over, answer.

POST /webhook  GitHub deliveries
GET  /healthz  the process is up
GET  /readyz   the queue and the state database answer

POST /webhook is plain ASGI in front of the FastAPI app: it is the one path under load, and it
needs none of the framework's routing, dependency or middleware layers, each of which costs
time on the event loop for every delivery. Everything else goes to FastAPI.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from reviewbot.webhooks.intake import (
    MAX_BODY_BYTES,
    PayloadTooLarge,
    Reply,
    WebhookIntake,
    precheck,
    too_large,
)

logger = logging.getLogger(__name__)

ReadinessCheck = Callable[[], None]  # raises when the dependency is unreachable
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
WEBHOOK_PATH = "/webhook"


class ClientDisconnected(Exception):
    pass


class WebApp:
    """The ASGI application: POST /webhook here, the rest (health, readiness, 404s) in `fallback`."""

    def __init__(self, intake: WebhookIntake, fallback: FastAPI) -> None:
        self.intake = intake
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != WEBHOOK_PATH:
            await self.fallback(scope, receive, send)
        elif scope["method"] == "POST":
            await self.webhook(scope, receive, send)
        else:
            await send_reply(send, Reply(405, {"error": "use POST"}), [(b"allow", b"POST")])

    async def webhook(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        reply = precheck(headers)
        if reply is None:
            try:
                body = await read_bounded(receive, MAX_BODY_BYTES)
            except PayloadTooLarge:
                reply = too_large()
            except ClientDisconnected:
                return  # nobody is left to answer
            else:
                # The intake writes to the database: keep that blocking work off the event loop.
                try:
                    reply = await run_in_threadpool(self.intake.receive, headers, body)
                except Exception:  # the intake maps bad input to replies; this is a bug
                    logger.exception("webhook intake failed")
                    reply = Reply(500, {"error": "internal error"})
        await send_reply(send, reply)


def create_app(intake: WebhookIntake, readiness: Mapping[str, ReadinessCheck]) -> WebApp:
    app = FastAPI(title="reviewbot", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        for name, check in readiness.items():
            try:
                check()
            except Exception as error:
                logger.warning("readiness: %s is unreachable: %s", name, error)
                checks[name] = f"unreachable: {type(error).__name__}"
            else:
                checks[name] = "ok"
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                            status_code=200 if ready else 503)

    return WebApp(intake, app)


async def read_bounded(receive: Receive, limit: int) -> bytes:
    """The request body, refusing it as soon as more than `limit` bytes arrived (a client may
    send more than its Content-Length says, or no Content-Length at all)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"more than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_reply(send: Send, reply: Reply, extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(reply.body, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               *(extra_headers or [])]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
