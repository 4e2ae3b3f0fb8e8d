"""A parsed source file with its imports resolved, as the checks see it."""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node, QueryCursor, Tree

from reviewbot.source import scopes
from reviewbot.source.parsing import compile_query

_ASSIGNMENTS = compile_query(
    """
    (assignment left: (identifier) @name right: (_) @value) @assignment
    (augmented_assignment left: (identifier) @name right: (_) @value) @assignment
    (named_expression name: (identifier) @name value: (_) @value) @assignment
    (with_item value: (as_pattern (_) @value alias: (as_pattern_target (identifier) @name))) @assignment
    """
)

# Longer dotted names only come from generated or hostile code; resolving them would hold
# quadratic memory for a chain thousands of links long.
MAX_NAME_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class Assignment:
    name: str
    node: Node  # the whole assignment
    value: Node  # the right-hand side (without `await`)

    @property
    def line(self) -> int:
        return self.node.start_point[0] + 1


@dataclass(eq=False)
class SourceFile:
    """One file: its bytes, its tree and what its names refer to.

    `imports` maps a local name to the dotted name it was imported as: after
    `import requests as rq` and `from time import sleep as nap`, `rq -> requests` and
    `nap -> time.sleep`.
    """

    path: str
    source: bytes
    tree: Tree
    imports: dict[str, str] = field(default_factory=dict)
    path_context: str = ""  # "test", "migration", "script" or ""
    _assignments: dict[int, dict[str, list[Assignment]]] = field(default_factory=dict, repr=False)
    _cache: dict[object, object] = field(default_factory=dict, repr=False)
    _names: dict[int, str | None] = field(default_factory=dict, repr=False)  # node id -> qualname

    @property
    def root(self) -> Node:
        return self.tree.root_node

    def text(self, node: Node | None) -> str:
        if node is None:
            return ""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def line_text(self, line: int) -> str:
        """The text of a 1-based line."""
        lines = self._cache.get("lines")
        if lines is None:
            lines = self.source.decode("utf-8", "replace").splitlines()
            self._cache["lines"] = lines
        assert isinstance(lines, list)
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def memo(self, key: object, compute):  # type: ignore[no-untyped-def]
        """Per-file memo for derived facts several rules share (handler functions, model bindings)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    # --- names ---------------------------------------------------------------------------------

    def qualname(self, node: Node | None) -> str | None:
        """The dotted name an expression refers to, with imports resolved.

        `rq.get` -> `requests.get`; `nap` -> `time.sleep`; `requests.Session().get` ->
        `requests.Session().get`; `self.session.get` -> `self.session.get`. None for other shapes.
        """
        if node is None:
            return None
        names = self._names
        key = node.id
        if key in names:
            return names[key]
        # Iterative, and memoised per node: a chain `a().b().c()...` thousands of links long is
        # resolved once per link, from its inner end outwards, without recursing to its bottom.
        links: list[tuple[Node, str]] = []  # outer nodes whose name derives from the next inner one
        current = node
        while True:
            kind = current.type
            if kind == "attribute":
                inner = current.child_by_field_name("object")
            elif kind == "call":
                inner = current.child_by_field_name("function")
            elif kind == "await" or kind == "parenthesized_expression":
                children = current.named_children
                inner = children[0] if children else None
            else:
                if kind == "identifier":
                    text = current.text.decode()
                    name = self.imports.get(text, text)
                else:
                    name = None
                names[current.id] = name
                break
            links.append((current, kind))
            if inner is None:
                name = None
                break
            inner_key = inner.id
            if inner_key in names:
                name = names[inner_key]
                break
            current = inner
        for link, kind in reversed(links):
            if name is not None:
                if kind == "attribute":
                    attribute = link.child_by_field_name("attribute")
                    if attribute is None or len(name) > MAX_NAME_LENGTH:
                        name = None
                    else:
                        name = f"{name}.{attribute.text.decode()}"
                elif kind == "call":
                    name = None if len(name) > MAX_NAME_LENGTH else f"{name}()"
            names[link.id] = name
        return name

    def call_name(self, call: Node) -> str | None:
        """The resolved dotted name of the function a call calls."""
        return self.qualname(call.child_by_field_name("function"))

    def is_imported(self, name: str) -> bool:
        return name in self.imports

    def imports_module(self, module: str) -> bool:
        """Whether anything from `module` (or a submodule) is imported in this file."""
        prefix = module + "."
        return any(v == module or v.startswith(prefix) for v in self.imports.values())

    # --- assignments ---------------------------------------------------------------------------

    def assignments_in(self, scope: Node | None) -> dict[str, list[Assignment]]:
        """Name -> assignments in a function (or the module for None), in source order.

        Nested functions and classes are not looked into.
        """
        scope_node = scope if scope is not None else self.root
        cached = self._assignments.get(scope_node.id)
        if cached is not None:
            return cached
        result: dict[str, list[Assignment]] = {}
        for _, match in QueryCursor(_ASSIGNMENTS).matches(scope_node):
            names = match.get("name")
            if not names:
                continue
            node = match["assignment"][0]
            owner = scopes.enclosing_function(node)
            if (owner.id if owner is not None else None) != (scope.id if scope is not None else None):
                continue
            value = match["value"][0]
            if value.type == "await" and value.named_children:
                value = value.named_children[0]
            name = names[0].text.decode()
            result.setdefault(name, []).append(Assignment(name, node, value))
        for values in result.values():
            values.sort(key=lambda a: a.node.start_byte)
        self._assignments[scope_node.id] = result
        return result

    def binding_before(self, name: str, node: Node) -> Assignment | None:
        """The last assignment to `name` before `node` in `node`'s function (or module)."""
        scope = scopes.enclosing_function(node)
        candidates = self.assignments_in(scope).get(name, [])
        best = None
        for assignment in candidates:
            if assignment.node.start_byte < node.start_byte:
                best = assignment
        if best is None and scope is not None:
            return None
        return best
