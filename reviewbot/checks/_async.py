"""Facts the async rules share: where async functions are, work handed to a thread, and what an
expression was built from (`conn.cursor()` after `conn = psycopg2.connect(...)`)."""

from __future__ import annotations

from bisect import bisect_right

from tree_sitter import Node

from reviewbot.checks.helpers import self_attribute_value
from reviewbot.checks.registry import CheckContext
from reviewbot.source import scopes

# Callables that run their argument in a worker thread: a sync call written inside their argument
# list runs there, not on the event loop (`loop.run_in_executor(None, lambda: requests.get(url))`).
OFFLOAD_FUNCTIONS = frozenset(
    {"to_thread", "run_in_executor", "run_sync", "sync_to_async", "database_sync_to_async", "run_in_threadpool",
     "run_in_thread", "submit", "defer_to_thread", "deferToThread"}
)
_MAX_ORIGIN_DEPTH = 8


class AsyncSpans:
    """Byte ranges of the `async def`s of a file, for a cheap "might be in an async function" test
    before walking up the tree."""

    def __init__(self, functions: list[Node]) -> None:
        ranges = sorted((f.start_byte, f.end_byte) for f in functions)
        self._starts = [start for start, _ in ranges]
        self._ends = [end for _, end in ranges]
        # the furthest end among ranges starting at or before each index: nested defs are covered
        furthest = 0
        self._reach = []
        for end in self._ends:
            furthest = max(furthest, end)
            self._reach.append(furthest)

    def __bool__(self) -> bool:
        return bool(self._starts)

    def may_contain(self, node: Node) -> bool:
        index = bisect_right(self._starts, node.start_byte) - 1
        return index >= 0 and self._reach[index] >= node.end_byte


def async_function_of(node: Node) -> Node | None:
    """The `async def` whose body runs `node` on the event loop: the innermost function around
    `node`, when it is an `async def` (a nested sync def or lambda runs elsewhere)."""
    function = scopes.enclosing_function(node)
    return function if scopes.is_async_def(function) else None


def is_offloaded(ctx: CheckContext, node: Node, function: Node) -> bool:
    """Whether `node` sits in the arguments of a thread-offloading call (`asyncio.to_thread`,
    `run_in_executor`, `sync_to_async(...)(...)`) inside `function`."""
    for parent in scopes.ancestors(node):
        if parent.id == function.id:
            return False
        if parent.type == "argument_list":
            call = scopes.parent_of(parent)
            if call is not None and call.type == "call" and _is_offload_callee(ctx, call.child_by_field_name("function")):
                return True
    return False


def _is_offload_callee(ctx: CheckContext, callee: Node | None) -> bool:
    # `sync_to_async(func)(args)`: the callee is itself a call to the wrapper
    while callee is not None and callee.type == "call":
        callee = callee.child_by_field_name("function")
    if callee is None:
        return False
    name = ctx.file.qualname(callee)
    return name is not None and name.rsplit(".", 1)[-1] in OFFLOAD_FUNCTIONS


def is_awaited(call: Node) -> bool:
    parent = scopes.parent_of(call)
    while parent is not None and parent.type == "parenthesized_expression":
        parent = scopes.parent_of(parent)
    return parent is not None and parent.type == "await"


def receiver_of(call: Node) -> Node | None:
    function = call.child_by_field_name("function")
    if function is None or function.type != "attribute":
        return None
    return function.child_by_field_name("object")


def value_origin(ctx: CheckContext, node: Node | None, depth: int = 0) -> str | None:
    """How a value was built, as a dotted path with imports resolved and local names followed:
    `cur` after `conn = psycopg2.connect(dsn)` and `cur = conn.cursor()` is
    `psycopg2.connect().cursor()`; `db.users` after `db = MongoClient(url)["app"]` is
    `pymongo.MongoClient()[].users`. A parameter stands for an instance of its annotation
    (`session: Session` is `sqlalchemy.orm.Session()`). None when unknown."""
    if node is None or depth > _MAX_ORIGIN_DEPTH:
        return None
    kind = node.type
    if kind == "identifier":
        return _identifier_origin(ctx, node, depth)
    if kind == "attribute":
        obj = node.child_by_field_name("object")
        attribute = node.child_by_field_name("attribute")
        if obj is None or attribute is None:
            return None
        if obj.type == "identifier" and obj.text in (b"self", b"cls"):
            function = scopes.enclosing_def(node)
            owner = scopes.method_class(function) if function is not None else None
            value = self_attribute_value(ctx, owner, attribute.text.decode()) if owner is not None else None
            if value is not None:
                return value_origin(ctx, value, depth + 1)
            return f"self.{attribute.text.decode()}"
        base = value_origin(ctx, obj, depth + 1)
        return None if base is None else f"{base}.{attribute.text.decode()}"
    if kind == "call":
        base = value_origin(ctx, node.child_by_field_name("function"), depth + 1)
        return None if base is None else f"{base}()"
    if kind == "subscript":
        base = value_origin(ctx, node.child_by_field_name("value"), depth + 1)
        return None if base is None else f"{base}[]"
    if kind in ("await", "parenthesized_expression") and node.named_children:
        return value_origin(ctx, node.named_children[0], depth + 1)
    if kind == "boolean_operator":
        # `self.session = session or requests.Session()`: the fallback says what it is
        right = value_origin(ctx, node.child_by_field_name("right"), depth + 1)
        return right or value_origin(ctx, node.child_by_field_name("left"), depth + 1)
    return None


def _identifier_origin(ctx: CheckContext, node: Node, depth: int) -> str | None:
    name = node.text.decode()
    function = scopes.enclosing_function(node)
    if any(name in scopes.bound_names(scopes.loop_target_and_iterable(loop)[0])
           for loop in scopes.enclosing_loops(node)):
        return None  # a loop variable: one item of something, not the module-level object of that name
    if function is not None:
        local = _local_binding(ctx, name, node, function)
        if local is not None:
            return value_origin(ctx, local, depth + 1)
        if name in scopes.parameter_names(function):
            annotation = scopes.parameter_annotation(function, name)
            if annotation is None:
                return None
            annotated = annotation_type(ctx, annotation)
            return None if annotated is None else f"{annotated}()"
    value = module_binding(ctx, name)
    if value is not None:
        if value.start_byte <= node.start_byte < value.end_byte:
            return None
        return value_origin(ctx, value, depth + 1)
    return ctx.file.qualname(node)


_MODULE_BLOCKS = frozenset({"if_statement", "try_statement", "with_statement", "else_clause", "elif_clause",
                            "except_clause", "finally_clause", "block"})


def module_binding(ctx: CheckContext, name: str) -> Node | None:
    """The value last assigned to `name` by a module-level statement (`cache = redis.Redis()`,
    also under a top-level `if`/`try`). Reads only the top of the tree, not every function."""
    bindings: dict[str, Node] = ctx.file.memo(("async", "module-bindings"), lambda: _module_bindings(ctx.file.root))
    return bindings.get(name)


def _module_bindings(root: Node) -> dict[str, Node]:
    bindings: dict[str, Node] = {}
    pending = list(reversed(root.named_children))
    while pending:
        statement = pending.pop()
        if statement.type in _MODULE_BLOCKS:
            pending.extend(reversed(statement.named_children))
            continue
        if statement.type != "expression_statement" or not statement.named_children:
            continue
        assignment = statement.named_children[0]
        names: list[str] = []
        while assignment.type == "assignment":
            left = assignment.child_by_field_name("left")
            right = assignment.child_by_field_name("right")
            if left is None or right is None:
                break
            if left.type == "identifier":
                names.append(left.text.decode())
            if right.type != "assignment":  # `a = b = value` binds both
                for name in names:
                    bindings[name] = right
                break
            assignment = right
    return bindings


def _local_binding(ctx: CheckContext, name: str, node: Node, function: Node) -> Node | None:
    """The value of the last completed assignment to `name` before `node` in `function`."""
    best = None
    for assignment in ctx.file.assignments_in(function).get(name, ()):
        if assignment.node.end_byte <= node.start_byte:
            best = assignment
    return best.value if best is not None else None


def annotation_type(ctx: CheckContext, annotation: Node, depth: int = 0) -> str | None:
    """The class a parameter annotation names, looking through `Optional[X]`, `X | None`,
    `Annotated[X, ...]` and module aliases such as `SessionDep = Annotated[Session, Depends(...)]`."""
    node: Node | None = annotation
    while node is not None and depth <= _MAX_ORIGIN_DEPTH:
        depth += 1
        kind = node.type
        if kind == "type":
            node = node.named_children[0] if node.named_children else None
        elif kind == "binary_operator":
            left = node.child_by_field_name("left")
            node = node.child_by_field_name("right") if left is not None and left.type == "none" else left
        elif kind == "generic_type":
            head = ctx.file.qualname(node.named_children[0]) if node.named_children else None
            parameters = next((c for c in node.named_children if c.type == "type_parameter"), None)
            if head is None or not head.endswith(("Optional", "Annotated")) or parameters is None:
                return head
            node = parameters.named_children[0] if parameters.named_children else None
        elif kind == "subscript":
            head = ctx.file.qualname(node.child_by_field_name("value"))
            if head is None or not head.endswith(("Optional", "Annotated")):
                return head
            node = node.child_by_field_name("subscript")
        elif kind == "identifier":
            alias = module_binding(ctx, node.text.decode())
            if alias is not None and alias.type == "subscript":
                node = alias
                continue
            return ctx.file.qualname(node)
        elif kind == "attribute":
            return ctx.file.qualname(node)
        else:
            return None
    return None


def callee_text(ctx: CheckContext, call: Node, limit: int = 60) -> str:
    """The callee as written, shortened for a message: `self.session.get`."""
    text = " ".join(ctx.file.text(call.child_by_field_name("function")).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short_text(ctx: CheckContext, node: Node | None, limit: int = 50) -> str:
    text = " ".join(ctx.file.text(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
