"""Navigation in the syntax tree: enclosing functions, loops, classes, decorators and parameters.

Walking up parents costs little (a handful of hops per captured node), so these run in Python;
walking *down* a whole file is left to compiled queries.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from tree_sitter import Node

FUNCTION_TYPES = frozenset({"function_definition", "lambda"})
SCOPE_TYPES = FUNCTION_TYPES | {"class_definition"}
COMPREHENSION_TYPES = frozenset(
    {"list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"}
)
STATEMENT_LOOP_TYPES = frozenset({"for_statement", "while_statement"})


# `Node.parent` re-descends from the tree's root on every call (tree-sitter keeps no parent links),
# so walking up from depth d costs O(d^2): minutes for generated code nested thousands deep. While
# the engine analyses a file (`remembering_parents`), each node's parent is looked up once. A
# remembered parent keeps its tree alive, so no other tree can reuse a remembered node id.
_PARENTS: ContextVar[dict[int, Node | None] | None] = ContextVar("reviewbot_parents", default=None)


class remembering_parents:  # lower case: used as `with remembering_parents():`, like contextlib's
    """Remember each node's parent within the block. A class, not a generator: it runs per file."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _PARENTS.set({})

    def __exit__(self, *exc_info: object) -> None:
        _PARENTS.reset(self._token)


# While the engine analyses a file (`knowing_loops`): the byte ranges its loops cover, merged
# (starts, ends). Most nodes lie outside every loop, and a bisection says so without walking up.
_LOOP_SPANS: ContextVar[tuple[list[int], list[int]] | None] = ContextVar("reviewbot_loop_spans", default=None)


class knowing_loops:  # lower case: used as `with knowing_loops(loops):`, like contextlib's
    """Within this block, `loops` are all the loops (`for`, `while`, comprehensions) of the tree
    every node asked about belongs to."""

    __slots__ = ("_spans", "_token")

    def __init__(self, loops: Iterable[Node]) -> None:
        starts: list[int] = []
        ends: list[int] = []
        for start, end in sorted((loop.start_byte, loop.end_byte) for loop in loops):
            if ends and start <= ends[-1]:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        self._spans = (starts, ends)

    def __enter__(self) -> None:
        self._token = _LOOP_SPANS.set(self._spans)

    def __exit__(self, *exc_info: object) -> None:
        _LOOP_SPANS.reset(self._token)


def may_be_in_loop(node: Node) -> bool:
    """False when no loop contains `node` (known only within `knowing_loops`; else True)."""
    spans = _LOOP_SPANS.get()
    if spans is None:
        return True
    starts, ends = spans
    index = bisect_right(starts, node.start_byte) - 1
    return index >= 0 and node.end_byte <= ends[index]


def parent_of(node: Node) -> Node | None:
    """`node.parent`, remembered while a file is analysed."""
    memo = _PARENTS.get()
    if memo is None:
        return node.parent
    key = node.id
    if key in memo:
        return memo[key]
    parent = memo[key] = node.parent
    return parent


def ancestors(node: Node) -> Iterator[Node]:
    memo = _PARENTS.get()
    if memo is None:
        parent = node.parent
        while parent is not None:
            yield parent
            parent = parent.parent
        return
    # `parent_of`, inlined: this runs for every hop of every upward walk.
    key = node.id
    while True:
        if key in memo:
            parent = memo[key]
        else:
            parent = memo[key] = node.parent
        if parent is None:
            return
        yield parent
        node = parent
        key = node.id


def contains(outer: Node, inner: Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def enclosing_function(node: Node) -> Node | None:
    """The innermost `def` or `lambda` around `node`, or None at module or class level."""
    for parent in ancestors(node):
        if parent.type in FUNCTION_TYPES:
            return parent
    return None


def enclosing_def(node: Node) -> Node | None:
    """The innermost `def` around `node` (lambdas are looked through)."""
    for parent in ancestors(node):
        if parent.type == "function_definition":
            return parent
    return None


def is_async_def(function: Node | None) -> bool:
    return (
        function is not None
        and function.type == "function_definition"
        and function.child_count > 0
        and function.children[0].type == "async"
    )


def is_async_for(loop: Node) -> bool:
    return loop.type == "for_statement" and loop.child_count > 0 and loop.children[0].type == "async"


def in_async_scope(node: Node) -> bool:
    """True when the innermost function around `node` is an `async def` (a nested sync def or a
    lambda is not async, even inside an async function)."""
    return is_async_def(enclosing_function(node))


def loop_body_and_repeated_parts(loop: Node) -> list[Node]:
    """The parts of a loop that run once per iteration."""
    if loop.type == "for_statement":
        body = loop.child_by_field_name("body")
        return [body] if body is not None else []
    if loop.type == "while_statement":
        return [n for n in (loop.child_by_field_name("condition"), loop.child_by_field_name("body")) if n]
    if loop.type in COMPREHENSION_TYPES:
        parts: list[Node] = []
        first_clause_seen = False
        for child in loop.named_children:
            if child.type == "for_in_clause" and not first_clause_seen:
                first_clause_seen = True
                continue
            parts.append(child)
        return parts
    return []


def enclosing_loops(node: Node) -> list[Node]:
    """Loops (for, async for, while, comprehensions) that repeat `node`, innermost first.

    Stops at the enclosing function: a loop around a `def` does not repeat the def's body.
    The iterable of a `for` is evaluated once, so a node in it is not inside that loop.
    """
    loops: list[Node] = []
    if not may_be_in_loop(node):
        return loops
    for parent in ancestors(node):
        if parent.type in SCOPE_TYPES:
            break
        if parent.type in STATEMENT_LOOP_TYPES or parent.type in COMPREHENSION_TYPES:
            if any(contains(part, node) for part in loop_body_and_repeated_parts(parent)):
                loops.append(parent)
    return loops


def loop_target_and_iterable(loop: Node) -> tuple[Node | None, Node | None]:
    """(target, iterable) of a `for` or of a comprehension's first `for` clause."""
    if loop.type == "for_statement":
        return loop.child_by_field_name("left"), loop.child_by_field_name("right")
    if loop.type in COMPREHENSION_TYPES:
        for child in loop.named_children:
            if child.type == "for_in_clause":
                return child.child_by_field_name("left"), child.child_by_field_name("right")
    return None, None


def bound_names(target: Node | None) -> set[str]:
    """Names bound by an assignment or loop target (`a`, `a, b`, `(a, (b, c))`, `*rest`)."""
    if target is None:
        return set()
    if target.type == "identifier":
        return {target.text.decode()}
    names: set[str] = set()
    if target.type in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "list_splat_pattern",
                       "parenthesized_expression", "expression_list"):
        for child in target.named_children:
            names |= bound_names(child)
    return names


def decorated_definition(function_or_class: Node) -> Node | None:
    parent = function_or_class.parent
    return parent if parent is not None and parent.type == "decorated_definition" else None


def decorator_expressions(function_or_class: Node) -> list[Node]:
    """The expressions after each `@` (calls included), outermost first."""
    wrapper = decorated_definition(function_or_class)
    if wrapper is None:
        return []
    return [d.named_children[0] for d in wrapper.named_children if d.type == "decorator" and d.named_children]


def parameter_names(function: Node) -> list[str]:
    parameters = function.child_by_field_name("parameters")
    if parameters is None:
        return []
    names = []
    for parameter in parameters.named_children:
        if parameter.type == "identifier":
            names.append(parameter.text.decode())
        elif parameter.type in ("typed_parameter", "default_parameter", "typed_default_parameter"):
            name = parameter.child_by_field_name("name")
            if name is None:
                name = next((c for c in parameter.named_children if c.type == "identifier"), None)
            if name is not None:
                names.append(name.text.decode())
        elif parameter.type in ("list_splat_pattern", "dictionary_splat_pattern"):
            inner = next((c for c in parameter.named_children if c.type == "identifier"), None)
            if inner is not None:
                names.append(inner.text.decode())
    return names


def parameter_annotation(function: Node, name: str) -> Node | None:
    parameters = function.child_by_field_name("parameters")
    if parameters is None:
        return None
    for parameter in parameters.named_children:
        if parameter.type in ("typed_parameter", "typed_default_parameter"):
            names = [c for c in parameter.named_children if c.type == "identifier"]
            if names and names[0].text.decode() == name:
                return parameter.child_by_field_name("type")
    return None


def function_name(function: Node) -> str:
    name = function.child_by_field_name("name")
    return name.text.decode() if name is not None else "<lambda>"


def class_bases(class_node: Node) -> list[Node]:
    superclasses = class_node.child_by_field_name("superclasses")
    if superclasses is None:
        return []
    return [c for c in superclasses.named_children if c.type in ("identifier", "attribute")]


def method_class(function: Node) -> Node | None:
    """The class whose body directly holds this `def` (decorated or not), or None."""
    node = decorated_definition(function) or function
    block = node.parent
    if block is not None and block.type == "block" and block.parent is not None:
        if block.parent.type == "class_definition":
            return block.parent
    return None


def call_keyword_arguments(call: Node) -> dict[str, Node]:
    """`name -> value` of a call's keyword arguments."""
    arguments = call.child_by_field_name("arguments")
    result: dict[str, Node] = {}
    if arguments is None:
        return result
    for argument in arguments.named_children:
        if argument.type == "keyword_argument":
            name = argument.child_by_field_name("name")
            value = argument.child_by_field_name("value")
            if name is not None and value is not None:
                result[name.text.decode()] = value
    return result


def call_positional_arguments(call: Node) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    if arguments is None or arguments.type != "argument_list":
        return [] if arguments is None else [arguments]  # a generator argument: f(x for x in y)
    return [a for a in arguments.named_children if a.type not in ("keyword_argument", "comment")]


def call_argument(call: Node, keyword: str, position: int | None = None) -> Node | None:
    """The argument passed as `keyword=`, or else at positional index `position` (when the
    signature allows passing it positionally)."""
    value = call_keyword_arguments(call).get(keyword)
    if value is not None or position is None:
        return value
    positional = call_positional_arguments(call)
    return positional[position] if len(positional) > position else None


def call_has_splat(call: Node) -> bool:
    """True when the call forwards `*args` or `**kwargs`: any keyword may be inside."""
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return False
    return any(a.type in ("list_splat", "dictionary_splat") for a in arguments.named_children)


def statement_of(node: Node) -> Node:
    """The innermost statement holding `node`."""
    current = node
    while current.parent is not None and current.parent.type not in ("block", "module"):
        current = current.parent
    return current
