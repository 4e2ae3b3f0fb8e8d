"""Helpers several rules share: what a receiver was built by, loop facts, handler context."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tree_sitter import Node, QueryCursor

from reviewbot.checks.registry import CheckContext
from reviewbot.source import handlers, scopes
from reviewbot.source.parsing import compile_query

_SELF_ATTRIBUTE_ASSIGNMENTS = compile_query(
    """
    (assignment
        left: (attribute object: (identifier) @object attribute: (identifier) @attribute)
        right: (_) @value)
    """
)


# Every `def` keyword, and every `def` spelled with one space and a plain ASCII name after it.
_DEF_KEYWORD = re.compile(rb"def(?<![A-Za-z0-9_]def)\b")
_PLAIN_DEF = re.compile(rb"def(?<![A-Za-z0-9_]def) ([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_\x80-\xff])")


def may_define_function(ctx: CheckContext, name: str) -> bool:
    """False only when no `def` of the file can be named `name`: two scans of the bytes that spare
    a walk of the whole tree to index the file's functions when a call cannot reach one of them.
    When every `def` is written `def <ascii name>`, those are the names the file can define;
    when one is written otherwise (two spaces, a line continuation), any name may be."""
    names = ctx.file.memo(("helpers", "def-names"), lambda: _plain_def_names(ctx.file.source))
    return names is None or name in names  # type: ignore[operator]


def _plain_def_names(source: bytes) -> frozenset[str] | None:
    names = _PLAIN_DEF.findall(source)
    if len(names) != len(_DEF_KEYWORD.findall(source)):
        return None
    return frozenset(name.decode() for name in names)


def call_of_argument(argument: Node) -> Node | None:
    """The call whose argument list holds `argument` directly, or None (a class's bases)."""
    arguments = argument.parent
    call = arguments.parent if arguments is not None and arguments.type == "argument_list" else None
    if call is None or call.type != "call" or call.child_by_field_name("arguments") != arguments:
        return None
    return call


def match_start(match: dict[str, list[Node]]) -> int:
    """Where a query match starts: the first byte of its earliest capture (the engine's order)."""
    return min([nodes[0].start_byte for nodes in match.values() if nodes])


def call_function_name(ctx: CheckContext, node: Node | None) -> str | None:
    """The resolved callee name when `node` is a call (looking through `await`), else None."""
    if node is None:
        return None
    if node.type == "await" and node.named_children:
        node = node.named_children[0]
    if node.type != "call":
        return None
    return ctx.file.call_name(node)


def receiver_value(ctx: CheckContext, receiver: Node) -> Node | None:
    """The expression a receiver was last bound to: a local or module assignment, a `with ... as`
    target, or `self.attr = ...` anywhere in the class. None when unknown."""
    if receiver.type == "identifier":
        name = receiver.text.decode()
        binding = ctx.file.binding_before(name, receiver)
        if binding is not None:
            return binding.value
        module_bindings = ctx.file.assignments_in(None).get(name)
        if module_bindings:
            return module_bindings[-1].value
        return None
    if receiver.type == "attribute":
        obj = receiver.child_by_field_name("object")
        attr = receiver.child_by_field_name("attribute")
        if obj is not None and attr is not None and obj.type == "identifier" and obj.text in (b"self", b"cls"):
            function = scopes.enclosing_def(receiver)
            owner = scopes.method_class(function) if function is not None else None
            if owner is not None:
                return self_attribute_value(ctx, owner, attr.text.decode())
    if receiver.type == "call":
        return receiver
    return None


def self_attribute_value(ctx: CheckContext, class_node: Node, attribute: str) -> Node | None:
    """The value last assigned to `self.<attribute>` in a class body's methods."""
    def compute() -> dict[str, Node]:
        values: dict[str, Node] = {}
        for _, match in QueryCursor(_SELF_ATTRIBUTE_ASSIGNMENTS).matches(class_node):
            if match["object"][0].text in (b"self", b"cls"):
                values[match["attribute"][0].text.decode()] = match["value"][0]
        return values

    values = ctx.file.memo(("self-attributes", class_node.id), compute)
    return values.get(attribute)


def receiver_is_constructed_by(ctx: CheckContext, receiver: Node, factories: Iterable[str]) -> bool:
    """Whether `receiver` holds an object built by one of `factories` (dotted names, imports
    resolved), from its binding or from a parameter annotation."""
    factory_names = frozenset(factories)
    value = receiver_value(ctx, receiver)
    if value is not None:
        if call_function_name(ctx, value) in factory_names:
            return True
    if receiver.type == "identifier":
        function = scopes.enclosing_def(receiver)
        if function is not None:
            annotation = scopes.parameter_annotation(function, receiver.text.decode())
            if annotation is not None:
                target = annotation.named_children[0] if annotation.named_children else annotation
                if ctx.file.qualname(target) in factory_names:
                    return True
        # `with requests.Session() as session:` binds through a with_item, found by binding_before
    return False


def role_of(ctx: CheckContext, node: Node) -> str:
    """'handler', 'task' or '' for the code around `node`."""
    return handlers.enclosing_role(node, ctx.file, ctx.config.handler_decorators, ctx.config.task_decorators)


def line_of(node: Node) -> int:
    return node.start_point[0] + 1
