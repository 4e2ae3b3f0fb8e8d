"""RB304: expensive calls repeated with the same arguments on every iteration of a loop.

Also home of the loop facts the caching rules share: which names a loop rebinds or mutates,
retry loops, and how to name a loop in a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node, QueryCursor

from reviewbot.checks import _orm as orm
from reviewbot.checks._clients import call_display, callee_is_imported, is_redis_client, method_receiver
from reviewbot.checks.helpers import receiver_is_constructed_by
from reviewbot.checks.registry import CheckContext, Match, Report, Rule
from reviewbot.findings import Principle, Severity
from reviewbot.source import scopes
from reviewbot.source.parsing import compile_query

# --- loop facts --------------------------------------------------------------------------------

_LOOP_BINDINGS = compile_query(
    """
    (assignment left: (_) @target)
    (augmented_assignment left: (_) @target)
    (named_expression name: (identifier) @target)
    (for_statement left: (_) @target)
    (for_in_clause left: (_) @target)
    (as_pattern alias: (as_pattern_target) @target)
    (delete_statement (_) @target)
    (function_definition name: (identifier) @target)
    (class_definition name: (identifier) @target)
    (call function: (attribute object: [(identifier) (attribute)] @receiver attribute: (identifier) @method))
    """
)
# Methods known not to change the object they are called on. Any other method call in a loop
# (`cfg.reload()`, `self.advance()`) is taken to change its receiver, so arguments read from that
# receiver are not invariant.
READ_METHODS = frozenset(
    {"get", "items", "keys", "values", "copy", "startswith", "endswith", "lower", "upper", "strip", "lstrip",
     "rstrip", "split", "rsplit", "splitlines", "format", "format_map", "join", "count", "index", "find", "rfind",
     "encode", "decode", "match", "fullmatch", "search", "sub", "subn", "findall", "finditer", "replace",
     "isdigit", "isalpha", "isalnum", "isspace", "title", "casefold", "strftime", "isoformat", "timestamp", "date",
     "time", "total_seconds", "filter", "filter_by", "exclude", "all", "first", "last", "exists", "order_by",
     "values_list", "annotate", "aggregate", "select_related", "prefetch_related", "only", "defer", "distinct",
     "latest", "earliest", "in_bulk", "one", "one_or_none", "scalar", "scalars", "scalar_one", "query", "where",
     "hget", "hgetall", "smembers", "lrange", "mget", "zrange", "read_text", "read_bytes", "resolve",
     "joinpath", "with_suffix", "with_name", "relative_to", "debug", "info", "warning", "error", "exception",
     "critical", "log", "fetchone", "fetchall", "fetchmany", "fetchval", "fetchrow", "fetch"}
)
_READ_PREFIXES = ("get", "is_", "has_", "to_", "as_", "find")
_RETRY_NAME = re.compile(r"(?i)attempt|retr|tries|try_")
SLEEP_CALLS = frozenset({"time.sleep", "asyncio.sleep", "gevent.sleep", "trio.sleep", "anyio.sleep"})


def dotted_name(node: Node) -> str | None:
    """`a`, `self.client`: an identifier or a chain of attributes on one, else None."""
    parts = []
    while node.type == "attribute":
        attribute = node.child_by_field_name("attribute")
        obj = node.child_by_field_name("object")
        if attribute is None or obj is None:
            return None
        parts.append(attribute.text.decode())
        node = obj
    if node.type != "identifier":
        return None
    parts.append(node.text.decode())
    return ".".join(reversed(parts))


def _target_names(target: Node, into: set[str]) -> None:
    pending = [target]
    while pending:
        node = pending.pop()
        if node.type in ("identifier", "attribute"):
            name = dotted_name(node)
            if name is not None:
                into.add(name)
        elif node.type == "subscript":
            value = node.child_by_field_name("value")
            if value is not None:
                pending.append(value)  # `data[k] = v` changes `data`
        elif node.type in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "list_splat_pattern",
                           "parenthesized_expression", "expression_list", "as_pattern_target", "expression"):
            pending.extend(node.named_children)


def loop_changed_names(ctx: CheckContext, loop: Node, outside: Node | None = None) -> frozenset[str]:
    """Names (and dotted names such as `self.total`) a loop rebinds or mutates: its targets,
    everything assigned or deleted in the repeated part, and receivers of methods that may change
    them. Method calls inside `outside` (the call being judged) are left out."""

    def compute() -> tuple[frozenset[str], tuple[tuple[str, int, int], ...]]:
        names: set[str] = set()
        receivers: list[tuple[str, int, int]] = []
        target, _ = scopes.loop_target_and_iterable(loop)
        if target is not None:
            _target_names(target, names)
        for part in scopes.loop_body_and_repeated_parts(loop):
            for _, match in QueryCursor(_LOOP_BINDINGS).matches(part):
                if "target" in match:
                    _target_names(match["target"][0], names)
                elif _may_mutate(match["method"][0].text.decode()):
                    node = match["receiver"][0]
                    receiver = dotted_name(node)
                    if receiver is not None and receiver.split(".", 1)[0] not in ctx.file.imports:
                        receivers.append((receiver, node.start_byte, node.end_byte))
        return frozenset(names), tuple(receivers)

    names, receivers = ctx.file.memo(("loop-changed-names", loop.id), compute)
    mutated = {
        name for name, start, end in receivers
        if outside is None or not (outside.start_byte <= start and end <= outside.end_byte)
    }
    return names | mutated if mutated else names


def _may_mutate(method: str) -> bool:
    if method in READ_METHODS:
        return False
    if method.startswith("a") and method[1:] in READ_METHODS:
        return False  # Django's async twins: `aget`, `afirst`, `acount`
    return not method.startswith(_READ_PREFIXES)


def references(node: Node) -> list[str]:
    """The names an expression reads, as dotted names where the chain is plain (`self.path`)."""
    found: list[str] = []
    pending = [node]
    while pending and len(found) < 64:
        current = pending.pop()
        if current.type in ("identifier", "attribute"):
            name = dotted_name(current)
            if name is not None:
                found.append(name)
                continue
            if current.type == "attribute":
                obj = current.child_by_field_name("object")
                if obj is not None:
                    pending.append(obj)
                continue
        if current.type == "keyword_argument":
            value = current.child_by_field_name("value")
            if value is not None:
                pending.append(value)
            continue
        pending.extend(current.named_children)
    return found


def uses_changed_name(names: list[str], changed: frozenset[str]) -> bool:
    for name in names:
        prefix = ""
        for part in name.split("."):
            prefix = f"{prefix}.{part}" if prefix else part
            if prefix in changed:
                return True
    return False


def is_retry_loop(loop: Node) -> bool:
    """`for attempt in range(3)`, `for _ in range(retries)`: a loop that repeats one action until
    it succeeds, not a loop over data."""
    target, iterable = scopes.loop_target_and_iterable(loop)
    if target is not None and _RETRY_NAME.search(target.text.decode()):
        return True
    if iterable is not None and iterable.type == "call":
        function = iterable.child_by_field_name("function")
        if function is not None and function.text == b"range":
            arguments = iterable.child_by_field_name("arguments")
            text = arguments.text.decode() if arguments is not None else ""
            if _RETRY_NAME.search(text) or (target is not None and target.text == b"_"):
                return True
    return False


def is_tiny_loop(loop: Node) -> bool:
    """A loop over a literal of at most three items, or `range(k)` with k <= 3."""
    _, iterable = scopes.loop_target_and_iterable(loop)
    if iterable is None:
        return False
    if iterable.type in ("list", "tuple", "set"):
        return iterable.named_child_count <= 3
    if iterable.type == "call":
        function = iterable.child_by_field_name("function")
        arguments = scopes.call_positional_arguments(iterable)
        if function is not None and function.text == b"range" and len(arguments) == 1:
            bound = arguments[0]
            if bound.type != "integer":
                return False
            try:
                return int(bound.text.decode().replace("_", ""), 0) <= 3
            except ValueError:
                return False
    return False


def loop_calls(ctx: CheckContext, loop: Node, names: frozenset[str] | set[str]) -> list[Node]:
    """Calls to `names` (resolved dotted names or method names) in the repeated part of `loop`."""
    found = []
    methods = {n.rsplit(".", 1)[-1] for n in names}
    for site in ctx.calls_to(methods):
        if site.name in names or site.method in names:
            if any(scopes.contains(part, site.node) for part in scopes.loop_body_and_repeated_parts(loop)):
                found.append(site.node)
    return found


def loop_description(ctx: CheckContext, loop: Node) -> str:
    """`the loop over \\`rows\\``, `the \\`while\\` loop`, for messages."""
    if loop.type == "while_statement":
        return "the `while` loop"
    _, iterable = scopes.loop_target_and_iterable(loop)
    noun = "loop" if loop.type == "for_statement" else "comprehension"
    if iterable is not None:
        text = " ".join(ctx.file.text(iterable).split())
        if len(text) <= 40:
            return f"the {noun} over `{text}`"
    return f"the {noun} at line {loop.start_point[0] + 1}"


# --- what counts as expensive ------------------------------------------------------------------

COMPUTE_CALLS = frozenset(
    {"re.compile", "regex.compile", "json.loads", "pickle.loads", "tomllib.loads", "toml.loads", "ujson.loads",
     "orjson.loads"}
)
STREAM_LOADS = frozenset(
    {"json.load", "yaml.safe_load", "yaml.load", "yaml.full_load", "pickle.load", "tomllib.load", "toml.load",
     "ujson.load"}
)
FILE_OPENERS = frozenset({"open", "io.open", "builtins.open", "codecs.open"})
DIRECTORY_LISTINGS = frozenset({"os.listdir", "glob.glob", "os.scandir"})
FILE_READ_METHODS = frozenset({"read_text", "read_bytes"})
CONFIG_PARSERS = frozenset({"configparser.ConfigParser", "configparser.RawConfigParser"})
HTTP_READS = frozenset({"requests.get", "httpx.get"})
# Calls that compute a value from their arguments alone: allowed inside an invariant argument.
PURE_CALLS = frozenset(
    {"str", "int", "float", "bool", "tuple", "frozenset", "len", "min", "max", "abs", "round", "sorted",
     "pathlib.Path", "pathlib.PurePath", "os.path.join", "os.path.dirname", "os.path.abspath", "os.path.basename",
     "os.path.expanduser", "os.path.normpath", "os.path.realpath", "os.getenv", "os.environ.get", "re.escape",
     "django.db.models.Q", "django.db.models.F", "django.db.models.Sum", "django.db.models.Count",
     "django.db.models.Max", "django.db.models.Min", "django.db.models.Avg", "sqlalchemy.text"}
)
PURE_METHODS = frozenset(
    {"join", "format", "lower", "upper", "strip", "replace", "encode", "decode", "joinpath", "with_suffix",
     "where", "filter", "filter_by", "order_by", "limit", "options", "outerjoin", "select_from", "desc",
     "asc", "label"}
)
WRITE_METHODS = frozenset(
    {"save", "delete", "create", "update", "bulk_create", "bulk_update", "get_or_create", "update_or_create",
     "add", "add_all", "commit", "flush", "merge", "insert", "insert_one", "insert_many", "update_one",
     "update_many", "delete_one", "delete_many", "replace_one", "bulk_write", "executemany", "set", "hset",
     "incr", "lpush", "rpush", "sadd", "post", "put", "patch", "asave", "adelete", "acreate", "aupdate"}
)
FILE_WRITE_METHODS = frozenset(
    {"write", "write_text", "write_bytes", "writelines", "dump", "rename", "unlink", "mkdir", "makedirs", "rmtree",
     "copyfile"}
)
# Write methods that are also everyday container methods (`seen.add(x)`, `totals.update(...)`):
# they count as writes only on receivers that are not local containers.
CONTAINER_METHODS = frozenset({"add", "update", "set", "pop", "remove", "delete"})
# Name prefixes of project helpers that write rows (`create_order`, `gen_user`, `save_all`).
WRITING_HELPER_PREFIXES = ("create_", "add_", "insert_", "save_", "store_", "record_", "register_", "upsert_",
                           "bulk_", "gen_", "generate_", "make_", "seed_", "populate_", "delete_", "remove_")
DJANGO_MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
DJANGO_BUILDERS = frozenset(
    {"all", "filter", "exclude", "order_by", "select_related", "prefetch_related", "only", "defer", "values",
     "values_list", "annotate", "distinct", "using", "reverse"}
)
DJANGO_TERMINALS = frozenset(
    {"get", "first", "last", "count", "exists", "aggregate", "earliest", "latest", "in_bulk", "aget", "afirst",
     "alast", "acount", "aexists", "aaggregate", "aearliest", "alatest"}
)
SA_BUILDERS = frozenset(
    {"filter", "filter_by", "order_by", "join", "outerjoin", "options", "limit", "offset", "distinct", "group_by",
     "with_entities", "where", "select_from"}
)
SA_TERMINALS = frozenset({"first", "one", "one_or_none", "all", "scalar", "count", "get", "get_or_404",
                          "first_or_404"})
SA_RESULT_METHODS = frozenset({"scalar_one", "scalar_one_or_none", "scalars", "all", "first", "one", "one_or_none",
                               "scalar", "fetchall", "fetchone", "unique", "mappings"})
SA_SESSION_QUERIES = frozenset({"execute", "scalars", "scalar", "get"})
PEEWEE_TORTOISE_GETS = frozenset({"get", "get_or_none", "get_by_id"})
RAW_SQL_METHODS = frozenset({"execute", "fetch", "fetchrow", "fetchval"})
MONGO_READS = frozenset({"find_one", "count_documents", "estimated_document_count"})
REDIS_READS = frozenset({"get", "hget", "hgetall", "smembers", "lrange", "mget", "zrange"})
_SELECT_SQL = re.compile(r"^\s*\(?\s*select\b", re.I)

ORM_READ_OPERATIONS = frozenset({"read-one", "read-many", "count", "exists"})
ORM_WRITE_OPERATIONS = frozenset({"create", "upsert", "update", "delete", "save", "commit", "flush"})
IMPORTED_CALLEES = COMPUTE_CALLS | STREAM_LOADS | DIRECTORY_LISTINGS | HTTP_READS
COMPUTE, IO, DATA = "compute", "io", "data"

CANDIDATE_METHODS = (
    {n.rsplit(".", 1)[-1] for n in COMPUTE_CALLS | STREAM_LOADS | FILE_OPENERS | DIRECTORY_LISTINGS | HTTP_READS}
    | FILE_READ_METHODS | {"read"} | DJANGO_TERMINALS | SA_TERMINALS | SA_RESULT_METHODS | SA_SESSION_QUERIES
    | PEEWEE_TORTOISE_GETS | RAW_SQL_METHODS | MONGO_READS | REDIS_READS | DJANGO_BUILDERS
)


class LoopInvariantExpensiveCall(Rule):
    """## What it does
    Checks for expensive calls inside a loop whose arguments do not change from one iteration to
    the next: `re.compile` of a fixed pattern, `json.loads` of the same text, reading the same
    file (`open`, `Path.read_text`, `yaml.safe_load(open(...))`), and database, Redis or HTTP reads
    with fixed arguments (`Setting.objects.get(key="tax")` inside a loop over orders).

    ## Why is this bad?
    The loop pays for the same work on every iteration: a regex compile (or a cache lookup),
    parsing, a file read, or a network round trip that returns the same result. Computed once
    above the loop, the cost is paid once. An argument counts as changing when the loop assigns
    or deletes any name it uses, writes into it (`x[k] = ...`), or calls a method on it that is
    not a known read (`parts.append(...)`, `config.reload()`). Reads are not
    reported in loops that also write (the result may change), in `while` loops and loops that
    sleep (polling), in retry loops, in loops over three items or fewer, or where the call runs
    at most once (followed by `return`/`break`, in an `except`, or a lazy `if x is None:` init).
    A loop that calls a helper named for writing (`create_...`, `add_...`) counts as writing.
    Test files are not checked.
    Cheap calls such as `len()` or attribute loads are never reported.

    ## Example
    ```python
    import re

    def normalise(rows):
        for row in rows:
            row.phone = re.compile(r"[^0-9+]").sub("", row.phone)

    def invoice_totals(orders):
        return [order.subtotal * Setting.objects.get(key="tax").value for order in orders]
    ```

    ## Use instead
    ```python
    import re

    NON_DIGITS = re.compile(r"[^0-9+]")

    def normalise(rows):
        for row in rows:
            row.phone = NON_DIGITS.sub("", row.phone)

    def invoice_totals(orders):
        tax = Setting.objects.get(key="tax").value
        return [order.subtotal * tax for order in orders]
    ```

    ## References
    - Python: re.compile (https://docs.python.org/3/library/re.html#re.compile)
    - Django: Database access optimization (https://docs.djangoproject.com/en/stable/topics/db/optimization/)
    """

    code = "RB304"
    name = "loop-invariant-expensive-call"
    category = "loop-invariant"
    principle = Principle.CACHING
    severity = Severity.INFO

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        if not ctx.loops:
            return  # every report is inside a loop
        if ctx.file.path_context == "test":
            return  # a test repeats fixture reads on purpose, over a handful of rows
        found: dict[int, tuple[Node, Node, str]] = {}
        for site in ctx.calls_to(CANDIDATE_METHODS):
            if not scopes.enclosing_loops(site.node):
                continue  # most calls: settled before any name resolution
            kind = _expensive_kind(ctx, site.node, site.name, site.method)
            if kind is None and site.method not in REDIS_READS:
                continue
            candidate = _repeated_invariant_call(ctx, site.node, kind)
            if candidate is not None:
                found[site.node.id] = candidate
        for query in _orm_reads(ctx):
            if query.id not in found:
                candidate = _repeated_invariant_call(ctx, query, DATA)
                if candidate is not None:
                    found[query.id] = candidate
        candidates = sorted(found.values(), key=lambda c: c[0].start_byte)
        outermost = [c for c in candidates
                     if not any(o[0].id != c[0].id and scopes.contains(o[0], c[0]) for o in candidates)]
        for call, loop, kind in outermost:
            where = loop_description(ctx, loop)
            shown = call_display(ctx, call)
            before = "above the loop" if loop.type in scopes.STATEMENT_LOOP_TYPES else "before the comprehension"
            if kind == DATA and ctx.file.call_name(call) in HTTP_READS:
                message = f"`{shown}` sends the same request on every iteration of {where}; send it once {before}"
            elif kind == DATA:
                message = f"`{shown}` runs the same query on every iteration of {where}; run it once {before}"
            elif kind == IO:
                message = f"`{shown}` reads the same data on every iteration of {where}; read it once {before}"
            else:
                message = f"`{shown}` gets the same arguments on every iteration of {where}; hoist it {before}"
            yield Report(call, message)


def repeats_with_same_arguments(ctx: CheckContext, node: Node) -> bool:
    """Whether RB304 reports this query as loop-invariant: it runs in a loop with arguments that
    never change, so hoisting it (not a bulk form) is the fix. Lets the query-in-loop rule leave
    such a query to this one rather than report the same line twice. `node` may be any link of a
    chain (`Setting.objects.filter(...)` in `Setting.objects.filter(...).first()`) or an `await`.
    False in test files, where this rule stays silent."""
    if ctx.file.path_context == "test":
        return False
    if node.type == "await" and node.named_children:
        node = node.named_children[0]
    link: Node | None = node
    for _ in range(12):
        if link is None or link.type != "call":
            return False
        if _reported_as_invariant(ctx, link):
            return True
        parent = link.parent
        link = parent.parent if parent is not None and parent.type == "attribute" else None
    return False


def _reported_as_invariant(ctx: CheckContext, call: Node) -> bool:
    """The decision `check` makes for one candidate call."""
    method = _call_method(call)
    kind = _expensive_kind(ctx, call, ctx.file.call_name(call), method)
    if kind is None and call.id in _orm_read_ids(ctx):
        kind = DATA
    elif kind is None and method not in REDIS_READS:
        return False
    return _repeated_invariant_call(ctx, call, kind) is not None


def _orm_read_ids(ctx: CheckContext) -> frozenset[int]:
    return ctx.file.memo(("rb304", "orm-read-ids"), lambda: frozenset(read.id for read in _orm_reads(ctx)))


def _repeated_invariant_call(ctx: CheckContext, call: Node, kind: str | None) -> tuple[Node, Node, str] | None:
    """(call, loop, kind) when `call` repeats with the same arguments in its innermost loop.
    A None `kind` is a possible Redis read, resolved last because it costs the most."""
    loops = scopes.enclosing_loops(call)
    if not loops:
        return None
    loop = loops[0]
    if is_tiny_loop(loop) or is_retry_loop(loop):
        return None
    if kind != COMPUTE and (loop.type == "while_statement" or loop_calls(ctx, loop, SLEEP_CALLS)):
        return None  # polling: the same read is meant to see new data
    if not _arguments_invariant(ctx, call, loop) or _runs_at_most_once(ctx, call, loop):
        return None
    if kind is None:
        receiver = method_receiver(call)
        if receiver is None or not is_redis_client(ctx, receiver):
            return None
        kind = DATA
    if kind == DATA and _loop_writes(ctx, loop, call, WRITE_METHODS):
        return None
    if kind == IO and _loop_writes(ctx, loop, call, FILE_WRITE_METHODS):
        return None
    return call, loop, kind


def _orm_reads(ctx: CheckContext) -> list[Node]:
    """Reads the shared ORM vocabulary recognises (`get_object_or_404`, repository sessions,
    related managers) beyond the shapes matched here."""
    reads = []
    for query in orm.query_calls(ctx):
        if query.framework == orm.REDIS or query.operation not in ORM_READ_OPERATIONS:
            continue
        node = query.node
        if node.type == "await" and node.named_children:
            node = node.named_children[0]
        if node.type == "call":
            reads.append(node)
    return reads


def _expensive_kind(ctx: CheckContext, call: Node, name: str | None, method: str) -> str | None:
    if name in IMPORTED_CALLEES and not callee_is_imported(ctx, call):
        return None
    if name in COMPUTE_CALLS:
        return IO if _reads_a_file(ctx, call) else COMPUTE
    if name in STREAM_LOADS:
        arguments = scopes.call_positional_arguments(call)
        stream = arguments[0] if arguments else None
        return IO if stream is not None and stream.type in ("call", "string", "concatenated_string") else None
    if name in FILE_OPENERS:
        return IO if _opens_for_reading(call) else None
    if name in DIRECTORY_LISTINGS:
        return IO
    receiver = method_receiver(call)
    if method in FILE_READ_METHODS and receiver is not None:
        return IO
    if method == "read" and receiver is not None and receiver_is_constructed_by(ctx, receiver, CONFIG_PARSERS):
        return IO
    if name in HTTP_READS:
        return DATA
    if _is_query(ctx, call, method, receiver):
        return DATA
    return None


def _reads_a_file(ctx: CheckContext, call: Node) -> bool:
    """`json.loads(path.read_text())`: the parse includes a file read."""
    arguments = call.child_by_field_name("arguments")
    pending = list(arguments.named_children) if arguments is not None else []
    while pending:
        node = pending.pop()
        if node.type == "call" and (ctx.file.call_name(node) in FILE_OPENERS or _call_method(node) in FILE_READ_METHODS):
            return True
        pending.extend(node.named_children)
    return False


def _opens_for_reading(call: Node) -> bool:
    arguments = scopes.call_positional_arguments(call)
    mode = scopes.call_keyword_arguments(call).get("mode", arguments[1] if len(arguments) > 1 else None)
    if mode is None:
        return True
    if mode.type != "string" or any(c.type == "interpolation" for c in mode.named_children):
        return False
    return not set(mode.text.decode().strip("'\"rbuf")) & set("wax+")


def _is_query(ctx: CheckContext, call: Node, method: str, receiver: Node | None) -> bool:
    if receiver is None:
        return False
    if method in DJANGO_TERMINALS | DJANGO_BUILDERS and _django_chain(call, terminal=method in DJANGO_TERMINALS):
        return True
    if _sqlalchemy_chain(ctx, call):
        return True
    if method in PEEWEE_TORTOISE_GETS | {"first", "count", "exists"} and _peewee_or_tortoise(ctx, call, method):
        return True
    if method in RAW_SQL_METHODS:
        arguments = scopes.call_positional_arguments(call)
        if arguments and arguments[0].type == "string" and _SELECT_SQL.match(_string_body(arguments[0])):
            return not any(c.type == "interpolation" for c in arguments[0].named_children)
    return method in MONGO_READS


def _string_body(string: Node) -> str:
    return "".join(c.text.decode() for c in string.named_children if c.type == "string_content")


def _method_chain(call: Node) -> tuple[list[Node], Node | None]:
    """The calls of a chain `a.b(x).c(y)`, innermost first, and what the chain starts from
    (`a.b` in that example)."""
    calls = []
    node: Node | None = call
    while node is not None and node.type == "call" and len(calls) < 12:
        calls.append(node)
        function = node.child_by_field_name("function")
        if function is None or function.type != "attribute":
            return list(reversed(calls)), function
        node = function.child_by_field_name("object")
        if node is not None and node.type != "call":
            return list(reversed(calls)), node
    return list(reversed(calls)), node


def _call_method(call: Node) -> str:
    function = call.child_by_field_name("function")
    attribute = function.child_by_field_name("attribute") if function is not None else None
    return attribute.text.decode() if attribute is not None else ""


def _is_model_name(node: Node | None) -> bool:
    """`Order`, `LineItem`: a CapWords name (not an UPPER_CASE constant)."""
    return node is not None and node.type == "identifier" and node.text[:1].isupper() and not node.text.isupper()


def _django_chain(call: Node, terminal: bool) -> bool:
    """`Model.objects.<builders>.<terminal>(...)`; with terminal=False, a chain evaluated by
    iteration or `list()`."""
    calls, start = _method_chain(call)
    if start is None or start.type != "attribute":
        return False
    manager = start.child_by_field_name("attribute")
    if manager is None or manager.text.decode() not in DJANGO_MANAGERS:
        return False
    if not _is_model_name(start.child_by_field_name("object")):
        return False
    methods = [_call_method(c) for c in calls]
    if not methods or any(m not in DJANGO_BUILDERS for m in methods[:-1]):
        return False
    if terminal:
        return methods[-1] in DJANGO_TERMINALS
    return methods[-1] in DJANGO_BUILDERS and _evaluated_by_context(call)


def _evaluated_by_context(call: Node) -> bool:
    parent = call.parent
    if parent is None:
        return False
    if parent.type in ("for_statement", "for_in_clause") and parent.child_by_field_name("right") == call:
        return True
    if parent.type == "argument_list" and parent.parent is not None:
        function = parent.parent.child_by_field_name("function")
        return function is not None and function.text in (b"list", b"len", b"set", b"sum")
    return False


def _sqlalchemy_chain(ctx: CheckContext, call: Node) -> bool:
    calls, start = _method_chain(call)
    if not calls or start is None:
        return False
    methods = [_call_method(c) for c in calls]
    start_name = dotted_name(start) or ""
    owner = start_name.rsplit(".", 1)[-1].lower()
    if methods[0] == "query" and "session" in owner:
        return len(methods) > 1 and methods[-1] in SA_TERMINALS and all(m in SA_BUILDERS for m in methods[1:-1])
    if start.type == "attribute" and start_name.endswith(".query") and _is_model_name(start.child_by_field_name("object")):
        if len(calls) == 1:
            return methods[0] in SA_TERMINALS
        return methods[-1] in SA_TERMINALS and all(m in SA_BUILDERS for m in methods[:-1])
    if methods[0] in SA_SESSION_QUERIES and "session" in owner:
        if any(m not in SA_RESULT_METHODS for m in methods[1:]):
            return False
        arguments = scopes.call_positional_arguments(calls[0])
        if not arguments:
            return False
        if methods[0] == "get":
            return _is_model_name(arguments[0])
        return _is_select(ctx, arguments[0])
    return False


def _is_select(ctx: CheckContext, node: Node) -> bool:
    calls, start = _method_chain(node) if node.type == "call" else ([], None)
    if not calls:
        return False
    first = calls[0]
    name = ctx.file.call_name(first) or ""
    return name.rsplit(".", 1)[-1] == "select" and start is not None and start.type != "call"


def _peewee_or_tortoise(ctx: CheckContext, call: Node, method: str) -> bool:
    if not (ctx.file.imports_module("peewee") or ctx.file.imports_module("tortoise")):
        return False
    calls, start = _method_chain(call)
    if not _is_model_name(start):
        return False
    methods = [_call_method(c) for c in calls]
    if len(methods) == 1:
        return methods[0] in PEEWEE_TORTOISE_GETS
    return methods[0] in ("select", "filter", "where", "all") and methods[-1] in ("get", "first", "count", "exists")


# --- invariance --------------------------------------------------------------------------------


def _arguments_invariant(ctx: CheckContext, call: Node, loop: Node) -> bool:
    """Whether nothing the call reads (receiver chain and arguments) changes in the loop, and its
    arguments call nothing but pure helpers."""
    changed = loop_changed_names(ctx, loop, outside=call)
    calls, start = _method_chain(call)
    if start is not None and uses_changed_name(references(start), changed):
        return False
    for link in calls:
        arguments = link.child_by_field_name("arguments")
        if arguments is None:
            continue
        if not _only_pure_calls(ctx, arguments):
            return False
        if uses_changed_name(references(arguments), changed):
            return False
    return True


_IMPURE_NODES = frozenset({"await", "yield", "lambda", "list_comprehension", "set_comprehension",
                           "dictionary_comprehension", "generator_expression", "named_expression"})


def _only_pure_calls(ctx: CheckContext, node: Node) -> bool:
    pending = [node]
    visited = 0
    while pending:
        visited += 1
        if visited > 200:
            return False
        current = pending.pop()
        if current.type in _IMPURE_NODES:
            return False
        if current.type == "call":
            name = ctx.file.call_name(current) or ""
            method = _call_method(current)
            allowed = (
                name in PURE_CALLS
                or name in FILE_OPENERS
                or name.startswith(("sqlalchemy.", "django.db.models."))
                or name.rsplit(".", 1)[-1] == "select"
                or (method in PURE_METHODS | FILE_READ_METHODS)
            )
            if not allowed:
                return False
        pending.extend(current.named_children)
    return True


def _runs_at_most_once(ctx: CheckContext, call: Node, loop: Node) -> bool:
    """A call followed by `return`/`break`/`raise` in its block, inside an `except`, or a lazy
    initialisation (`if rates is None: rates = load()`)."""
    if is_lazy_initialisation(call, loop):
        return True
    for parent in scopes.ancestors(call):
        if parent.id == loop.id:
            return False
        if parent.type in ("return_statement", "raise_statement", "except_clause", "except_group_clause"):
            return True
        if parent.type == "block" and parent.named_children:
            last = parent.named_children[-1]
            if last.type in ("return_statement", "break_statement", "raise_statement"):
                return True
    return False


def is_lazy_initialisation(call: Node, boundary: Node | None) -> bool:
    """`if rates is None: rates = load()`, `if key not in clients: clients[key] = make()`: the
    call's result is stored in something an enclosing `if` (below `boundary`) tests first."""
    statement = scopes.statement_of(call)
    assigned: set[str] = set()
    if statement.type == "expression_statement" and statement.named_children:
        inner = statement.named_children[0]
        if inner.type == "assignment":
            left = inner.child_by_field_name("left")
            if left is not None:
                _target_names(left, assigned)
    if not assigned:
        return False
    for parent in scopes.ancestors(statement):
        if boundary is not None and parent.id == boundary.id:
            return False
        if parent.type in scopes.SCOPE_TYPES:
            return False
        if parent.type in ("if_statement", "elif_clause"):
            condition = parent.child_by_field_name("condition")
            if condition is not None and uses_changed_name(references(condition), frozenset(assigned)):
                return True
    return False


def _loop_writes(ctx: CheckContext, loop: Node, call: Node, methods: frozenset[str]) -> bool:
    """Whether the loop also writes (so a read's result may change between iterations)."""
    for other in loop_calls(ctx, loop, methods | ({"execute"} if methods is WRITE_METHODS else set())):
        if scopes.contains(call, other) or scopes.contains(other, call):
            continue
        method = _call_method(other)
        if method == "execute":
            arguments = scopes.call_positional_arguments(other)
            if arguments and arguments[0].type == "string" and _SELECT_SQL.match(_string_body(arguments[0])):
                continue  # another read
        if method in CONTAINER_METHODS and _is_local_container(ctx, method_receiver(other)):
            continue
        return True
    if methods is WRITE_METHODS:
        parts = scopes.loop_body_and_repeated_parts(loop)
        for query in orm.query_calls(ctx):
            if query.operation in ORM_WRITE_OPERATIONS and any(scopes.contains(p, query.node) for p in parts):
                return True
        if _calls_writing_helper(ctx, parts, call):
            return True
    return False


def _calls_writing_helper(ctx: CheckContext, parts: list[Node], call: Node) -> bool:
    """`create_rating(...)`, `self.add_member(...)` in the loop: a helper whose name says it
    writes may add the very rows the read counts."""
    helpers = ctx.file.memo(
        ("rb304", "writing-helpers"),
        lambda: [site.node for site in ctx.calls if site.method.startswith(WRITING_HELPER_PREFIXES)],
    )
    return any(
        not scopes.contains(helper, call) and any(scopes.contains(part, helper) for part in parts)
        for helper in helpers
    )


def _is_local_container(ctx: CheckContext, receiver: Node | None) -> bool:
    if receiver is None or receiver.type != "identifier":
        return False
    binding = ctx.file.binding_before(receiver.text.decode(), receiver)
    if binding is None:
        return False
    value = binding.value
    if value.type in ("dictionary", "list", "set", "dictionary_comprehension", "list_comprehension",
                      "set_comprehension"):
        return True
    return value.type == "call" and (ctx.file.call_name(value) or "") in (
        "dict", "set", "list", "collections.defaultdict", "collections.Counter", "collections.OrderedDict")
