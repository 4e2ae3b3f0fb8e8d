"""RB203: outgoing HTTP calls without a timeout."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from reviewbot.checks._async import value_origin
from reviewbot.checks._clients import callee_is_imported
from reviewbot.checks.helpers import receiver_is_constructed_by, receiver_value
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
TIMEOUT_CONSTRUCTORS = frozenset({"urllib3.PoolManager", "urllib3.ProxyManager", "urllib3.HTTPConnectionPool",
                                  "urllib3.HTTPSConnectionPool", "urllib3.connection_from_url",
                                  "urllib3.poolmanager.PoolManager", "http.client.HTTPConnection",
                                  "http.client.HTTPSConnection"})
URLLIB3_POOL_METHODS = frozenset({"request", "urlopen", "request_encode_url", "request_encode_body"})
URLLIB3_FUNCTIONS = frozenset({"urllib3.request"})
HTTPX_CLIENT_ORIGINS = frozenset({"httpx.Client()", "httpx.AsyncClient()"})
REQUESTS_SESSION_ORIGINS = frozenset(f"{factory}()" for factory in REQUESTS_SESSION_FACTORIES)
AIOHTTP_TIMEOUT = "aiohttp.ClientTimeout"
AIOHTTP_TIMEOUT_LIMITS = frozenset({"total", "connect", "sock_read", "sock_connect"})
CANDIDATE_METHODS = REQUESTS_VERBS | HTTPX_FUNCTIONS | URLLIB3_POOL_METHODS | {
    name.rsplit(".", 1)[-1] for name in TIMEOUT_CONSTRUCTORS
} | {"Client", "AsyncClient", "ClientTimeout"}
# Modules whose functions are recognised by name: the call must reach them through an import.
LIBRARY_ROOTS = frozenset({"requests", "httpx", "urllib", "urllib2", "urllib3", "http", "aiohttp"})
# A session whose `request` is wrapped to add a timeout, or that mounts an adapter with one.
_SESSION_DEFAULT_TIMEOUT = re.compile(
    rb"\.request\s*=\s*(?:functools\.)?partial\(|class\s+\w+\((?:requests\.adapters\.|adapters\.)?HTTPAdapter\)"
    rb"[\s\S]*?\btimeout\b"
)


class HttpCallWithoutTimeout(Rule):
    """## What it does
    Checks for outgoing HTTP requests made without a timeout: `requests` functions and `Session`
    methods, `urllib.request.urlopen`, `urllib3.request`, `urllib3` pools and `http.client`
    connections with no `timeout`, `httpx` calls, clients or client requests with `timeout=None`, and
    an `aiohttp.ClientTimeout` that sets no limit at all.

    ## Why is this bad?
    Without a timeout a request to a slow or dead upstream waits forever. In a web worker or a task
    that ties up the worker; a few stuck upstream calls exhaust the pool and the whole service stops
    answering. `requests` and `urllib` have no default timeout at all. `httpx` defaults to 5 seconds,
    so only an explicit `timeout=None` is reported, and not on `stream(...)`, whose event stream or
    subscription is meant to stay open; aiohttp defaults to 5 minutes. A call that
    forwards `**kwargs` may carry a timeout and is not reported, nor is a session whose `request` is
    wrapped with a default timeout or that mounts an `HTTPAdapter` subclass setting one, nor a
    `urllib3` pool whose every request in the file passes its own timeout.

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
        for site in ctx.calls_to(CANDIDATE_METHODS):
            name = site.name or ""
            call = site.node
            if scopes.call_has_splat(call):
                continue
            if name and name.split(".", 1)[0] in LIBRARY_ROOTS and not callee_is_imported(ctx, call):
                name = ""  # `requests = {}` then `requests.get(key)`: a local value, not the library
            timeout = _timeout_argument(call, name)
            if name.startswith("requests.") and site.resolved_method in REQUESTS_VERBS and name.count(".") == 1:
                if _missing_or_none(ctx, timeout):
                    yield Report(call, f"`{name}` has no timeout: a slow upstream blocks this worker indefinitely")
            elif site.method in REQUESTS_VERBS and _is_requests_session(ctx, call):
                if _missing_or_none(ctx, timeout):
                    yield Report(call, f"`{ctx.file.text(call.child_by_field_name('function'))}` on a "
                                       "`requests.Session` has no timeout: sessions have no default timeout")
            elif name in URLOPEN or name in URLLIB3_FUNCTIONS:
                if _missing_or_none(ctx, timeout):
                    yield Report(call, f"`{name}` has no timeout: it waits for the socket default (forever)")
            elif name in TIMEOUT_CONSTRUCTORS:
                if _missing_or_none(ctx, timeout) and not _every_request_sets_timeout(ctx, call):
                    yield Report(call, f"`{name}` has no timeout: it waits for the socket default (forever)")
            elif name == AIOHTTP_TIMEOUT:
                if not any(
                    key in AIOHTTP_TIMEOUT_LIMITS and not _is_none(value)
                    for key, value in scopes.call_keyword_arguments(call).items()
                ) and not scopes.call_positional_arguments(call):
                    yield Report(call, "`aiohttp.ClientTimeout` without any limit disables aiohttp's default "
                                       "5-minute timeout")
            elif (name.startswith("httpx.") and site.resolved_method in HTTPX_FUNCTIONS and name.count(".") == 1) or (
                name in HTTPX_CLIENTS
            ):
                if timeout is not None and _is_none(timeout) and site.resolved_method != "stream":
                    yield Report(call, f"`{name}` with `timeout=None` disables httpx's 5 s default timeout")
            elif site.method in HTTPX_FUNCTIONS - {"stream"} and timeout is not None and _is_none(timeout):
                receiver = _receiver(call)
                if receiver is not None and value_origin(ctx, receiver) in HTTPX_CLIENT_ORIGINS:
                    yield Report(call, f"`{ctx.file.text(call.child_by_field_name('function'))}` with `timeout=None` "
                                       "disables the httpx client's timeout")


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


def _receiver(call: Node) -> Node | None:
    function = call.child_by_field_name("function")
    if function is None or function.type != "attribute":
        return None
    return function.child_by_field_name("object")


def _is_requests_session(ctx: CheckContext, call: Node) -> bool:
    receiver = _receiver(call)
    if receiver is None or not ctx.file.memo(("rb203", "imports-requests"), lambda: ctx.file.imports_module("requests")):
        return False  # a `requests.Session` cannot be built or annotated without importing requests
    if not receiver_is_constructed_by(ctx, receiver, REQUESTS_SESSION_FACTORIES) and (
        value_origin(ctx, receiver) not in REQUESTS_SESSION_ORIGINS
    ):
        return False
    return not ctx.file.memo(("rb203", "session-default-timeout"),
                             lambda: _SESSION_DEFAULT_TIMEOUT.search(ctx.file.source) is not None)


def _every_request_sets_timeout(ctx: CheckContext, constructor: Node) -> bool:
    """`http = urllib3.PoolManager()` is fine when every `http.request(...)` in the file passes a
    timeout of its own."""
    requests_on_pool = [
        site.node for site in ctx.calls_to(URLLIB3_POOL_METHODS)
        if (receiver := _receiver(site.node)) is not None
        and (value := receiver_value(ctx, receiver)) is not None and value.id == constructor.id
    ]
    return bool(requests_on_pool) and all(
        _timeout_argument(node, "") is not None or scopes.call_has_splat(node) for node in requests_on_pool
    )
