"""A chat-completions endpoint on 127.0.0.1 for tests and benchmarks.

It speaks just enough of the OpenAI protocol (`POST /v1/chat/completions`) for the openai SDK:
each request is handed to a responder that returns the model's text (or a whole `Reply`), with an
optional artificial latency. Requests are recorded for assertions.

    with FakeLlmServer(responder=timeout_fixer, latency=1.0) as server:
        settings = LlmSettings(api_key="test", model="fake", base_url=server.base_url)
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    content: str | None = None  # the assistant message; None with status 200 means an empty choice list
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # a raw JSON body instead of a completion (errors)
    refusal: str | None = None


Responder = Callable[[dict[str, Any]], "Reply | str"]

_FLAGGED = re.compile(r"^> +(\d+) \| (.*)$", re.M)
_REQUESTS_CALL = re.compile(r"\b(requests\.(?:get|post|put|patch|delete|head))\((.*)\)\s*$")


def user_prompt(request: dict[str, Any]) -> str:
    return next(m["content"] for m in request["messages"] if m["role"] == "user")


def flagged_lines(request: dict[str, Any]) -> list[tuple[int, str]]:
    """The lines the prompt marks with `>`, as (number, text)."""
    return [(int(number), text) for number, text in _FLAGGED.findall(user_prompt(request))]


def explanation_only(request: dict[str, Any]) -> str:
    return json.dumps({
        "explanation": "This call can wait forever on a slow upstream, which ties up the worker serving "
                       "the request. Pass an explicit `timeout`.",
        "replacement": None,
    })


def timeout_fixer(request: dict[str, Any]) -> str:
    """Explains and, for one-line `requests` calls, proposes the same line with `timeout=10`."""
    lines = flagged_lines(request)
    replacement = None
    if len(lines) == 1:
        number, text = lines[0]
        match = _REQUESTS_CALL.search(text)
        if match is not None and "timeout" not in text:
            fixed = text[: match.start(2)] + match.group(2) + ", timeout=10)" + text[match.end():]
            replacement = {"start_line": number, "end_line": number, "code": fixed.rstrip()}
    return json.dumps({
        "explanation": "`requests` has no default timeout, so a stalled upstream holds this worker until "
                       "the connection dies. Give the call a timeout, as the rule's documentation shows "
                       "(https://requests.readthedocs.io/en/latest/user/advanced/#timeouts).",
        "replacement": replacement,
    })


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the default backlog of 5 drops concurrent connects (1 s SYN retry)


class FakeLlmServer:
    def __init__(self, responder: Responder = timeout_fixer, latency: float = 0.0) -> None:
        self.responder = responder
        self.latency = latency
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def call_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def start(self) -> FakeLlmServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeLlmServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _handle(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(request)
        if self.latency:
            time.sleep(self.latency)
        reply = self.responder(request)
        return Reply(content=reply) if isinstance(reply, str) else reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("content-length") or 0)
                try:
                    request = json.loads(self.rfile.read(length) or b"{}")
                except json.JSONDecodeError:
                    self._send(400, {"error": {"message": "invalid JSON"}}, {})
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}}, {})
                    return
                reply = server._handle(request)
                if reply.body is not None or reply.status != 200:
                    self._send(reply.status, reply.body or {"error": {"message": "error"}}, reply.headers)
                    return
                self._send(200, completion_body(request, reply), reply.headers)

            def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (deadline); nothing to deliver

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler


def completion_body(request: dict[str, Any], reply: Reply) -> dict[str, Any]:
    prompt_chars = sum(len(m.get("content") or "") for m in request.get("messages", []))
    choices = []
    if reply.content is not None or reply.refusal is not None:
        choices.append({
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": reply.content, "refusal": reply.refusal},
        })
    completion_tokens = len(reply.content or "") // 4
    return {
        "id": "chatcmpl-local",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", "fake"),
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_chars // 4,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_chars // 4 + completion_tokens,
        },
    }
