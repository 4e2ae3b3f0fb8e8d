"""Loops: which loop repeats a node once per element of a real collection, what it iterates, and
what runs only once inside it.

Retry loops (`for attempt in range(3)`) and constant tiny iterables (`for kind in ("a", "b")`)
are looked through. A `while` loop, or a loop over chunks or pages, stops the search: those repeat
per batch or per poll, not per row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node, QueryCursor

from reviewbot.checks._orm.calls import QueryCall
from reviewbot.checks._orm.rows import QueryResult, query_result, row_variable
from reviewbot.checks._orm.syntax import (
    binding_before,
    chain_of,
    last_segment,
    module_binding,
    short_text,
    text_of,
    unwrap,
)
from reviewbot.checks.helpers import may_define_function
from reviewbot.checks.registry import CheckContext
from reviewbot.source import scopes
from reviewbot.source.parsing import compile_query

TINY_ITERABLE_SIZE = 10


_RETRY_TARGET = re.compile(r"^_*(?:attempt|attempts|retry|retries|try|tries|trial|n_try)\w*$", re.I)


_BATCH_TARGET = re.compile(r"^(?:\w+_)?(?:chunk|batch|page)(?:_(?:ids|keys|rows|items|records))?$", re.I)


_BATCH_ITERABLE = re.compile(r"(?:chunk|batch|batched|grouper|page_range|paginate)", re.I)


_EXITS = compile_query("[(break_statement) (return_statement)] @exit")


_ATTRIBUTE_ACCESSES = compile_query("(attribute object: (identifier) @object attribute: (identifier) @name) @access")


_FUNCTIONS = compile_query(
    """
    (module (function_definition name: (identifier) @name) @function)
    (module (decorated_definition definition: (function_definition name: (identifier) @name) @function))
    (class_definition name: (identifier) @class body: (block (function_definition name: (identifier) @name) @function))
    (class_definition name: (identifier) @class
        body: (block (decorated_definition definition: (function_definition name: (identifier) @name) @function)))
    """
)


def repeating_loop(ctx: CheckContext, node: Node) -> Node | None:
    """The innermost loop that runs `node` once per element of a real collection.

    Retry loops (`for attempt in range(3)`) and constant tiny iterables (`for kind in ("a", "b")`)
    are looked through. A `while` loop, or a loop over chunks or pages, stops the search: those
    repeat per batch or per poll, not per row, and are not reported.
    """
    for loop in scopes.enclosing_loops(node):
        kind = ctx.file.memo(("orm", "loop-kind", loop.id), lambda loop=loop: _loop_kind(ctx, loop))
        if kind == "stop":
            return None
        if kind == "through":
            continue
        return loop
    return None


def loop_rows(ctx: CheckContext, loop: Node) -> QueryResult | None:
    """The query result a loop iterates, once per loop."""
    return ctx.file.memo(("orm", "loop-rows", loop.id), lambda: _loop_rows(ctx, loop))  # type: ignore[no-any-return]


def _loop_rows(ctx: CheckContext, loop: Node) -> QueryResult | None:
    target, iterable = scopes.loop_target_and_iterable(loop)
    _row, rows = row_variable(target, iterable)
    return query_result(ctx, rows)


def _loop_kind(ctx: CheckContext, loop: Node) -> str:
    """'repeat', 'through' (retry or tiny constant loop) or 'stop' (while, batches)."""
    if loop.type == "while_statement":
        return "stop"
    target, iterable = scopes.loop_target_and_iterable(loop)
    if iterable is None:
        return "repeat"
    if loop_rows(ctx, loop) is not None:
        return "repeat"
    if is_tiny_constant(ctx, iterable):
        return "through"
    if _is_retry_loop(ctx, loop, target, iterable):
        return "through"
    target_text = text_of(target) if target is not None else ""
    if _BATCH_TARGET.search(target_text.split(",")[-1].strip()) or _batch_iterable(ctx, iterable):
        return "stop"
    if _is_batch_range(ctx, iterable) or _is_bulk_fallback(loop):
        return "stop"
    return "repeat"


def _is_batch_range(ctx: CheckContext, iterable: Node) -> bool:
    """`range(0, len(ids), batch_size)`: each iteration handles a slice of a batch."""
    inner = unwrap(iterable)
    if inner.type != "call" or ctx.file.call_name(inner) != "range":
        return False
    arguments = scopes.call_positional_arguments(inner)
    if len(arguments) != 3:
        return False
    step = arguments[2]
    if step.type == "integer":
        try:
            return int(text_of(step), 0) > 1
        except ValueError:
            return False
    return step.type in ("identifier", "attribute")


def _is_bulk_fallback(loop: Node) -> bool:
    """A loop in the `except` clause of a `try` that ran a bulk statement: the one-by-one
    fallback for a batch that failed (`bulk_create` raised, save each row to find the bad one)."""
    for parent in scopes.ancestors(loop):
        if parent.type in scopes.SCOPE_TYPES:
            return False
        if parent.type == "except_clause":
            attempt = parent.parent
            body = attempt.child_by_field_name("body") if attempt is not None else None
            return body is not None and _BULK_CALL.search(body.text or b"") is not None
    return False


_BULK_CALL = re.compile(rb"\.(?:bulk_create|bulk_update|abulk_create|abulk_update|executemany|insert_many|bulk_write|"
                        rb"copy_records_to_table|execute_values|execute_batch)\(")


def _batch_iterable(ctx: CheckContext, iterable: Node) -> bool:
    inner = unwrap(iterable)
    if inner.type == "call":
        name = ctx.file.call_name(inner) or ""
        return bool(_BATCH_ITERABLE.search(name.rsplit(".", 1)[-1]))
    if inner.type == "attribute":
        return bool(_BATCH_ITERABLE.search(last_segment(inner)))
    return False


def is_tiny_constant(ctx: CheckContext, node: Node, depth: int = 0) -> bool:
    """A literal collection of at most ten elements, a small `range()`, or a name bound to one."""
    if depth > 3:
        return False
    node = unwrap(node)
    if node.type in ("tuple", "list", "set", "dictionary", "expression_list"):
        elements = [c for c in node.named_children if c.type != "comment"]
        return len(elements) <= TINY_ITERABLE_SIZE and not any(
            e.type in ("list_splat", "dictionary_splat") for e in elements)
    if node.type == "identifier":
        # A name bound to a non-empty literal (an empty one is filled later, in a loop)
        binding = binding_before(ctx, text_of(node), node)
        if binding is None:
            module = module_binding(ctx, text_of(node))
            if module is None:
                return False
            value = module[1]
        else:
            value = binding[1]
        return value.named_child_count > 0 and is_tiny_constant(ctx, value, depth + 1)
    if node.type != "call":
        return False
    function = node.child_by_field_name("function")
    arguments = scopes.call_positional_arguments(node)
    if function is None:
        return False
    if function.type == "identifier":
        name = text_of(function)
        if name == "range":
            return _small_range(arguments)
        if name in ("enumerate", "sorted", "reversed", "list", "tuple", "set", "zip") and arguments:
            return is_tiny_constant(ctx, arguments[0], depth + 1)
    if function.type == "attribute" and last_segment(function) in ("items", "keys", "values") and not arguments:
        obj = function.child_by_field_name("object")
        return obj is not None and is_tiny_constant(ctx, obj, depth + 1)
    return False


def _small_range(arguments: list[Node]) -> bool:
    if not arguments or len(arguments) > 3 or any(a.type != "integer" for a in arguments):
        return False
    try:
        values = [int(text_of(a), 0) for a in arguments]
    except ValueError:
        return False
    return len(range(*values)) <= TINY_ITERABLE_SIZE


def _is_retry_loop(ctx: CheckContext, loop: Node, target: Node | None, iterable: Node) -> bool:
    inner = unwrap(iterable)
    if inner.type != "call" or (ctx.file.call_name(inner) or "") not in ("range", "itertools.count"):
        return False
    if target is not None and _RETRY_TARGET.search(text_of(target)):
        return True
    body = loop.child_by_field_name("body")
    if body is None or target is None or text_of(target) != "_":
        return False
    return any(True for _ in QueryCursor(_EXITS).captures(body).get("exit", []))


def runs_once_per_loop(node: Node, loop: Node) -> bool:
    """True when `node` leaves the loop right after running (`return M.get(...)`, or a `break`/
    `return`/`raise` later in its block): it runs at most once, not once per row."""
    current = node
    crossed_inner_loop = False
    for _ in range(256):
        if current.id == loop.id:
            return False
        if current.type in ("return_statement", "raise_statement"):
            return True
        parent = current.parent
        if parent is None:
            return False
        if parent.type == "block":
            sibling = current.next_named_sibling
            while sibling is not None:
                if sibling.type in ("return_statement", "raise_statement"):
                    return True
                if sibling.type == "break_statement" and not crossed_inner_loop:
                    return True
                sibling = sibling.next_named_sibling
        if parent.type in ("for_statement", "while_statement") and parent.id != loop.id:
            crossed_inner_loop = True
        current = parent
    return False


def model_varies_per_iteration(ctx: CheckContext, query: QueryCall, loop: Node) -> bool:
    """`for model in models: model.objects.count()` queries another table on each iteration, and
    `for statement in statements: cursor.execute(statement)` runs another statement: no single
    bulk query replaces those loops."""
    node = query.model_node
    if node is None and query.operation == "execute":
        node = _statement_argument(query.node)
        if node is not None and _has_no_bulk_form(ctx, node):
            return True
    if node is None or node.type != "identifier":
        return False
    name = text_of(node)
    target, _iterable = scopes.loop_target_and_iterable(loop)
    if name in scopes.bound_names(target):
        return True
    binding = binding_before(ctx, name, query.node)
    return binding is not None and scopes.contains(loop, binding[0])


def _has_no_bulk_form(ctx: CheckContext, statement: Node) -> bool:
    """Schema statements (`ALTER TABLE`, `DROP INDEX`, `CREATE EXTENSION`, `VACUUM`) and statements
    on a table named per iteration (`f"TRUNCATE {table}"`, `f"SELECT ... FROM {table}"`) have no
    batched form: each iteration is another statement."""
    if statement.type == "identifier":
        binding = binding_before(ctx, text_of(statement), statement)
        if binding is None:
            return False
        statement = unwrap(binding[1])
    if statement.type == "call":
        return bool(_SCHEMA_CONSTRUCT.match(last_segment(statement)))  # SQLAlchemy `DropTable(table)`
    if statement.type != "string":
        return False
    text = b"".join(c.text or b"" for c in statement.named_children if c.type in ("string_content", "interpolation"))
    return bool(_SCHEMA_STATEMENT.match(text) or _TABLE_INTERPOLATED.search(text))


_SCHEMA_STATEMENT = re.compile(
    rb"\s*(?:ALTER|CREATE|DROP|TRUNCATE|VACUUM|ANALYZE|REINDEX|CLUSTER|GRANT|REVOKE|COMMENT\s+ON|REFRESH\s+"
    rb"MATERIALIZED|SET\s|RESET\s|LOCK\s|PRAGMA|ATTACH|DETACH|LISTEN|NOTIFY|DISCARD|CHECKPOINT)\b", re.I)


_SCHEMA_CONSTRUCT = re.compile(r"^(?:(?:Create|Drop)[A-Z]\w*|AddConstraint|DropConstraint|SetTableComment|DDL)$")


_TABLE_INTERPOLATED = re.compile(rb"\b(?:FROM|INTO|UPDATE|TABLE|JOIN)\s+[\"`\[]?\{", re.I)


def runs_by_design_per_iteration(ctx: CheckContext, query: QueryCall, loop: Node) -> bool:
    """Repetitions that are deliberate rather than an N+1: a query every N rows (`if len(batch) >=
    BATCH_SIZE:`, `if i % 100 == 0:`), writes in a transaction opened for each row (`with
    transaction.atomic():`), a commit or flush on a session the loop opens for each iteration
    (`async with sessionmaker() as session:`), which has nothing to batch with, and a commit that
    keeps rows apart on purpose (see `_commits_each_row_on_purpose`)."""
    if _guarded_by_batch_size(query.node, loop):
        return True
    if query.operation in _WRITE_OPERATIONS and _in_transaction_per_iteration(query.node, loop):
        return True
    if query.operation in ("commit", "flush"):
        root, _links = chain_of(query.node)
        if root.type == "identifier":
            binding = binding_before(ctx, text_of(root), query.node)
            if binding is not None and scopes.contains(loop, binding[0]):
                return True
    if query.operation == "commit":
        return _commits_each_row_on_purpose(query.node, loop)
    return False


_WRITE_OPERATIONS = frozenset({"create", "upsert", "update", "delete", "save", "link", "execute", "commit", "flush"})


_TRANSACTION_BLOCK = re.compile(rb"\batomic\b|\.begin(?:_nested)?\(|\btransaction\(")


def _in_transaction_per_iteration(node: Node, loop: Node) -> bool:
    """`for email in emails: with transaction.atomic(): ...`: each row gets its own transaction
    (committed, or rolled back, alone), which a single bulk statement would merge."""
    for parent in scopes.ancestors(node):
        if parent.id == loop.id or parent.type in scopes.SCOPE_TYPES:
            return False
        if parent.type == "with_statement":
            clause = next((c for c in parent.children if c.type == "with_clause"), None)
            if clause is not None and _TRANSACTION_BLOCK.search(clause.text or b""):
                return True
    return False


def _commits_each_row_on_purpose(commit: Node, loop: Node) -> bool:
    """A commit per row that keeps rows apart on purpose: in a `try` whose `except` rolls back
    (one bad row must not undo the others), or right before publishing the row's jobs or
    events, which must only leave once the row is stored."""
    statement = scopes.statement_of(commit)
    following = statement.next_named_sibling
    while following is not None and following.type == "comment":
        following = following.next_named_sibling
    if following is not None and _PUBLISH_CALL.search(following.text or b""):
        return True
    for parent in scopes.ancestors(commit):
        if parent.id == loop.id or parent.type in scopes.SCOPE_TYPES:
            return False
        if parent.type == "try_statement":
            handlers = [c for c in parent.named_children if c.type == "except_clause"]
            return any(b"rollback(" in (handler.text or b"") for handler in handlers)
    return False


_PUBLISH_CALL = re.compile(rb"\.flush\(\s*\w|\b(?:delay|apply_async|send_task|enqueue\w*|publish\w*)\(")


_BATCH_CONDITION = re.compile(rb"%|batch|chunk|_every\b|\blen\(\s*[\w.]+\s*\)\s*(?:>=|>|==)", re.I)


def _guarded_by_batch_size(node: Node, loop: Node) -> bool:
    for parent in scopes.ancestors(node):
        if parent.id == loop.id or parent.type in scopes.SCOPE_TYPES:
            return False
        if parent.type in ("if_statement", "elif_clause"):
            condition = parent.child_by_field_name("condition")
            if condition is not None and condition.type in ("comparison_operator", "boolean_operator") and (
                _BATCH_CONDITION.search(condition.text or b"")
            ):
                return True
    return False


def _statement_argument(node: Node) -> Node | None:
    """The SQL of `cur.execute(sql, ...)`, looking through `text(sql)`."""
    call = unwrap(node)
    root, links = chain_of(call)
    for link in links:
        if link.name in ("execute", "executescript") and link.call is not None:
            arguments = scopes.call_positional_arguments(link.call)
            if not arguments:
                return None
            statement = arguments[0]
            if statement.type == "call" and last_segment(statement) == "text":
                inner = scopes.call_positional_arguments(statement)
                return inner[0] if inner else None
            return statement
    return None


def loop_label(ctx: CheckContext, loop: Node) -> str:
    """How messages name a loop: the iterable as written, arguments elided."""
    if loop.type == "while_statement":
        return "while loop"
    _target, iterable = scopes.loop_target_and_iterable(loop)
    return short_text(iterable) if iterable is not None else "loop"


def local_function(ctx: CheckContext, call: Node) -> Node | None:
    """The `def` a call calls when it is a function of this file (`helper(x)`) or a method of the
    enclosing class (`self.helper(x)`)."""
    function = call.child_by_field_name("function")
    if function is None:
        return None
    if function.type == "identifier":
        name = text_of(function)
        if ctx.file.is_imported(name) or not may_define_function(ctx, name):
            return None
        functions = ctx.file.memo(("orm", "functions"), lambda: _functions(ctx))
        return functions.get(("", name))  # type: ignore[no-any-return]
    if function.type == "attribute":
        obj = function.child_by_field_name("object")
        attribute = function.child_by_field_name("attribute")
        if obj is None or attribute is None or text_of(obj) not in ("self", "cls"):
            return None
        owner_function = scopes.enclosing_def(call)
        owner = scopes.method_class(owner_function) if owner_function is not None else None
        if owner is None:
            return None
        name_node = owner.child_by_field_name("name")
        if not may_define_function(ctx, text_of(attribute)):
            return None
        functions = ctx.file.memo(("orm", "functions"), lambda: _functions(ctx))
        return functions.get((text_of(name_node) if name_node else "", text_of(attribute)))  # type: ignore[no-any-return]
    return None


def _functions(ctx: CheckContext) -> dict[tuple[str, str], Node]:
    found: dict[tuple[str, str], Node] = {}
    for _, match in QueryCursor(_FUNCTIONS).matches(ctx.file.root):
        owner = text_of(match["class"][0]) if "class" in match else ""
        found[(owner, text_of(match["name"][0]))] = match["function"][0]
    return found


def attribute_accesses(node: Node, name: str) -> Iterator[tuple[Node, str]]:
    """`name.<attribute>` expressions inside `node`, in source order, outside nested functions."""
    captures = QueryCursor(_ATTRIBUTE_ACCESSES).matches(node)
    found = []
    for _, match in captures:
        obj = match["object"][0]
        if obj.text is None or obj.text.decode() != name:
            continue
        access = match["access"][0]
        if _inside_nested_function(access, node):
            continue
        found.append((access, text_of(match["name"][0])))
    found.sort(key=lambda item: item[0].start_byte)
    return iter(found)


def _inside_nested_function(node: Node, stop: Node) -> bool:
    for parent in scopes.ancestors(node):
        if parent.id == stop.id:
            return False
        if parent.type == "function_definition":
            return True
    return False
