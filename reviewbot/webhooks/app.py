"""The FastAPI adapter around WebhookIntake: read the body (bounded), hand it over, answer.

POST /webhook  GitHub deliveries
GET  /healthz  the process is up
GET  /readyz   the queue and the state database answer
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

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


def create_app(intake: WebhookIntake, readiness: Mapping[str, ReadinessCheck]) -> FastAPI:
    app = FastAPI(title="reviewbot", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/webhook")
    async def webhook(request: Request) -> JSONResponse:
        headers = {key.lower(): value for key, value in request.headers.items()}
        refused = precheck(headers)
        if refused is not None:
            return _response(refused)
        try:
            body = await read_bounded(request, MAX_BODY_BYTES)
        except PayloadTooLarge:
            return _response(too_large())
        except ClientDisconnect:
            return _response(Reply(400, {"error": "the client disconnected before the body was read"}))
        # The intake writes to the database: keep that blocking work off the event loop.
        reply = await run_in_threadpool(intake.receive, headers, body)
        return _response(reply)

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

    return app


async def read_bounded(request: Request, limit: int) -> bytes:
    """The request body, refusing it as soon as more than `limit` bytes arrived (a client may
    send more than its Content-Length says, or no Content-Length at all)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _response(reply: Reply) -> JSONResponse:
    return JSONResponse(reply.body, status_code=reply.status)
