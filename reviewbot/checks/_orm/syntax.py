"""Reading expressions: method chains, short display text, and the assignment a name was bound by.

Bindings are found by scanning a scope's bytes for `name =`, `as name` and `name :=` and confirming
each hit in the tree, which costs a text scan instead of a walk of the function.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from reviewbot.checks.registry import CheckContext
from reviewbot.source import scopes


def contains_any(source: bytes, needles: tuple[bytes, ...], start: int = 0, end: int | None = None) -> bool:
    """Whether any needle occurs in `source[start:end]` (`bytes.find` scans far faster than a
    regular expression alternation)."""
    end = len(source) if end is None else end
    return any(source.find(needle, start, end) >= 0 for needle in needles)


@dataclass(frozen=True, slots=True)
class Link:
    """One step of a method chain: `.filter(...)` (call set), `.objects` (no call) or `[...]`."""

    name: str  # the attribute name, or "[]" for a subscript
    node: Node  # the expression ending with this step
    call: Node | None = None  # the call node when the step is a method call


def function_of(ctx: CheckContext, node: Node) -> Node | None:
    """`scopes.enclosing_function`, remembered per node for the file."""
    return ctx.file.memo(("orm", "function-of", node.id), lambda: scopes.enclosing_function(node))  # type: ignore[no-any-return]


def unwrap(node: Node) -> Node:
    """Look through `await` and parentheses."""
    for _ in range(8):
        if node.type in ("await", "parenthesized_expression") and node.named_children:
            node = node.named_children[0]
        else:
            break
    return node


def chain_of(node: Node) -> tuple[Node, list[Link]]:
    """`Order.objects.filter(x).first()` -> (`Order`, [objects, filter(...), first()])."""
    links: list[Link] = []
    current = unwrap(node)
    for _ in range(64):
        if current.type == "call":
            function = current.child_by_field_name("function")
            if function is None or function.type != "attribute":
                break
            attribute = function.child_by_field_name("attribute")
            obj = function.child_by_field_name("object")
            if attribute is None or obj is None:
                break
            links.append(Link(text_of(attribute), current, current))
            current = unwrap(obj)
        elif current.type == "attribute":
            attribute = current.child_by_field_name("attribute")
            obj = current.child_by_field_name("object")
            if attribute is None or obj is None:
                break
            links.append(Link(text_of(attribute), current))
            current = unwrap(obj)
        elif current.type == "subscript":
            value = current.child_by_field_name("value")
            if value is None:
                break
            links.append(Link("[]", current))
            current = unwrap(value)
        else:
            break
    links.reverse()
    return current, links


def binding_before(ctx: CheckContext, name: str, node: Node) -> tuple[Node, Node] | None:
    """(assignment, value) of the last assignment to `name` that ends before `node`, in `node`'s
    function (or at module level for module code). Unlike `SourceFile.binding_before`, the
    assignment holding `node` (`qs = qs.filter(...)`) is not its own binding.

    Candidates are found with a regular expression over the function's bytes and confirmed in
    the tree, so a lookup costs a text scan, not a walk of the function."""
    scope = function_of(ctx, node)
    start = scope.start_byte if scope is not None else 0
    best = None
    for assignment, value, target in _assignments_of(ctx, name, start, node.start_byte):
        if assignment.end_byte > node.start_byte:
            continue
        owner = function_of(ctx, target)
        if (owner.id if owner is not None else None) != (scope.id if scope is not None else None):
            continue
        best = (assignment, value)
    return best


def module_binding(ctx: CheckContext, name: str) -> tuple[Node, Node] | None:
    """The last module-level assignment to `name` (`NAME = ...` at column 0), anywhere in the file."""
    best = None
    for start, end in _module_binding_offsets(ctx).get(name.encode(), ()):
        found = _assignment_at(ctx, start, end)
        if found is not None and found[0].parent is not None and found[0].parent.type == "expression_statement":
            best = (found[0], found[1])
    return best


def _assignments_of(ctx: CheckContext, name: str, start: int, end: int) -> Iterator[tuple[Node, Node, Node]]:
    """(assignment, value, target) for each binding of `name` between `start` (the start of the
    scope) and `end`."""
    for target_start, target_end in _binding_offsets(ctx, start).get(name.encode(), ()):
        if target_start >= end:
            break
        found = _assignment_at(ctx, target_start, target_end)
        if found is not None:
            yield found


_STATEMENT_ASSIGNMENT = re.compile(rb"(?m)^[ \t]*([A-Za-z_]\w*)[ \t]*(?:=(?!=)|[-+*/%&|^@]=|:[^=\n]*=(?!=))")


_MODULE_ASSIGNMENT = re.compile(rb"(?m)^([A-Za-z_]\w*)[ \t]*(?:=(?!=)|:[^=\n]*=(?!=))")


_WITH_TARGET = re.compile(rb" as[ \t]+([A-Za-z_]\w*)")


_WALRUS = re.compile(rb":=")


_NAME_BEFORE = re.compile(rb"([A-Za-z_]\w*)[ \t]*$")


def _binding_offsets(ctx: CheckContext, start: int) -> dict[bytes, list[tuple[int, int]]]:
    """Name -> byte spans of the places that may bind it in the scope starting at `start`
    (`name = ...` at the start of a line, `as name`, `name :=`): three scans of the scope's
    bytes, confirmed in the tree on lookup."""
    def compute() -> dict[bytes, list[tuple[int, int]]]:
        source = ctx.file.source
        scope = ctx.file.root.descendant_for_byte_range(start, start) if start else None
        while scope is not None and scope.start_byte == start and scope.type not in scopes.FUNCTION_TYPES:
            scope = scope.parent
        end = scope.end_byte if scope is not None and scope.start_byte == start else len(source)
        found: dict[bytes, list[tuple[int, int]]] = {}
        for pattern in (_STATEMENT_ASSIGNMENT, _WITH_TARGET):
            for match in pattern.finditer(source, start, end):
                found.setdefault(match.group(1), []).append((match.start(1), match.end(1)))
        for match in _WALRUS.finditer(source, start, end):  # `(name := value)`: the name just before `:=`
            before = _NAME_BEFORE.search(source, max(start, match.start() - 80), match.start())
            if before is not None:
                found.setdefault(before.group(1), []).append((before.start(1), before.end(1)))
        for spans in found.values():
            spans.sort()
        return found

    return ctx.file.memo(("orm", "binding-offsets", start), compute)  # type: ignore[no-any-return]


def _module_binding_offsets(ctx: CheckContext) -> dict[bytes, list[tuple[int, int]]]:
    def compute() -> dict[bytes, list[tuple[int, int]]]:
        found: dict[bytes, list[tuple[int, int]]] = {}
        for match in _MODULE_ASSIGNMENT.finditer(ctx.file.source):
            found.setdefault(match.group(1), []).append((match.start(1), match.end(1)))
        return found

    return ctx.file.memo(("orm", "module-binding-offsets"), compute)  # type: ignore[no-any-return]


def _assignment_at(ctx: CheckContext, start: int, end: int) -> tuple[Node, Node, Node] | None:
    target = ctx.file.root.descendant_for_byte_range(start, end)
    if target is None or target.type != "identifier" or target.start_byte != start or target.end_byte != end:
        return None
    parent = target.parent
    if parent is None:
        return None
    if parent.type in ("assignment", "augmented_assignment") and parent.child_by_field_name("left") == target:
        value = parent.child_by_field_name("right")
    elif parent.type == "named_expression" and parent.child_by_field_name("name") == target:
        value = parent.child_by_field_name("value")
    elif parent.type == "as_pattern_target" and parent.parent is not None and parent.parent.type == "as_pattern":
        pattern = parent.parent
        if pattern.parent is None or pattern.parent.type != "with_item":
            return None
        value = pattern.named_children[0] if pattern.named_children else None
        parent = pattern.parent
    else:
        return None
    if value is None:
        return None
    if value.type == "await" and value.named_children:
        value = value.named_children[0]
    return parent, value, target


def short_text(node: Node | None, limit: int = 60) -> str:
    """An expression as written with call arguments elided: `Order.objects.filter(...).first()`."""
    if node is None:
        return ""
    text = _short(node, 0)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(node: Node, depth: int) -> str:
    if depth > 40:
        return "…"
    kind = node.type
    if kind == "call":
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        inner = "..." if arguments is not None and arguments.named_child_count else ""
        if arguments is not None and arguments.type == "generator_expression":
            inner = "..."
        elif (function is not None and function.type == "identifier" and arguments is not None
              and arguments.named_child_count == 1
              and arguments.named_children[0].type in ("identifier", "attribute", "call", "await")):
            inner = _short(arguments.named_children[0], depth + 1)  # `len(list(db.orders.find(...)))`
        return f"{_short(function, depth + 1) if function is not None else '?'}({inner})"
    if kind in ("comparison_operator", "boolean_operator", "binary_operator"):
        return " ".join(_short(c, depth + 1) if c.is_named else text_of(c) for c in node.children)
    if kind == "attribute":
        obj = node.child_by_field_name("object")
        attribute = node.child_by_field_name("attribute")
        return f"{_short(obj, depth + 1) if obj is not None else '?'}.{text_of(attribute) if attribute else '?'}"
    if kind == "subscript":
        value = node.child_by_field_name("value")
        subscript = node.child_by_field_name("subscript")
        inside = text_of(subscript) if subscript is not None and len(text_of(subscript)) <= 12 else "..."
        return f"{_short(value, depth + 1) if value is not None else '?'}[{inside}]"
    if kind == "await" and node.named_children:
        return f"await {_short(node.named_children[0], depth + 1)}"
    if kind == "parenthesized_expression" and node.named_children:
        return f"({_short(node.named_children[0], depth + 1)})"
    return " ".join(text_of(node).split())


def last_segment(node: Node) -> str:
    if node.type == "attribute":
        attribute = node.child_by_field_name("attribute")
        return text_of(attribute) if attribute is not None else ""
    if node.type == "call":
        function = node.child_by_field_name("function")
        return last_segment(function) if function is not None else ""
    return text_of(node).rsplit(".", 1)[-1]


def text_of(node: Node | None) -> str:
    """The source text of a node ("" for None)."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")

