"""RB203: outgoing HTTP calls without a timeout."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from reviewbot.checks._async import value_origin
from reviewbot.checks._clients import callee_is_imported, held_values, is_built_by
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
_REQUEST_WRAPPED = re.compile(rb"\.request\s*=\s*(?:functools\.)?partial\(")
_TIMEOUT_ADAPTER_CLASS = re.compile(
    rb"class\s+\w+\((?:requests\.adapters\.|adapters\.)?HTTPAdapter\)[\s\S]*?\btimeout\b"
)
_EVERY_SESSION = "every session"
# Names an httpx client is commonly kept under (`app.state.http`, `self.client`), trusted only
# for an explicit `timeout=None` in a file that imports httpx and binds nothing to that name.
HTTPX_CLIENT_NAMES = frozenset({"http", "client", "http_client", "httpx_client", "async_client", "session"})


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
        if not _may_call_a_client(ctx):
            return
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
                if receiver is not None and _is_httpx_client(ctx, receiver):
                    yield Report(call, f"`{ctx.file.text(call.child_by_field_name('function'))}` with `timeout=None` "
                                       "disables the httpx client's timeout")


def _may_call_a_client(ctx: CheckContext) -> bool:
    """Whether the file can hold a call this rule reports, without looking at any call: each is
    named through an import of one of `LIBRARY_ROOTS`, but for an httpx client built without one
    (`httpx.Client()` spelled in the file)."""
    return any(value.split(".", 1)[0] in LIBRARY_ROOTS for value in ctx.file.imports.values()) or (
        b"httpx" in ctx.file.source)


def _timeout_argument(call: Node, name: str) -> Node | None:
    return scopes.call_argument(call, "timeout", TIMEOUT_POSITION.get(name))


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
    ) and not is_built_by(ctx, receiver, REQUESTS_SESSION_FACTORIES):
        return False
    configured = ctx.file.memo(("rb203", "sessions-with-default-timeout"), lambda: _sessions_with_default_timeout(ctx))
    return not (configured == _EVERY_SESSION or any(value.id in configured for value in held_values(ctx, receiver)))


def _sessions_with_default_timeout(ctx: CheckContext) -> frozenset[int] | str:
    """The sessions (ids of the calls that built them) given a default timeout: their `request`
    wrapped with `partial(..., timeout=...)`, or a timeout adapter mounted on them. When such a
    session cannot be traced to where it was built, every session in the file is trusted."""
    source = ctx.file.source
    configured: list[Node] = []
    for found in _REQUEST_WRAPPED.finditer(source):
        name = ctx.file.root.descendant_for_byte_range(found.start() + 1, found.start() + 8)
        target = name.parent if name is not None else None
        if target is None or target.type != "attribute" or target.parent is None or target.parent.type != "assignment":
            return _EVERY_SESSION
        configured.append(target)
    adapter_in_file = _TIMEOUT_ADAPTER_CLASS.search(source) is not None
    for site in ctx.calls_to({"mount"}):
        arguments = site.node.child_by_field_name("arguments")
        prefix = scopes.call_positional_arguments(site.node)[:1]
        if prefix and prefix[0].type == "string" and not prefix[0].text.strip(b"'\"rbRBfFuU").startswith(b"http"):
            continue  # `app.mount("/static", ...)`: a web app mounting a sub-application
        if adapter_in_file or (arguments is not None and b"timeout" in arguments.text.lower()):
            configured.append(site.node.child_by_field_name("function"))
    ids: set[int] = set()
    for attribute in configured:
        session = attribute.child_by_field_name("object") if attribute is not None else None
        values = held_values(ctx, session) if session is not None else []
        if not values:
            return _EVERY_SESSION
        ids.update(value.id for value in values)
    return frozenset(ids)


def _is_httpx_client(ctx: CheckContext, receiver: Node) -> bool:
    origin = value_origin(ctx, receiver)
    if origin in HTTPX_CLIENT_ORIGINS or is_built_by(ctx, receiver, HTTPX_CLIENTS):
        return True
    if not ctx.file.memo(("rb203", "imports-httpx"), lambda: ctx.file.imports_module("httpx")) or held_values(
        ctx, receiver
    ):
        return False
    if origin is not None and not origin.startswith("self.") and ".state." not in origin:
        return False  # typed as something else (`client: BillingApi`), whose `timeout=None` may mean its default
    written = receiver.child_by_field_name("attribute") if receiver.type == "attribute" else receiver
    return written is not None and written.type == "identifier" and written.text.decode() in HTTPX_CLIENT_NAMES


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
