"""RB203: outgoing HTTP calls without a timeout."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from reviewbot.checks.helpers import receiver_is_constructed_by
from reviewbot.checks.registry import CheckContext, Match, Report, Rule
from reviewbot.findings import Principle, Severity
from reviewbot.source import scopes

REQUESTS_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
REQUESTS_SESSION_FACTORIES = frozenset({"requests.Session", "requests.session", "requests.sessions.Session"})
HTTPX_FUNCTIONS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"})
HTTPX_CLIENTS = frozenset({"httpx.Client", "httpx.AsyncClient"})
URLOPEN = frozenset({"urllib.request.urlopen", "urllib2.urlopen"})
# Positional index of `timeout` where the signature allows passing it positionally.
TIMEOUT_POSITION = {"urllib.request.urlopen": 2, "urllib2.urlopen": 2, "http.client.HTTPConnection": 2,
                    "http.client.HTTPSConnection": 2}
TIMEOUT_CONSTRUCTORS = frozenset({"urllib3.PoolManager", "http.client.HTTPConnection", "http.client.HTTPSConnection"})


class HttpCallWithoutTimeout(Rule):
    """## What it does
    Checks for outgoing HTTP requests made without a timeout: `requests` functions and `Session`
    methods, `urllib.request.urlopen`, `urllib3.PoolManager` and `http.client` connections with no
    `timeout`, and `httpx` calls or clients with `timeout=None`.

    ## Why is this bad?
    Without a timeout a request to a slow or dead upstream waits forever. In a web worker or a task
    that ties up the worker; a few stuck upstream calls exhaust the pool and the whole service stops
    answering. `requests` and `urllib` have no default timeout at all. `httpx` defaults to 5 seconds,
    so only an explicit `timeout=None` is reported. A call that forwards `**kwargs` may carry a
    timeout and is not reported.

    ## Example
    ```python
    import requests

    def fetch_rates():
        return requests.get("https://rates.example.com/latest").json()
    ```

    ## Use instead
    ```python
    import requests

    def fetch_rates():
        return requests.get("https://rates.example.com/latest", timeout=(3.05, 10)).json()
    ```

    ## References
    - requests: Timeouts (https://requests.readthedocs.io/en/latest/user/advanced/#timeouts)
    - httpx: Timeouts (https://www.python-httpx.org/advanced/timeouts/)
    """

    code = "RB203"
    name = "http-call-without-timeout"
    category = "http-no-timeout"
    principle = Principle.ASYNC_PROCESSING
    severity = Severity.WARNING

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        methods = REQUESTS_VERBS | HTTPX_FUNCTIONS | {"urlopen", "PoolManager", "HTTPConnection", "HTTPSConnection",
                                                       "Client", "AsyncClient"}
        for site in ctx.calls_to(methods):
            name = site.name or ""
            call = site.node
            if scopes.call_has_splat(call):
                continue
            timeout = _timeout_argument(call, name)
            if name.startswith("requests.") and site.resolved_method in REQUESTS_VERBS and name.count(".") == 1:
                if _missing_or_none(ctx, timeout):
                    yield Report(call, f"`{name}` has no timeout: a slow upstream blocks this worker indefinitely")
            elif site.method in REQUESTS_VERBS and _is_requests_session(ctx, call):
                if _missing_or_none(ctx, timeout):
                    yield Report(call, f"`{ctx.file.text(call.child_by_field_name('function'))}` on a "
                                       "`requests.Session` has no timeout: sessions have no default timeout")
            elif name in URLOPEN or name in TIMEOUT_CONSTRUCTORS:
                if _missing_or_none(ctx, timeout):
                    yield Report(call, f"`{name}` has no timeout: it waits for the socket default (forever)")
            elif (name.startswith("httpx.") and site.resolved_method in HTTPX_FUNCTIONS and name.count(".") == 1) or (
                name in HTTPX_CLIENTS
            ):
                if timeout is not None and _is_none(timeout):
                    yield Report(call, f"`{name}` with `timeout=None` disables httpx's 5 s default timeout")


def _timeout_argument(call: Node, name: str) -> Node | None:
    keywords = scopes.call_keyword_arguments(call)
    if "timeout" in keywords:
        return keywords["timeout"]
    position = TIMEOUT_POSITION.get(name)
    if position is not None:
        positional = scopes.call_positional_arguments(call)
        if len(positional) > position:
            return positional[position]
    return None


def _is_none(node: Node) -> bool:
    return node.type == "none"


def _missing_or_none(ctx: CheckContext, timeout: Node | None) -> bool:
    return timeout is None or _is_none(timeout)


def _is_requests_session(ctx: CheckContext, call: Node) -> bool:
    function = call.child_by_field_name("function")
    if function is None or function.type != "attribute":
        return False
    receiver = function.child_by_field_name("object")
    return receiver is not None and receiver_is_constructed_by(ctx, receiver, REQUESTS_SESSION_FACTORIES)
