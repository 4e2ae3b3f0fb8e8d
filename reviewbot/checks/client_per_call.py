"""RB303: network clients and connection pools built per request, per task run or per loop
iteration instead of once."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from reviewbot.checks._clients import REDIS_FACTORIES, call_display, callee_is_imported, method_receiver
from reviewbot.checks.helpers import receiver_is_constructed_by, role_of
from reviewbot.checks.loop_invariant import (
    SLEEP_CALLS,
    is_lazy_initialisation,
    is_retry_loop,
    is_tiny_loop,
    loop_calls,
    loop_changed_names,
    loop_description,
    references,
    uses_changed_name,
)
from reviewbot.checks.registry import CheckContext, Match, Report, Rule
from reviewbot.findings import Principle, Severity
from reviewbot.source import handlers, scopes

CLIENT_FACTORIES = frozenset(
    {
        "requests.Session",
        "requests.session",
        "requests.sessions.Session",
        "httpx.Client",
        "httpx.AsyncClient",
        "aiohttp.ClientSession",
        "boto3.client",
        "boto3.resource",
        "boto3.Session",
        "boto3.session.Session",
        "pymongo.MongoClient",
        "motor.motor_asyncio.AsyncIOMotorClient",
        "motor.motor_tornado.MotorClient",
        "sqlalchemy.create_engine",
        "sqlalchemy.ext.asyncio.create_async_engine",
        "psycopg2.connect",
        "psycopg.connect",
        "psycopg.AsyncConnection.connect",
        "psycopg2.pool.SimpleConnectionPool",
        "psycopg2.pool.ThreadedConnectionPool",
        "psycopg_pool.ConnectionPool",
        "psycopg_pool.AsyncConnectionPool",
        "asyncpg.connect",
        "asyncpg.create_pool",
        "pymysql.connect",
        "MySQLdb.connect",
        "mysql.connector.connect",
        "elasticsearch.Elasticsearch",
        "elasticsearch.AsyncElasticsearch",
    }
) | (REDIS_FACTORIES - {"django_redis.get_redis_connection", "flask_redis.FlaskRedis"})
BOTO3_SESSIONS = frozenset({"boto3.Session", "boto3.session.Session"})
# Connection-less HTTP calls: each one opens (and closes) its own connection.
BARE_HTTP_CALLS = frozenset(
    {f"{module}.{verb}" for module in ("requests", "httpx") for verb in ("get", "post", "put", "patch", "delete",
                                                                         "head", "request")}
)
# Keyword arguments that hand the client a pool shared with other clients.
SHARED_POOL_KEYWORDS = frozenset({"connection_pool", "connector", "transport", "pool"})
FACTORY_DECORATORS = re.compile(r"(?:^|\.)(?:cache|lru_cache|cached|fixture|on_event|asynccontextmanager|contextmanager)$")
SETUP_FUNCTIONS = frozenset({"__init__", "__post_init__", "__aenter__", "__enter__", "setUp", "setup", "setup_method",
                             "setUpClass", "lifespan", "startup", "on_startup", "init_app", "create_app"})
# A `request` parameter typed from these modules is a request being sent, not one being served.
OUTGOING_REQUEST_MODULES = ("httpx", "requests.", "urllib.", "urllib3.", "aiohttp.client", "aiohttp.ClientRequest")
# Loops over these are loops over other parties' addresses (webhook subscribers, peers).
FAN_OUT_WORDS = frozenset({"hook", "hooks", "webhook", "webhooks", "callback", "callbacks", "subscriber",
                           "subscribers", "subscription", "subscriptions", "notification", "notifications", "peer",
                           "peers", "mirror", "mirrors", "servers", "hosts", "nodes", "replicas", "targets"})
_METHODS = {name.rsplit(".", 1)[-1] for name in CLIENT_FACTORIES | BARE_HTTP_CALLS} | {"client", "resource"}
# Methods that hand out a part of the client working over its connection: a cursor, a pipeline,
# a transaction, a database or collection, a bucket or table. A loop using one reuses the client.
HANDLE_METHODS = frozenset({"cursor", "pipeline", "transaction", "begin", "acquire", "connection", "session",
                            "get_database", "get_default_database", "get_collection", "Bucket", "Table", "Queue",
                            "Topic", "Object"})
# Websocket endpoints run once per connection: Starlette and FastAPI functions taking a
# `websocket`, methods of Starlette's `WebSocketEndpoint` and of Django Channels consumers.
WEBSOCKET_TYPES = ("starlette.websockets.WebSocket", "fastapi.WebSocket", "fastapi.websockets.WebSocket",
                   "starlette.WebSocket")
WEBSOCKET_FRAMEWORKS = ("starlette", "fastapi")
WEBSOCKET_CLASS_METHODS = {
    "WebSocketEndpoint": frozenset({"on_connect", "on_receive", "on_disconnect"}),
    "WebsocketConsumer": frozenset({"connect", "receive", "disconnect", "websocket_connect", "websocket_receive"}),
    "AsyncWebsocketConsumer": frozenset({"connect", "receive", "disconnect", "websocket_connect",
                                         "websocket_receive"}),
    "JsonWebsocketConsumer": frozenset({"connect", "receive_json", "disconnect"}),
    "AsyncJsonWebsocketConsumer": frozenset({"connect", "receive_json", "disconnect"}),
}
WEBSOCKET_MESSAGE_METHODS = frozenset({"on_receive", "receive", "receive_json", "websocket_receive"})


class ClientCreatedPerCall(Rule):
    """## What it does
    Checks for network clients and connection pools (`requests.Session`, `httpx.Client`,
    `aiohttp.ClientSession`, `boto3.client`, `redis.Redis`, `MongoClient`, `create_engine`,
    `psycopg2.connect`, `asyncpg.create_pool`, `Elasticsearch`) created inside a loop, or inside
    a request handler, websocket endpoint or background task. Also checks for bare
    `requests.get`-style calls in a loop, which cannot reuse a connection.

    ## Why is this bad?
    A client owns a connection pool. Building one per iteration, per request or per task run
    throws the pool away each time: every call pays a new TCP (and TLS) handshake, and clients
    such as `boto3` also load their service model on creation, which costs tens of
    milliseconds. Created once (module level, app startup, a cached factory) and shared, the
    client keeps connections alive between calls. Clients whose arguments change per iteration
    (one per region), clients handed a shared pool (`connection_pool=`, `connector=`), retry and
    reconnect loops, and plain functions outside loops are not reported. A task or websocket
    endpoint that creates one client and then uses it inside a loop, directly or through a
    cursor, pipeline or collection taken from it, is not reported either: the client is shared
    by the whole batch or by every message of the connection. Bare calls are reported only when
    they can share a host: not in a loop over other parties' addresses (`for hook in webhooks`),
    nor when each URL's host comes from the item (`message.webhook_url`), since a session gains
    nothing there. A function whose `request` parameter is an outgoing `httpx`/`requests`
    request is a transport hook, not a view. Test files are not checked.

    ## Example
    ```python
    import boto3
    import requests

    def export(request, report_id):
        s3 = boto3.client("s3")
        s3.upload_file(f"/tmp/{report_id}.csv", "reports", f"{report_id}.csv")

    def ping_all(urls):
        for url in urls:
            requests.Session().head(url, timeout=5)
    ```

    ## Use instead
    ```python
    import boto3
    import requests

    s3 = boto3.client("s3")
    http = requests.Session()

    def export(request, report_id):
        s3.upload_file(f"/tmp/{report_id}.csv", "reports", f"{report_id}.csv")

    def ping_all(urls):
        for url in urls:
            http.head(url, timeout=5)
    ```

    ## References
    - requests: Session objects (https://requests.readthedocs.io/en/latest/user/advanced/#session-objects)
    - httpx: Clients (https://www.python-httpx.org/advanced/clients/)
    - aiohttp: Client session (https://docs.aiohttp.org/en/stable/client_advanced.html#client-session)
    - boto3: Low-level clients (https://boto3.amazonaws.com/v1/documentation/api/latest/guide/clients.html)
    """

    code = "RB303"
    name = "client-created-per-call"
    category = "client-per-call"
    principle = Principle.CACHING
    severity = Severity.WARNING

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        if ctx.file.path_context == "test":
            return  # tests build fresh clients on purpose: isolation matters more than reuse there
        for site in ctx.calls_to(_METHODS):
            call = site.node
            name = site.name or ""
            if name in BARE_HTTP_CALLS and callee_is_imported(ctx, call):
                report = _bare_http_in_loop(ctx, call, name)
            elif (name in CLIENT_FACTORIES and callee_is_imported(ctx, call)) or _is_boto3_session_client(
                ctx, call, site.method
            ):
                report = _client_creation(ctx, call)
            else:
                continue
            if report is not None:
                yield report


def _is_boto3_session_client(ctx: CheckContext, call: Node, method: str) -> bool:
    if method not in ("client", "resource"):
        return False
    receiver = method_receiver(call)
    if receiver is None or not receiver_is_constructed_by(ctx, receiver, BOTO3_SESSIONS):
        return False
    loops = scopes.enclosing_loops(call)
    # `boto3.Session().client(...)` built in the same loop is reported once, on the Session.
    if receiver.type == "call" or (loops and _built_in_loop(ctx, receiver, loops[0])):
        return False
    return True


def _built_in_loop(ctx: CheckContext, receiver: Node, loop: Node) -> bool:
    if receiver.type != "identifier":
        return False
    binding = ctx.file.binding_before(receiver.text.decode(), receiver)
    return binding is not None and scopes.contains(loop, binding.node)


def _client_creation(ctx: CheckContext, call: Node) -> Report | None:
    if _uses_shared_pool(call):
        return None
    function = scopes.enclosing_def(call)
    if function is not None and _is_setup_or_factory(ctx, function):
        return None
    if is_lazy_initialisation(call, function):
        return None
    shown = call_display(ctx, call)
    creates = _what_it_creates(ctx, call)
    loops = scopes.enclosing_loops(call)
    if loops:
        loop = loops[0]
        if is_retry_loop(loop) or is_tiny_loop(loop) or _is_reconnect_loop(ctx, call, loop):
            return None
        changed = loop_changed_names(ctx, loop, outside=call)
        arguments = call.child_by_field_name("arguments")
        if arguments is not None and uses_changed_name(references(arguments), changed):
            return None  # a different client per iteration (one per region, per database)
        return Report(
            call,
            f"`{shown}` {creates} on every iteration of {loop_description(ctx, loop)}: nothing is reused between "
            "iterations; create it once before the loop and reuse it",
            severity=Severity.WARNING.raised(),
        )
    if function is None:
        return None
    endpoint = _websocket_endpoint(ctx, call)
    if endpoint is not None:
        if _reused_in_loop(ctx, call, function):
            return None  # one client for the connection's whole message loop
        unit = "message" if scopes.function_name(endpoint) in WEBSOCKET_MESSAGE_METHODS else "connection"
        return Report(call, f"`{shown}` {creates} for every {unit} of websocket `{_function_label(endpoint)}`: "
                            f"nothing is reused between {unit}s; create it once (module level or app startup) "
                            "and share it")
    role = role_of(ctx, call)
    served = _function_with_role(ctx, call, role)
    if role == "handler" and served is not None and _takes_outgoing_request(ctx, served):
        return None  # `def sign(request: httpx.Request)`: a transport hook, not a view
    where = _function_label(served or function)
    connects = creates.startswith("opens")
    if role == "handler":
        fix = "take connections from a pool created at startup" if connects else (
            "create it once (module level or app startup) and share it")
        return Report(call, f"`{shown}` {creates} on every request to `{where}`: connections are never reused; {fix}")
    if role == "task" and not _reused_in_loop(ctx, call, function):
        fix = "take connections from a pool created once per worker" if connects else (
            "create it once per worker (module level) and share it")
        return Report(call, f"`{shown}` {creates} on every run of task `{where}`: connections are never reused; {fix}")
    return None


def _what_it_creates(ctx: CheckContext, call: Node) -> str:
    name = ctx.file.call_name(call) or ""
    if name.endswith(".connect"):
        return "opens a new database connection"
    if name.endswith(("create_pool", "ConnectionPool", "create_engine", "create_async_engine")):
        return "creates a new connection pool"
    return "creates a new client"


def _function_with_role(ctx: CheckContext, call: Node, role: str) -> Node | None:
    """The handler or task around `call` (a helper nested in a view is named after the view)."""
    for parent in scopes.ancestors(call):
        if parent.type == "function_definition" and role and handlers.function_role(
            parent, ctx.file, ctx.config.handler_decorators, ctx.config.task_decorators
        ) == role:
            return parent
    return None


def _websocket_endpoint(ctx: CheckContext, call: Node) -> Node | None:
    """The websocket endpoint around `call` (a helper nested in one is named after it)."""
    for parent in scopes.ancestors(call):
        if parent.type == "function_definition" and _is_websocket_endpoint(ctx, parent):
            return parent
    return None


def _is_websocket_endpoint(ctx: CheckContext, function: Node) -> bool:
    owner = scopes.method_class(function)
    parameters = scopes.parameter_names(function)
    if owner is not None:
        name = scopes.function_name(function)
        return any(
            name in WEBSOCKET_CLASS_METHODS.get((ctx.file.qualname(base) or "").rsplit(".", 1)[-1], ())
            for base in scopes.class_bases(owner)
        )
    if not parameters or parameters[0] not in ("websocket", "ws"):
        return False
    annotation = scopes.parameter_annotation(function, parameters[0])
    if annotation is None:
        return parameters[0] == "websocket" and any(ctx.file.imports_module(m) for m in WEBSOCKET_FRAMEWORKS)
    target = annotation.named_children[0] if annotation.named_children else annotation
    return (ctx.file.qualname(target) or "") in WEBSOCKET_TYPES


def _takes_outgoing_request(ctx: CheckContext, function: Node) -> bool:
    """Whether the `request` parameter is annotated as a request this process sends (an httpx,
    requests or urllib request), which makes the function an auth or signing hook, not a view."""
    parameters = scopes.parameter_names(function)
    if not parameters or parameters[0] not in ("request", "req"):
        return False
    annotation = scopes.parameter_annotation(function, parameters[0])
    target = annotation.named_children[0] if annotation is not None and annotation.named_children else annotation
    name = ctx.file.qualname(target) or "" if target is not None else ""
    return name.startswith(OUTGOING_REQUEST_MODULES)


def _function_label(function: Node) -> str:
    owner = scopes.method_class(function)
    name = scopes.function_name(function)
    return f"{scopes.function_name(owner)}.{name}" if owner is not None else name


def _uses_shared_pool(call: Node) -> bool:
    keywords = scopes.call_keyword_arguments(call)
    return any(k in keywords and keywords[k].type != "call" for k in SHARED_POOL_KEYWORDS)


def _is_setup_or_factory(ctx: CheckContext, function: Node) -> bool:
    if scopes.function_name(function) in SETUP_FUNCTIONS:
        return True
    for decorator in scopes.decorator_expressions(function):
        target = decorator.child_by_field_name("function") if decorator.type == "call" else decorator
        if FACTORY_DECORATORS.search(ctx.file.qualname(target) or ""):
            return True
    return False


def _is_reconnect_loop(ctx: CheckContext, call: Node, loop: Node) -> bool:
    """`while True: try: conn = connect(); break; except OperationalError: sleep(1)`."""
    inside_try = False
    for parent in scopes.ancestors(call):
        if parent.id == loop.id:
            break
        if parent.type == "try_statement":
            inside_try = True
    if not inside_try:
        return False
    if loop_calls(ctx, loop, SLEEP_CALLS):
        return True
    body = loop.child_by_field_name("body")
    text = ctx.file.text(body) if body is not None else ""
    return re.search(r"\b(break|return)\b", text) is not None


def _client_name(call: Node) -> str | None:
    """The name a client is bound to: `s = Session()` or `with Session() as s`, or a handle taken
    from it straight away: `orders = MongoClient(url)["shop"]["orders"]`."""
    node = call
    for _ in range(6):
        parent = node.parent
        if parent is not None and parent.type == "await":
            node = parent
            continue
        taken = parent
        if parent is not None and parent.type == "attribute" and parent.parent is not None and (
            parent.parent.type == "call" and parent.parent.child_by_field_name("function") == parent
        ):
            taken = parent.parent  # `node.cursor()`: the method call is the handle
        owner = _handle_owner_node(taken) if taken is not None else None
        if owner is None or owner.id != node.id:
            break
        node = taken
    parent = node.parent
    if parent is None:
        return None
    if parent.type == "assignment":
        left = parent.child_by_field_name("left")
        return left.text.decode() if left is not None and left.type == "identifier" else None
    if parent.type == "as_pattern":
        alias = parent.child_by_field_name("alias")
        if alias is not None and alias.named_children and alias.named_children[0].type == "identifier":
            return alias.named_children[0].text.decode()
    return None


def _reused_in_loop(ctx: CheckContext, call: Node, function: Node) -> bool:
    """Whether the client, or a cursor, pipeline or collection taken from it, is used inside a
    loop of the same function (one client per batch)."""
    name = _client_name(call)
    if name is None:
        return False
    names = _names_derived_from(ctx, name, call, function)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in sorted(names)) + r")\b")
    pending = [function.child_by_field_name("body")]
    while pending:
        node = pending.pop()
        if node is None or node.start_byte < call.end_byte and node.end_byte <= call.end_byte:
            continue
        if node.type in scopes.STATEMENT_LOOP_TYPES or node.type in scopes.COMPREHENSION_TYPES:
            if node.start_byte > call.start_byte and pattern.search(ctx.file.text(node)):
                return True
            continue
        if node.type in scopes.SCOPE_TYPES:
            continue
        pending.extend(node.named_children)
    return False


def _names_derived_from(ctx: CheckContext, name: str, call: Node, function: Node) -> set[str]:
    """`name` and the names bound after `call` to handles taken from it: `cur` after
    `with conn.cursor() as cur`, `db` after `db = client["shop"]`, `pipe = r.pipeline()`."""
    names = {name}
    bindings = [
        assignment for assignments in ctx.file.assignments_in(function).values() for assignment in assignments
        if assignment.node.start_byte > call.start_byte
    ]
    bindings.sort(key=lambda assignment: assignment.node.start_byte)
    for assignment in bindings:
        if assignment.name not in names and _handle_owner(assignment.value) in names:
            names.add(assignment.name)
    return names


def _handle_owner(value: Node) -> str | None:
    """`conn` for `conn.cursor()`, `client` for `client["shop"]["orders"]` or `client.shop`."""
    node: Node | None = value
    for _ in range(4):
        if node is not None and node.type == "await" and node.named_children:
            node = node.named_children[0]
        node = _handle_owner_node(node) if node is not None else None
        if node is None:
            return None
        if node.type == "identifier":
            return node.text.decode()
    return None


def _handle_owner_node(handle: Node) -> Node | None:
    """`conn` in `conn.cursor()`, `client` in `client["shop"]` or `client.shop`; None when
    `handle` is not a handle taken from something."""
    if handle.type == "call":
        function = handle.child_by_field_name("function")
        method = function.child_by_field_name("attribute") if function is not None and (
            function.type == "attribute") else None
        if method is None or method.text.decode() not in HANDLE_METHODS:
            return None
        return function.child_by_field_name("object")
    if handle.type == "subscript":
        return handle.child_by_field_name("value")
    if handle.type == "attribute":
        return handle.child_by_field_name("object")
    return None


def _url_argument(call: Node, name: str) -> Node | None:
    return scopes.call_argument(call, "url", 1 if name.endswith(".request") else 0)


INVARIANT, LOOP_TARGET, DERIVED = "invariant", "loop-target", "derived"


def _host_source(ctx: CheckContext, url: Node, loop: Node, changed: frozenset[str], depth: int) -> str:
    """Where the host of a URL comes from: the same for every iteration (`f"{API}/orders/{id}"`,
    `"/".join([host, path])`), the loop's own item (`for url in urls`), or something derived from
    the item (`message.recipients()[0]`, a link's `src`), whose hosts we cannot tell apart."""
    if depth > 3 or not uses_changed_name(references(url), changed):
        return INVARIANT
    kind = url.type
    if kind == "identifier":
        name = url.text.decode()
        target, _ = scopes.loop_target_and_iterable(loop)
        if name in scopes.bound_names(target):
            return LOOP_TARGET
        binding = ctx.file.binding_before(name, url)
        if binding is not None and scopes.contains(loop, binding.node):
            return _host_source(ctx, binding.value, loop, changed, depth + 1)
        return DERIVED
    if kind == "string":
        first = _first_string_part(url)
        if first is not None and first.type == "interpolation" and first.named_children:
            return _host_source(ctx, first.named_children[0], loop, changed, depth + 1)
        return INVARIANT  # starts with literal text: the scheme and host are written out
    if kind == "binary_operator":
        left = url.child_by_field_name("left")
        if left is None:
            return DERIVED
        operator = url.child_by_field_name("operator")
        if operator is not None and operator.type == "%" and left.type == "string":
            if not _starts_with_placeholder(left, "%"):
                return INVARIANT
            right = url.child_by_field_name("right")
            first = right.named_children[0] if right is not None and right.type == "tuple" else right
            return _host_source(ctx, first, loop, changed, depth + 1) if first is not None else DERIVED
        return _host_source(ctx, left, loop, changed, depth + 1)
    if kind == "call":
        function = url.child_by_field_name("function")
        arguments = scopes.call_positional_arguments(url)
        if function is not None and function.type == "attribute":
            owner = function.child_by_field_name("object")
            method = function.child_by_field_name("attribute")
            method_name = method.text.decode() if method is not None else ""
            if owner is not None and owner.type == "string" and method_name == "format":
                if not _starts_with_placeholder(owner, "{"):
                    return INVARIANT
                return _host_source(ctx, arguments[0], loop, changed, depth + 1) if arguments else DERIVED
            if owner is not None and owner.type == "string" and method_name == "join" and arguments:
                parts = arguments[0]
                if parts.type in ("list", "tuple") and parts.named_children:
                    return _host_source(ctx, parts.named_children[0], loop, changed, depth + 1)
        if (ctx.file.call_name(url) or "").endswith("urljoin") and arguments:
            return _host_source(ctx, arguments[0], loop, changed, depth + 1)
    return DERIVED


def _first_string_part(string: Node) -> Node | None:
    """The first `string_content` or `interpolation` of a string literal."""
    return next((c for c in string.named_children if c.type in ("string_content", "interpolation")), None)


def _starts_with_placeholder(string: Node, marker: str) -> bool:
    first = _first_string_part(string)
    return first is None or first.type != "string_content" or first.text.decode().startswith(marker)


def _loop_fans_out(ctx: CheckContext, loop: Node) -> bool:
    """`for hook in settings.WEBHOOKS`, `for url in notification_urls`: a loop over the addresses
    of other parties, each on its own host."""
    target, iterable = scopes.loop_target_and_iterable(loop)
    words: set[str] = set()
    for node in (target, iterable):
        if node is not None:
            words |= {w for w in re.split(r"[^a-z]+", ctx.file.text(node).lower()) if w}
    return bool(words & FAN_OUT_WORDS)


def _bare_http_in_loop(ctx: CheckContext, call: Node, name: str) -> Report | None:
    loops = scopes.enclosing_loops(call)
    if not loops:
        return None
    loop = loops[0]
    if loop.type == "while_statement" or is_retry_loop(loop) or is_tiny_loop(loop):
        return None
    if loop_calls(ctx, loop, SLEEP_CALLS):
        return None  # paced polling: keep-alive matters little
    arguments = call.child_by_field_name("arguments")
    changed = loop_changed_names(ctx, loop, outside=call)
    if arguments is None or not uses_changed_name(references(arguments), changed):
        return None  # the same request every iteration: RB304 (loop-invariant) reports it
    url = _url_argument(call, name)
    host = _host_source(ctx, url, loop, changed, 0) if url is not None else INVARIANT
    if host == DERIVED or (host == LOOP_TARGET and _loop_fans_out(ctx, loop)):
        return None  # each call may go to another host: a session would share no connection
    module = name.split(".", 1)[0]
    fix = "one `requests.Session()`" if module == "requests" else "one `httpx.Client()`"
    return Report(
        call,
        f"`{name}` in {loop_description(ctx, loop)} opens a new connection for every call (no keep-alive); "
        f"send them through {fix}",
        severity=Severity.INFO,
    )
