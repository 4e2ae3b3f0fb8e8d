"""RB202: independent awaits made one item at a time in a loop."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field

from tree_sitter import Node, QueryCursor

from reviewbot.checks._async import async_function_of, callee_text, module_binding, short_text, value_origin
from reviewbot.checks.helpers import role_of
from reviewbot.checks.registry import CheckContext, Match, Report, Rule
from reviewbot.findings import Principle, Severity
from reviewbot.source import scopes
from reviewbot.source.parsing import compile_query

# What a loop body holds, gathered by one query over the body (never a Python walk of the file).
_BODY_FACTS = compile_query(
    """
    (identifier) @name
    (break_statement) @exit
    (return_statement) @exit
    (yield) @exit
    (await) @await
    (with_statement "async" (with_clause (with_item) @async_with.item))
    (call function: (_) @callee)
    (assignment left: (_) @bind.target right: (_) @bind.value)
    (augmented_assignment left: (_) @update.target right: (_) @update.value)
    (named_expression name: (identifier) @bind.target value: (_) @bind.value)
    (with_item value: (as_pattern (_) @bind.value alias: (as_pattern_target (_) @bind.target)))
    (for_statement left: (_) @bind.target right: (_) @bind.value)
    (for_in_clause left: (_) @bind.target right: (_) @bind.value)
    """
)

# Awaiting these keeps the loop sequential on purpose: rate limiting, ordered delivery, locks.
PACING_NAMES = frozenset({"asyncio.sleep", "anyio.sleep", "trio.sleep", "gevent.sleep"})
PACING_WORDS = re.compile(r"sleep|throttle|rate_?limit|backoff|wait_for_slot|limiter", re.I)
CONCURRENCY_NAMES = frozenset({"asyncio.gather", "asyncio.create_task", "asyncio.ensure_future", "asyncio.wait",
                               "asyncio.as_completed", "asyncio.TaskGroup", "anyio.create_task_group",
                               "trio.open_nursery"})
CONCURRENCY_METHODS = frozenset({"create_task", "start_soon", "gather", "ensure_future", "spawn", "start"})
ORDERED_SINKS = frozenset(
    "send send_text send_bytes send_json send_str send_message send_and_wait sendall sock_sendall write "
    "writelines write_eof drain flush put put_nowait acquire release wait publish basic_publish emit "
    "broadcast notify feed receive receive_json receive_text recv ack nack reject read readline readexactly "
    "readuntil seek close aclose".split()
)
# One stateful object driven step by step (a browser page, a socket, a stream): not gatherable.
STATEFUL_RECEIVER = re.compile(r"^(?:page|browser|driver|tab|frame|ws|websocket|socket|sock|channel|stream|"
                               r"writer|reader|serial|port|terminal|shell|ssh|sftp|ftp|smtp|imap|keyboard|mouse|"
                               r"touchscreen|channel_layer)$")
# Chat platform SDKs queue every API call behind the platform's per-route rate limits, and bulk
# moderation or messaging is done one item at a time on purpose: gathering only fills that queue.
CHAT_PLATFORM_SDKS = frozenset({"discord", "disnake", "nextcord", "hikari", "interactions", "aiogram", "telegram",
                                "pyrogram", "telethon", "twitchio", "slack_bolt", "mautrix", "nio"})
# Queries: not gatherable on one connection or session, and batching (not gather) is the fix (RB102).
DATABASE_METHODS = frozenset(
    "fetch fetchrow fetchval fetchone fetchall fetchmany execute executemany scalar scalars commit flush refresh "
    "merge copy_records_to_table copy_to_table find_one insert_one insert_many update_one update_many delete_one "
    "delete_many replace_one find_one_and_update find_one_and_replace find_one_and_delete count_documents "
    "bulk_write asave adelete aget acreate afirst alast acount aexists aupdate aget_or_create "
    "aupdate_or_create abulk_create abulk_update arefresh_from_db get_or_none get_or_create update_or_create "
    "bulk_create bulk_update fetch_related hget hset hgetall hmget hincrby incr incrby expire setex sadd srem "
    "zadd lpush rpush mget mset".split()
)
ORM_CLASS_METHODS = frozenset({"get", "create", "filter", "all", "first", "exclude", "exists", "count", "update",
                               "delete", "save", "get_or_none", "select"})
ORM_INSTANCE_METHODS = frozenset({"save", "delete", "refresh_from_db", "update_from_dict", "fetch_related"})
# A receiver or argument named like a database handle: one shared connection or session.
DATABASE_WORDS = frozenset(
    "db database session conn connection cursor cur tx transaction pool redis cache collection coll mongo motor "
    "engine uow crud dao repo repository repositories queries dal objects table orm sql pg postgres mysql sqlite "
    "kv store".split()
)
# A receiver named like the application's own settings store: a local or cached read, not an upstream call.
SETTINGS_WORDS = frozenset({"config", "configs", "settings", "conf", "prefs", "preferences"})
PIPELINE_ITERABLE = re.compile(
    r"handler|hook|callback|middleware|plugin|listener|subscriber|step|stage|migration|processor|validator|"
    r"consumer|observer|signal|pipeline", re.I
)
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "ws_connect"})
HTTP_CLIENTS = frozenset({"aiohttp.ClientSession()", "httpx.AsyncClient()"})
ORM_SESSION_ORIGIN = re.compile(r"sqlalchemy|sqlmodel|sessionmaker|AsyncSession|[Ss]ession_?[Ll]ocal|async_session|"
                                r"get_session|get_db|tortoise|django")
WRAPPERS = frozenset({"asyncio.wait_for", "asyncio.shield", "anyio.fail_after"})
# Items that must be handled in order: a stream of events or changes.
ORDERED_ITERABLE = re.compile(r"event|message|\bmsgs?\b|update|command|action|operation|change|delta|frame|packet|"
                              r"instruction|patch|chunk|batch|pagify|modifier", re.I)
DISPATCH_METHOD = re.compile(r"^_*(?:on_|handle|dispatch|emit|trigger|fire|callback)")
# Loading, installing or registering parts of the application: done in order, usually at start-up.
SETUP_METHOD = re.compile(r"^_*(?:wait_until\w*|wait_for_\w+|(?:re|un)?load\w*_(?:extension|plugin|module|cog|package)s?|(?:un)?install\w*|"
                          r"migrate\w*|(?:un)?register\w*|(?:enable|disable)_\w*)$")
LIFECYCLE_METHODS = frozenset(
    "__aenter__ __aexit__ wait_closed close aclose shutdown stop start connect disconnect cleanup subscribe "
    "unsubscribe psubscribe punsubscribe ssubscribe sunsubscribe initialize init setup teardown".split()
)
NOT_GATHERABLE_NAMES = frozenset({"typing.cast", "cast", "asyncio.to_thread", "anyio.to_thread.run_sync",
                                  "run_sync", "run_in_threadpool", "sync_to_async", "asgiref.sync.sync_to_async"})
RETRY_TARGETS = frozenset({"attempt", "attempts", "retry", "retries", "tries", "try_number", "attempt_number"})
SMALL_LITERAL = 5


@dataclass
class _Body:
    """Facts about one loop body, from `_BODY_FACTS`."""

    reads: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, name), sorted by start
    exits: bool = False
    awaits: list[Node] = field(default_factory=list)
    async_with_items: list[Node] = field(default_factory=list)
    callees: list[Node] = field(default_factory=list)
    bindings: list[tuple[Node, Node, bool]] = field(default_factory=list)  # (target, value, is_update)

    def names_read(self, node: Node) -> set[str]:
        start = bisect_left(self.reads, (node.start_byte, -1, ""))
        names = set()
        for index in range(start, len(self.reads)):
            read_start, read_end, name = self.reads[index]
            if read_start >= node.end_byte:
                break
            if read_end <= node.end_byte:
                names.add(name)
        return names


class SequentialAwaitInLoop(Rule):
    """## What it does
    Checks for loops that await one independent call per item, such as
    `for url in urls: response = await client.get(url)`, where the calls could run concurrently.

    Loops are not reported when an iteration feeds the next (a cursor, page token or offset), when
    the body paces itself (`await asyncio.sleep`), writes to an ordered sink (a websocket, stream,
    queue or lock) or drives one stateful object (a browser page), queries one shared database
    connection or session (batch the query instead), already uses `asyncio.gather` or a task group,
    can stop early (`break`, `return`), handles events, callbacks or pipeline steps that run in
    order, or iterates an `async for`, a `while` loop or a small literal tuple. Calls into the data
    layer (a `crud`/`repository` module, a `...Repository` class, a settings store), helpers of
    the same file that await only such calls or nothing at all, loading or migrating extensions,
    and workers that already run as concurrent tasks are not reported. In chat bots (`discord`,
    `aiogram`, `telegram`, ...) only plain HTTP client calls are reported: the platform's client
    queues its own API calls behind rate limits. Tests, scripts and migrations are not reported.

    ## Why is this bad?
    Each `await` waits for the previous one to finish, so the loop takes the sum of all latencies
    instead of roughly the longest one. With a hundred upstream calls of 50 ms that is five seconds
    instead of a fraction of one. Run them together with a bound on concurrency (a semaphore or a
    limited task group) so the upstream is not flooded.

    ## Example
    ```python
    async def fetch_profiles(client, user_ids):
        profiles = []
        for user_id in user_ids:
            response = await client.get(f"/users/{user_id}")
            profiles.append(response.json())
        return profiles
    ```

    ## Use instead
    ```python
    async def fetch_profiles(client, user_ids):
        limit = asyncio.Semaphore(10)

        async def fetch(user_id):
            async with limit:
                response = await client.get(f"/users/{user_id}")
                return response.json()

        return await asyncio.gather(*(fetch(user_id) for user_id in user_ids))
    ```

    ## References
    - Python: Running tasks concurrently (https://docs.python.org/3/library/asyncio-task.html#running-tasks-concurrently)
    - Python: Task groups (https://docs.python.org/3/library/asyncio-task.html#task-groups)
    """

    code = "RB202"
    name = "sequential-await-in-loop"
    category = "sequential-await"
    principle = Principle.ASYNC_PROCESSING
    severity = Severity.WARNING
    query = """
    (await) @rb202.await
    (with_statement "async") @rb202.async_with
    """

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        if ctx.file.path_context in ("test", "script", "migration"):
            return  # one-off jobs and tests: their latency serves no user
        loops: dict[int, Node] = {}
        for match in matches:
            nodes = match.get("rb202.await") or match.get("rb202.async_with")
            if not nodes:
                continue
            enclosing = scopes.enclosing_loops(nodes[0])
            if enclosing and enclosing[0].id not in loops:
                loops[enclosing[0].id] = enclosing[0]
        for loop in sorted(loops.values(), key=lambda n: n.start_byte):
            report = _sequential_loop_report(ctx, loop)
            if report is not None:
                yield report


def _sequential_loop_report(ctx: CheckContext, loop: Node) -> Report | None:
    if not _is_sync_for(loop):
        return None
    function = async_function_of(loop)
    if function is None or scopes.function_name(function).startswith(("test_", "_test_")):
        return None
    if _is_worker_of_concurrent_pool(ctx, function) or (_is_runnable_script(ctx) and not role_of(ctx, function)):
        return None
    target, iterable = scopes.loop_target_and_iterable(loop)
    if iterable is None or _is_small_constant(ctx, iterable):
        return None
    items = scopes.bound_names(target)
    if not items or items & RETRY_TARGETS or ORDERED_ITERABLE.search(ctx.file.text(iterable)):
        return None
    body = _body_facts(loop)
    if body.exits or _paces_or_gathers(ctx, body):
        return None
    targets = items
    items = _item_derived_names(body, items)
    carried = _loop_carried_names(body)
    first: Node | None = None
    for node in sorted(body.awaits + body.async_with_items, key=lambda n: n.start_byte):
        call = _awaited_call(node)
        if call is None:
            if node.type == "with_item":
                return None  # `async with lock:` serialises the body
            continue
        if _is_ordered_or_database(ctx, call, body, items, per_item=items - targets):
            return None
        if first is not None or _innermost_loop(node) != loop.id:
            continue
        if _wraps_await(call):
            continue  # `await (await session.get(url)).text()`: the inner await is the one to name
        callee = call.child_by_field_name("function")
        read = body.names_read(call)
        if callee is None or not read & items or read & carried:
            continue
        if _calls_the_item(ctx, callee, items, iterable) or _is_not_gatherable_work(ctx, callee, function):
            return None
        if _is_chat_platform_file(ctx) and not _is_http_call(ctx, call):
            continue
        if _is_local_helper_without_io(ctx, callee, function):
            continue
        first = node
    if first is None:
        return None
    call = _unwrapped(ctx, _awaited_call(first))
    return Report(first, f"awaits `{callee_text(ctx, call)}(...)` once per item of `{short_text(ctx, iterable)}` "
                         "sequentially; gather them (`asyncio.gather`, a TaskGroup) with a concurrency limit")


def _is_sync_for(loop: Node) -> bool:
    if loop.type == "for_statement":
        return not scopes.is_async_for(loop)
    if loop.type in scopes.COMPREHENSION_TYPES:
        clauses = [c for c in loop.named_children if c.type == "for_in_clause"]
        return bool(clauses) and not any(c.type == "async" for clause in clauses for c in clause.children)
    return False  # `while`: polling, retries and pagination


def _is_small_constant(ctx: CheckContext, iterable: Node) -> bool:
    node = iterable
    if node.type == "identifier":
        name = node.text.decode()
        if not name.isupper():
            return False  # module constants are named in capitals; anything else may be large
        value = module_binding(ctx, name)
        if value is None or _locally_bound(ctx, node):
            return False
        node = value
    if node.type in ("tuple", "list", "set", "dictionary"):
        return len(node.named_children) <= SMALL_LITERAL
    if node.type == "call" and ctx.file.call_name(node) == "range":
        arguments = scopes.call_positional_arguments(node)
        return len(arguments) == 1 and arguments[0].type == "integer" and int(arguments[0].text) <= SMALL_LITERAL
    return False


def _locally_bound(ctx: CheckContext, node: Node) -> bool:
    function = scopes.enclosing_function(node)
    if function is None:
        return False
    name = node.text.decode()
    return name in ctx.file.assignments_in(function) or name in scopes.parameter_names(function)


def _body_facts(loop: Node) -> _Body:
    body = _Body()
    function = scopes.enclosing_function(loop)
    function_id = function.id if function is not None else None
    targets: set[int] = set()
    names: list[Node] = []
    for part in scopes.loop_body_and_repeated_parts(loop):
        for _, match in QueryCursor(_BODY_FACTS).matches(part):
            if "name" in match:
                names.extend(match["name"])
            elif "exit" in match:
                exit_node = match["exit"][0]
                if _owner_id(exit_node) == function_id and (
                    exit_node.type != "break_statement" or _innermost_loop(exit_node) == loop.id
                ):
                    body.exits = True
            elif "await" in match:
                if _owner_id(match["await"][0]) == function_id:
                    body.awaits.append(match["await"][0])
            elif "async_with.item" in match:
                body.async_with_items.extend(i for i in match["async_with.item"] if _owner_id(i) == function_id)
            elif "callee" in match:
                body.callees.append(match["callee"][0])
            else:
                is_update = "update.target" in match
                target = match["update.target" if is_update else "bind.target"][0]
                value = match["update.value" if is_update else "bind.value"][0]
                body.bindings.append((target, value, is_update))
                targets |= _target_identifier_ids(target)
    body.bindings.sort(key=lambda b: b[0].start_byte)
    body.reads = sorted(
        (n.start_byte, n.end_byte, n.text.decode()) for n in names if n.id not in targets and _is_read(n)
    )
    return body


def _target_identifier_ids(target: Node) -> set[int]:
    if target.type == "identifier":
        return {target.id}
    ids: set[int] = set()
    if target.type in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "list_splat_pattern",
                       "parenthesized_expression", "expression_list", "as_pattern_target"):
        for child in target.named_children:
            ids |= _target_identifier_ids(child)
    return ids


def _is_read(name: Node) -> bool:
    parent = scopes.parent_of(name)
    if parent is None:
        return True
    if parent.type == "attribute":
        attribute = parent.child_by_field_name("attribute")
        return attribute is None or attribute.id != name.id
    if parent.type == "keyword_argument":
        keyword = parent.child_by_field_name("name")
        return keyword is None or keyword.id != name.id
    return parent.type not in ("parameters", "lambda_parameters", "default_parameter", "typed_parameter")


def _owner_id(node: Node) -> int | None:
    function = scopes.enclosing_function(node)
    return function.id if function is not None else None


def _innermost_loop(node: Node) -> int | None:
    loops = scopes.enclosing_loops(node)
    return loops[0].id if loops else None


def _paces_or_gathers(ctx: CheckContext, body: _Body) -> bool:
    for callee in body.callees:
        name = ctx.file.qualname(callee) or ""
        method = name.rsplit(".", 1)[-1] if name else callee.text.decode().rsplit(".", 1)[-1]
        if name in PACING_NAMES or name in CONCURRENCY_NAMES or method in CONCURRENCY_METHODS:
            return True
        if PACING_WORDS.search(method):
            return True
    return False


def _awaited_call(node: Node) -> Node | None:
    """The call an `await` (or an `async with` item) waits for, or None for `await task`."""
    if node.type == "with_item":
        value = node.child_by_field_name("value")
        if value is not None and value.type == "as_pattern" and value.named_children:
            value = value.named_children[0]
        expression = value
    else:
        expression = node.named_children[0] if node.named_children else None
    while expression is not None and expression.type == "parenthesized_expression" and expression.named_children:
        expression = expression.named_children[0]
    return expression if expression is not None and expression.type == "call" else None


def _wraps_await(call: Node) -> bool:
    callee = call.child_by_field_name("function")
    obj = callee.child_by_field_name("object") if callee is not None and callee.type == "attribute" else None
    while obj is not None and obj.type == "parenthesized_expression" and obj.named_children:
        obj = obj.named_children[0]
    return obj is not None and obj.type == "await"


def _unwrapped(ctx: CheckContext, call: Node | None) -> Node:
    """`asyncio.wait_for(session.get(url), 3)` names `session.get`."""
    assert call is not None
    if ctx.file.call_name(call) in WRAPPERS:
        arguments = scopes.call_positional_arguments(call)
        if arguments and arguments[0].type == "call":
            return arguments[0]
    return call


def _is_ordered_or_database(ctx: CheckContext, call: Node, body: _Body, items: set[str], sinks: bool = True,
                            per_item: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether an awaited call writes to an ordered sink or drives one stateful object (with
    `sinks`), or queries a shared database, cache or settings store. Reading an object made in
    this iteration from the item (`response.read()` after `session.get(url)`), named in
    `per_item`, is no shared stream."""
    callee = call.child_by_field_name("function")
    if callee is None:
        return False
    name = ctx.file.qualname(callee) or ""
    method = (name or callee.text.decode()).rsplit(".", 1)[-1]
    if sinks and method in ORDERED_SINKS and not _reads_names(body, callee, per_item):
        return True  # also plain `await send(message)`: an ASGI send
    if callee.type != "attribute":
        # `await get_user(db, user_id)`: a helper handed the shared session; `get_wallet` from a `crud` module
        return _passes_database_handle(ctx, call) or _imported_from_database_module(ctx, callee)
    receiver = callee.child_by_field_name("object")
    segments = _receiver_segments(receiver)
    if (method in DATABASE_METHODS and not _is_api_call_named_like_sql(call, method, segments)) or (
            sinks and segments and STATEFUL_RECEIVER.match(segments[-1])):
        return True
    if _is_http_session(ctx, receiver, call, method, segments):
        return False
    if any(_is_database_word(segment) or segment.lower() in SETTINGS_WORDS for segment in segments):
        return True
    if segments and segments[0] in ("self", "cls") and _in_database_class(callee):
        return True  # `self.update(row)` inside an `OrderRepository`
    if segments and (_imported_from_database_module(ctx, callee) or _built_as_database(ctx, receiver)):
        return True
    if method in ORM_CLASS_METHODS and segments and segments[0][:1].isupper():
        return True  # `await Customer.get(id=...)`: an ORM model class
    if method in ORM_INSTANCE_METHODS and receiver is not None and body.names_read(receiver) & items:
        return True  # `await order.save()` on the loop item
    return _passes_database_handle(ctx, call)


SQL_METHODS = frozenset({"fetch", "fetchrow", "fetchval", "fetchone", "fetchall", "fetchmany", "execute",
                         "executemany"})
_SQL_ARGUMENT = re.compile(r"(?i)sql|query|stmt|statement|select|insert|update|delete")


def _is_api_call_named_like_sql(call: Node, method: str, segments: list[str]) -> bool:
    """`await client.fetch(user_id)` on an API client: named like a driver's `fetch`, but neither
    the receiver nor the first argument is about SQL."""
    if method not in SQL_METHODS or any(_is_database_word(segment) for segment in segments):
        return False
    arguments = scopes.call_positional_arguments(call)
    if not arguments:
        return False
    first = arguments[0]
    if first.type in ("string", "concatenated_string", "call", "binary_operator"):
        return False  # SQL text, `text(...)`, `select(...)`
    return not (first.text.decode().isupper() or _SQL_ARGUMENT.search(first.text.decode()))


def _reads_names(body: _Body, callee: Node, names: frozenset[str] | set[str]) -> bool:
    receiver = callee.child_by_field_name("object") if callee.type == "attribute" else None
    return bool(names) and receiver is not None and bool(body.names_read(receiver) & names)


def _imported_from_database_module(ctx: CheckContext, callee: Node) -> bool:
    """`get_wallet` from `app.crud.wallets`, `OrderAdapters.aget(...)` from `app.database.adapters`."""
    head = callee
    while head.type == "attribute":
        head = head.child_by_field_name("object") or head
        if head.type != "attribute":
            break
    if head.type != "identifier":
        return False
    imported = ctx.file.imports.get(head.text.decode())
    if imported is None:
        return False
    modules = imported.strip(".").split(".")[:-1]
    return any(_is_database_word(part) for part in modules if part)


def _in_database_class(node: Node) -> bool:
    """Inside a method of a class named like a data-access layer (`ArticlesRepository`, `UserDAO`,
    a storage `Driver`)."""
    function = scopes.enclosing_def(node)
    owner = scopes.method_class(function) if function is not None else None
    if owner is None:
        return False
    words = _WORD_SPLIT.split(scopes.function_name(owner))
    return any(_is_database_word(word) or word.lower() == "driver" for word in words if word)


def _built_as_database(ctx: CheckContext, receiver: Node | None) -> bool:
    """A receiver built by a data-access class: `store = ResultStore(path)`, `repo = OrderRepository(db)`."""
    if receiver is None or receiver.type != "identifier":
        return False
    origin = value_origin(ctx, receiver)
    if origin is None:
        return False
    words = _WORD_SPLIT.split(origin.rsplit(".", 1)[-1] if not origin.endswith("()") else
                              origin[:-2].rsplit(".", 1)[-1])
    return any(_is_database_word(word) for word in words if word)


_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def _passes_database_handle(ctx: CheckContext, call: Node) -> bool:
    """`await get_user(db, user_id)`; not `await fetch(session, url)` with an aiohttp session."""
    arguments = scopes.call_positional_arguments(call) + list(scopes.call_keyword_arguments(call).values())
    return any(_is_database_name(a) and value_origin(ctx, a) not in HTTP_CLIENTS for a in arguments)


def _is_database_word(name: str) -> bool:
    """`db`, `redis_client`, `order_repo`, `dbSession`: any `_`-separated part names a database handle."""
    lowered = name.lower().strip("_")
    return lowered in DATABASE_WORDS or any(part in DATABASE_WORDS for part in lowered.split("_") if part)


def _is_http_session(ctx: CheckContext, receiver: Node | None, call: Node, method: str, segments: list[str]) -> bool:
    """`session.get(url)` on an aiohttp session, not `session.get(User, user_id)` on an ORM session."""
    if method not in HTTP_METHODS or not segments:
        return False
    origin = value_origin(ctx, receiver) or ""
    if origin in HTTP_CLIENTS:
        return True
    if ORM_SESSION_ORIGIN.search(origin):
        return False
    arguments = scopes.call_positional_arguments(call)
    model_argument = bool(arguments) and arguments[0].type in ("identifier", "attribute") and (
        _receiver_segments(arguments[0])[-1:] or [""])[0][:1].isupper()
    return "session" in segments[-1].lower() and not model_argument


def _receiver_segments(receiver: Node | None) -> list[str]:
    segments: list[str] = []
    node = receiver
    while node is not None:
        if node.type == "identifier":
            segments.append(node.text.decode())
            break
        if node.type == "attribute":
            attribute = node.child_by_field_name("attribute")
            if attribute is not None:
                segments.append(attribute.text.decode())
            node = node.child_by_field_name("object")
        elif node.type in ("call", "subscript"):
            node = node.child_by_field_name("function") or node.child_by_field_name("value")
        else:
            break
    segments.reverse()
    return segments


def _is_database_name(argument: Node) -> bool:
    if argument.type == "identifier":
        return _is_database_word(argument.text.decode())
    if argument.type == "attribute":
        attribute = argument.child_by_field_name("attribute")
        return attribute is not None and _is_database_word(attribute.text.decode())
    return False


def _is_not_gatherable_work(ctx: CheckContext, callee: Node, function: Node) -> bool:
    """Recursion, event dispatch and callbacks, set-up and tear-down, work already sent to a thread,
    and `cast(...)`: awaiting these one by one is not a latency problem worth a comment."""
    name = ctx.file.qualname(callee) or callee.text.decode()
    method = name.rsplit(".", 1)[-1]
    if method == scopes.function_name(function) or name in NOT_GATHERABLE_NAMES:
        return True
    return method in LIFECYCLE_METHODS or bool(DISPATCH_METHOD.match(method) or SETUP_METHOD.match(method))


def _calls_the_item(ctx: CheckContext, callee: Node, items: set[str], iterable: Node) -> bool:
    """`for hook in hooks: await hook(event)`: callbacks and pipeline steps run in order."""
    if callee.type == "call" and ctx.file.call_name(callee) == "getattr":
        arguments = scopes.call_positional_arguments(callee)
        # `await getattr(adapter, getter_name)()`: dispatch by name, one step per item
        return len(arguments) > 1 and arguments[1].type == "identifier" and arguments[1].text.decode() in items
    head = callee
    while head.type == "attribute":
        head = head.child_by_field_name("object") or head
        if head.type != "attribute":
            break
    if head.type != "identifier" or head.text.decode() not in items:
        return False
    return callee.type == "identifier" or bool(PIPELINE_ITERABLE.search(ctx.file.text(iterable)))


def _item_derived_names(body: _Body, items: set[str]) -> set[str]:
    """The loop target and names computed from it in the body (`url = f"{base}/{user_id}"`)."""
    derived = set(items)
    for _ in range(2):  # a second pass picks up names assigned before the name they read
        for target, value, _is_update in body.bindings:
            if body.names_read(value) & derived:
                derived |= scopes.bound_names(target) if target.type != "as_pattern_target" else _alias_names(target)
    return derived


def _alias_names(target: Node) -> set[str]:
    return {c.text.decode() for c in target.named_children if c.type == "identifier"}


def _loop_carried_names(body: _Body) -> set[str]:
    """Names whose value flows from one iteration to the next: read before (or while) the body
    first assigns them (`cursor = (await fetch(cursor)).next`, `offset += 100`)."""
    first_assignment: dict[str, Node] = {}
    carried: set[str] = set()
    for target, value, is_update in body.bindings:
        names = scopes.bound_names(target) if target.type != "as_pattern_target" else _alias_names(target)
        for name in names:
            if is_update:
                carried.add(name)
            first_assignment.setdefault(name, value)
    for start, _end, name in body.reads:
        value = first_assignment.get(name)
        if value is not None and start < value.end_byte:
            carried.add(name)
    return carried


_SPAWNS_TASKS = re.compile(r"create_task|ensure_future|\bgather\(|TaskGroup|start_soon|create_task_group")


def _is_worker_of_concurrent_pool(ctx: CheckContext, function: Node) -> bool:
    """`async def worker(): for job in jobs: await handle(job)` nested in a function that starts
    several workers as tasks: the workers already run concurrently."""
    outer = scopes.enclosing_function(function)
    if outer is None:
        return False
    body = outer.child_by_field_name("body")
    if body is None:
        return False
    name = scopes.function_name(function)
    text = ctx.file.text(body)
    return name in text.replace(ctx.file.text(function), "") and bool(_SPAWNS_TASKS.search(text))


def _is_chat_platform_file(ctx: CheckContext) -> bool:
    return ctx.file.memo(("rb202", "chat-platform"), lambda: any(
        value.split(".", 1)[0] in CHAT_PLATFORM_SDKS for value in ctx.file.imports.values()))


def _is_http_call(ctx: CheckContext, call: Node) -> bool:
    """A request made with a general HTTP client (`session.get(url)` on aiohttp, `client.post` on httpx)."""
    callee = call.child_by_field_name("function")
    if callee is None or callee.type != "attribute":
        return False
    method = callee.child_by_field_name("attribute")
    receiver = callee.child_by_field_name("object")
    if method is None or method.text.decode() not in HTTP_METHODS:
        return False
    origin = value_origin(ctx, receiver) or ""
    if origin in HTTP_CLIENTS or origin.startswith(("aiohttp.", "httpx.")):
        return True
    segments = _receiver_segments(receiver)
    return bool(segments) and bool(re.search(r"(?i)http|session|client", segments[-1]))


_MAX_HELPER_DEPTH = 2


def _is_local_helper_without_io(ctx: CheckContext, callee: Node, function: Node, depth: int = 0) -> bool:
    """`await self._row(record)` or `await parse_one(text)` where every definition of the helper in
    this file awaits nothing but database or ordered work (or nothing at all): gathering it would
    not overlap any waiting. Unknown helpers (defined elsewhere) are not judged here."""
    definitions = _local_definitions(ctx, callee, function)
    if not definitions:
        return False
    return all(_awaits_no_remote_io(ctx, definition, depth) for definition in definitions)


def _local_definitions(ctx: CheckContext, callee: Node, function: Node) -> list[Node]:
    """The `async def`s of this file that `callee` names: module-level functions for a plain name,
    methods of the calling class for `self.name(...)`."""
    index: dict[str, list[Node]] = ctx.file.memo(("rb202", "async-defs"), lambda: _async_definitions(ctx))
    if callee.type == "identifier":
        return [d for d in index.get(callee.text.decode(), ()) if scopes.method_class(d) is None]
    if callee.type != "attribute":
        return []
    receiver = callee.child_by_field_name("object")
    attribute = callee.child_by_field_name("attribute")
    if receiver is None or attribute is None or receiver.text not in (b"self", b"cls"):
        return []
    owner = scopes.method_class(scopes.enclosing_def(function) or function)
    if owner is None:
        return []
    return [d for d in index.get(attribute.text.decode(), ()) if scopes.method_class(d) == owner]


_ASYNC_DEFS = compile_query("""(function_definition "async" name: (identifier) @name) @def""")


def _async_definitions(ctx: CheckContext) -> dict[str, list[Node]]:
    index: dict[str, list[Node]] = {}
    for _, match in QueryCursor(_ASYNC_DEFS).matches(ctx.file.root):
        index.setdefault(match["name"][0].text.decode(), []).append(match["def"][0])
    return index


def _awaits_no_remote_io(ctx: CheckContext, definition: Node, depth: int) -> bool:
    body_node = definition.child_by_field_name("body")
    if body_node is None or _is_stub(definition, body_node):
        return False  # an abstract method: the real work is in a subclass we cannot see
    body = _Body()
    for _, match in QueryCursor(_BODY_FACTS).matches(body_node):
        if "await" in match and _owner_id(match["await"][0]) == definition.id:
            body.awaits.append(match["await"][0])
        elif "async_with.item" in match:
            body.async_with_items.extend(i for i in match["async_with.item"] if _owner_id(i) == definition.id)
        elif "callee" in match:
            body.callees.append(match["callee"][0])
    if body.async_with_items or _paces_or_gathers(ctx, body):
        return False  # an `async with` may open a connection; pacing is judged where it is written
    for node in body.awaits:
        call = _awaited_call(node)
        if call is None:
            return False  # `await task`, `await future`: unknown work
        callee = call.child_by_field_name("function")
        if callee is None:
            return False
        if _is_ordered_or_database(ctx, call, body, set(), sinks=False):
            continue
        if depth < _MAX_HELPER_DEPTH and _is_local_helper_without_io(ctx, callee, definition, depth + 1):
            continue
        return False
    return True


def _is_stub(definition: Node, body: Node) -> bool:
    """`@abstractmethod`, or a body of only a docstring, `pass`, `...` or `raise NotImplementedError`."""
    if any(d.text.decode().rsplit(".", 1)[-1] == "abstractmethod" for d in scopes.decorator_expressions(definition)):
        return True
    for statement in body.named_children:
        if statement.type == "comment" or statement.type == "pass_statement":
            continue
        if statement.type == "expression_statement" and statement.named_children and (
                statement.named_children[0].type in ("string", "ellipsis")):
            continue
        if statement.type == "raise_statement" and b"NotImplementedError" in statement.text:
            continue
        return False
    return True


_MAIN_GUARD = re.compile(rb"^if __name__ == [\"']__main__[\"']", re.M)


def _is_runnable_script(ctx: CheckContext) -> bool:
    """A module with an `if __name__ == "__main__":` block: a command-line job run by hand."""
    return ctx.file.memo(("rb202", "script"), lambda: bool(_MAIN_GUARD.search(ctx.file.source)))
