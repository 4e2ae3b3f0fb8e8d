"""Query expressions as the pagination rules see them.

A query is read as a *chain*: a root (`Order`, `session`, `db.orders`) and the attribute, call and
subscript links applied to it (`.objects`, `.filter(...)`, `[:50]`). Local names are followed back to
the expression they were bound to, so `qs = Order.objects.all(); qs = qs.filter(...)` reads as one
chain. Everything here walks *up* from captured nodes or along one expression; nothing walks a file.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from tree_sitter import Node

from reviewbot.checks.registry import CheckContext
from reviewbot.source import handlers, scopes

DJANGO = "django"
SQLALCHEMY = "sqlalchemy"
SQLALCHEMY_RESULT = "sqlalchemy-result"
PEEWEE = "peewee"
MONGO = "mongo"
TORTOISE = "tortoise"
ORMAR = "ormar"

# Django queryset methods that return another queryset (still lazy, still unbounded).
DJANGO_QUERYSET_METHODS = frozenset(
    {"all", "filter", "exclude", "order_by", "select_related", "prefetch_related", "annotate", "values",
     "values_list", "distinct", "only", "defer", "using", "reverse", "alias", "union", "select_for_update",
     "extra", "prefetch"}
)
TORTOISE_METHODS = frozenset({"all", "filter", "exclude", "order_by", "annotate", "prefetch_related",
                              "select_related", "values", "values_list", "distinct", "only"})
# Links after which a query no longer returns every row: a limit, a page, one row, a number, a stream.
BOUNDING_CALLS = frozenset(
    {"limit", "paginate", "offset", "slice", "first", "one", "one_or_none", "scalar", "scalar_one",
     "scalar_one_or_none", "get", "get_or_none", "get_or_404", "first_or_404", "one_or_404", "exists", "count",
     "aggregate", "earliest", "latest", "last", "in_bulk", "iterator", "yield_per", "fetchmany", "fetchone",
     "update", "delete", "none", "stream", "stream_scalars", "aiterator", "afirst", "alast", "aget", "acount",
     "aexists", "aaggregate", "aearliest", "alatest", "ain_bulk", "get_or_create", "create", "group_by",
     "find_one", "count_documents", "estimated_document_count", "first_or_none", "get_page", "page",
     "partitions", "execution_options"}
)
# Filters on keys that are unique in practically every schema: one row, or one per requested key.
UNIQUE_KEYWORDS = frozenset({"pk", "id", "uuid", "slug", "email", "username", "pk__in", "id__in", "uuid__in",
                             "slug__in", "name__in", "code__in", "key__in", "email__in", "username__in",
                             "pk__exact", "id__exact", "email__iexact", "username__iexact", "_id"})
# `.in_(names)` on a natural key (`Tag.name`, `Country.code`): at most one row per requested value.
_UNIQUE_COMPARISON = re.compile(r"\.(?:id|pk|uuid|email|username)\s*(?:==|<<)|"
                                r"\.(?:id|pk|uuid|slug|name|code|key|email|username)\.in_\(|"
                                r"[\"']_id[\"']\s*:")
_CAPITALIZED = re.compile(r"^_?[A-Z]\w*$")
_MONGO_RECEIVER = re.compile(r"(?i)(?:^|[.\[\"'])(?:db|mongo\w*|\w*coll\w*|database|\w*_db)(?:$|[.\]\"'])|\[[\"']")
_FILTER_CALLS = frozenset({"filter", "filter_by", "where", "find", "get", "exclude"})


class FunctionIndex:
    """The `def`s of a file by byte range, to find the function around a node without walking up
    the tree (in tree-sitter each step to a parent restarts from the root)."""

    def __init__(self, functions: list[Node]) -> None:
        unique = {(f.start_byte, f.end_byte): f for f in functions}
        ordered = sorted(unique.values(), key=lambda f: (f.start_byte, -f.end_byte))
        self.nodes = ordered
        self.starts = [f.start_byte for f in ordered]
        self.parents: list[int] = []
        stack: list[int] = []
        for index, function in enumerate(ordered):
            while stack and ordered[stack[-1]].end_byte < function.end_byte:
                stack.pop()
            self.parents.append(stack[-1] if stack else -1)
            stack.append(index)

    def enclosing(self, node: Node) -> list[Node]:
        """The `def`s containing `node`, innermost first."""
        index = bisect_right(self.starts, node.start_byte) - 1
        found = []
        while index >= 0:
            function = self.nodes[index]
            if function.start_byte <= node.start_byte and node.end_byte <= function.end_byte and (
                    function.id != node.id):
                found.append(function)
            index = self.parents[index]
        return found


def role_at(ctx: CheckContext, index: FunctionIndex, node: Node) -> str:
    """Like `helpers.role_of`: the role of the innermost `def` around `node` that has one."""
    for function in index.enclosing(node):
        role = handlers.function_role(function, ctx.file, ctx.config.handler_decorators,
                                      ctx.config.task_decorators)
        if role:
            return role
    return ""


@dataclass(frozen=True, slots=True)
class Link:
    name: str  # attribute or method name; "[]" for a subscript
    node: Node  # the call, attribute or subscript node
    kind: str  # "call", "attribute" or "subscript"


@dataclass(frozen=True)
class Chain:
    root: Node  # identifier, a call of a plain name (`select(User)`), or any other expression
    links: tuple[Link, ...]  # from the root outwards
    origin: Node  # the innermost expression followed (a local name's value, or the expression itself)
    awaited: bool  # the expression itself was awaited
    link_origins: tuple[Node, ...] = ()  # for each link, the expression (or local value) it is written in

    def origin_of(self, index: int) -> Node:
        """The expression that spells the link `index`: where a query starting there is written."""
        if 0 <= index < len(self.link_origins):
            return self.link_origins[index]
        return self.origin

    def call_names(self) -> list[str]:
        return [link.name for link in self.links if link.kind == "call"]

    def index_of(self, name: str, kind: str | None = None) -> int:
        for index, link in enumerate(self.links):
            if link.name == name and (kind is None or link.kind == kind):
                return index
        return -1


def unwrap(node: Node) -> Node:
    """`(x)` -> `x`; `await x` -> `x`."""
    while node.type in ("parenthesized_expression", "await") and node.named_children:
        node = node.named_children[0]
    return node


def local_value(ctx: CheckContext, identifier: Node) -> Node | None:
    """The value the local name was last assigned before `identifier`, in the same function."""
    function = scopes.enclosing_function(identifier)
    if function is None:
        return None
    name = identifier.text.decode()
    best = None
    for assignment in ctx.file.assignments_in(function).get(name, ()):
        if assignment.node.end_byte <= identifier.start_byte:
            best = assignment
    if best is None or best.node.type == "augmented_assignment":
        return None
    return best.value


def chain_of(ctx: CheckContext, expression: Node, depth: int = 5) -> Chain:
    """The chain an expression is built from, following local names back to their values."""
    links: list[Link] = []
    node = expression
    awaited = False
    while True:
        kind = node.type
        if kind == "await" and node.named_children:
            if not links:
                awaited = True
            node = node.named_children[0]
        elif kind == "parenthesized_expression" and node.named_children:
            node = node.named_children[0]
        elif kind == "call":
            function = node.child_by_field_name("function")
            if function is None or function.type != "attribute":
                break
            attribute = function.child_by_field_name("attribute")
            links.append(Link(attribute.text.decode() if attribute is not None else "", node, "call"))
            node = function.child_by_field_name("object") or function
            if node is function:
                break
        elif kind == "attribute":
            attribute = node.child_by_field_name("attribute")
            obj = node.child_by_field_name("object")
            if obj is None:
                break
            links.append(Link(attribute.text.decode() if attribute is not None else "", node, "attribute"))
            node = obj
        elif kind == "subscript":
            value = node.child_by_field_name("value")
            if value is None:
                break
            links.append(Link("[]", node, "subscript"))
            node = value
        else:
            break
    links.reverse()
    if node.type == "identifier" and depth > 0:
        value = local_value(ctx, node)
        if value is not None:
            inner = chain_of(ctx, value, depth - 1)
            return Chain(inner.root, inner.links + tuple(links), inner.origin, awaited,
                         inner.link_origins + (expression,) * len(links))
    return Chain(node, tuple(links), expression, awaited, (expression,) * len(links))


def root_name(chain: Chain) -> str:
    return chain.root.text.decode() if chain.root.type == "identifier" else ""


def is_model_name(name: str) -> bool:
    return bool(_CAPITALIZED.match(name)) and not name.isupper()


def plain_call_name(ctx: CheckContext, node: Node) -> str:
    """The resolved name of a call of a plain name (`select(User)` -> `sqlalchemy.select`)."""
    if node.type != "call":
        return ""
    return ctx.file.call_name(node) or ""


@dataclass(frozen=True)
class Query:
    kind: str
    chain: Chain
    start: int  # index of the link where the query begins; links before it build the receiver


def query_of(ctx: CheckContext, chain: Chain) -> Query | None:
    """Which ORM or driver a chain queries, or None when it is not recognisably a query."""
    links = chain.links
    if not links:
        return None
    root = root_name(chain)
    objects_at = chain.index_of("objects")
    if objects_at >= 0:
        if not _only_calls_after(chain, objects_at):
            return None  # `Order.objects.get(pk=1).customer`, `Order.objects.model`: no longer a queryset
        if any(_returns_one_object(link.name) for link in links[objects_at + 1:] if link.kind == "call"):
            return None  # `ContentType.objects.get_for_id(cid)`: a manager method returning one object
        if _names_configuration(root):
            return None
        if chain.awaited and links[-1].name == "all" and links[-1].kind == "call":
            return Query(ORMAR, chain, objects_at)
        return Query(DJANGO, chain, objects_at)
    first = links[0]
    if root in ("self", "cls") or _is_super_call(chain.root):
        if first.name in ("get_queryset", "filter_queryset") and first.kind == "call" and _only_calls_after(
                chain, 0):
            return Query(DJANGO, chain, 0)
        if first.name == "queryset" and first.kind == "attribute" and _only_calls_after(chain, 0):
            return Query(DJANGO, chain, 0)
    user_collection = _user_collection_start(chain)
    if user_collection >= 0 and _only_calls_after(chain, user_collection):
        if _names_configuration(links[user_collection].name):
            return None  # `request.user.settings.all()`: one user's preferences
        return Query(DJANGO, chain, user_collection)
    for index, link in enumerate(links):
        if link.kind != "call":
            continue
        if link.name == "query" and _has_model_argument(link.node):
            if _names_configuration(first_argument(link.node).text.decode().split(".", 1)[0]):
                return None
            return Query(SQLALCHEMY, chain, index)
        if link.name in ("scalars", "execute", "exec") and is_select_expression(ctx, first_argument(link.node)):
            return Query(SQLALCHEMY_RESULT, chain, index)
        if link.name in ("find", "find_all", "find_many") and _is_mongo_receiver(ctx, chain, index):
            return Query(MONGO, chain, index)
    if is_model_name(root):
        if _names_configuration(root):
            return None
        if first.name == "query" and first.kind == "attribute":
            return Query(SQLALCHEMY, chain, 0)
        if first.kind == "call" and first.name == "select":
            return Query(PEEWEE, chain, 0)
        if first.kind == "call" and first.name in TORTOISE_METHODS:
            return Query(TORTOISE, chain, 0)
    return None


def _returns_one_object(method: str) -> bool:
    return method.startswith(("get_", "create_")) and method not in ("get_queryset", "get_query_set")


# Configuration tables hold a handful of rows an administrator made; listing them all is the point.
_CONFIGURATION_WORDS = frozenset({"config", "configs", "configuration", "configurations", "conf", "setting",
                                  "settings", "preference", "preferences"})
_NAME_WORDS = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def _names_configuration(model: str) -> bool:
    """`SystemSettings`, `SLA_Configuration`, `GITHUB_Conf`, `SettingsGroup`."""
    return any(word.lower() in _CONFIGURATION_WORDS for word in _NAME_WORDS.split(model) if word)


def _only_calls_after(chain: Chain, start: int) -> bool:
    """After the link `start`, only method calls and subscripts: an attribute read (`.model`,
    `._meta`, `.query`) means the chain is about something other than the rows."""
    return all(link.kind != "attribute" for link in chain.links[start + 1:])


def first_argument(call: Node) -> Node | None:
    positional = scopes.call_positional_arguments(call)
    return positional[0] if positional else None


def is_select_expression(ctx: CheckContext, node: Node | None, depth: int = 3) -> bool:
    """`select(User)...`, `db.select(User)`, `users.select()`, or a local name bound to one."""
    if node is None:
        return False
    node = unwrap(node)
    if node.type == "identifier" and depth > 0:
        value = local_value(ctx, node)
        return value is not None and is_select_expression(ctx, value, depth - 1)
    chain = chain_of(ctx, node, 0)
    if chain.root.type == "call":
        name = plain_call_name(ctx, chain.root)
        if name == "select" or name.endswith(".select"):
            return True
    return any(link.name == "select" and link.kind == "call" for link in chain.links) or (
        chain.root.type == "call" and _call_name_is_select(chain.root)
    )


def _call_name_is_select(call: Node) -> bool:
    function = call.child_by_field_name("function")
    return function is not None and function.text.decode().split(".")[-1] == "select"


def select_chain(ctx: CheckContext, chain: Chain) -> Chain | None:
    """The chain of the `select(...)` statement a result chain executes, if any."""
    for link in chain.links:
        if link.kind == "call" and link.name in ("scalars", "execute", "exec", "fetch_all", "stream_scalars"):
            argument = first_argument(link.node)
            if argument is not None and is_select_expression(ctx, argument):
                return chain_of(ctx, argument)
    return None


def _is_super_call(node: Node) -> bool:
    if node.type != "call":
        return False
    function = node.child_by_field_name("function")
    return function is not None and function.text == b"super"


def _user_collection_start(chain: Chain) -> int:
    """`request.user.orders.all()`, `self.request.user.order_set.filter(...)`: a user's rows.
    The index of the relation link, or -1."""
    names = [link.name for link in chain.links]
    root = root_name(chain)
    if root == "request" and names[:1] == ["user"]:
        start = 1
    elif root == "self" and names[:2] == ["request", "user"]:
        start = 2
    else:
        return -1
    rest = chain.links[start:]
    if (len(rest) >= 2 and rest[0].kind == "attribute" and rest[1].kind == "call"
            and rest[1].name in DJANGO_QUERYSET_METHODS):
        return start
    return -1


def _has_model_argument(call: Node) -> bool:
    argument = first_argument(call)
    if argument is None:
        return False
    while argument.type == "attribute":
        obj = argument.child_by_field_name("object")
        if obj is None:
            return False
        argument = obj
    return argument.type == "identifier" and is_model_name(argument.text.decode())


def _is_mongo_receiver(ctx: CheckContext, chain: Chain, find_index: int) -> bool:
    if find_index == 0:
        receiver_text = chain.root.text.decode()
    else:
        receiver_text = chain.links[find_index - 1].node.text.decode()
    if _MONGO_RECEIVER.search(receiver_text):
        return True
    if find_index == 0 and is_model_name(root_name(chain)):
        return ctx.file.imports_module("beanie") or ctx.file.imports_module("odmantic")
    return any(ctx.file.imports_module(m) for m in ("pymongo", "motor", "beanie"))


def is_bounded(ctx: CheckContext, chain: Chain, start: int = 0) -> bool:
    """Whether something in the chain (from the link `start` on) limits the rows: a slice,
    `limit`, a page, one row, an aggregate, a stream, or a filter on a unique key."""
    names: list[str] = []
    for link in chain.links[start:]:
        if link.kind == "subscript":
            return True
        if link.kind != "call":
            continue
        if link.name in BOUNDING_CALLS:
            return True
        if link.name in _FILTER_CALLS and _filters_unique_key(link.node, link.name == "find"):
            return True
        if link.name == "values_list" and "flat" in scopes.call_keyword_arguments(link.node):
            return True
        if link.name == "annotate" and "values" in names:
            return True  # values(...).annotate(...) is a GROUP BY: one row per group
        if link.name in ("query", "select") and _selects_aggregate(link.node):
            return True
        names.append(link.name)
    if chain.root.type == "call" and _call_name_is_select(chain.root) and (
        _selects_aggregate(chain.root) or _filters_unique_key(chain.root)
    ):
        return True
    inner = select_chain(ctx, chain)
    return inner is not None and inner is not chain and is_bounded(ctx, inner)


def _filters_unique_key(call: Node, first_only: bool = False) -> bool:
    """A filter on a primary or unique key. With `first_only` (a Mongo `find(filter, projection)`)
    only the first argument is a filter."""
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return False
    keywords = scopes.call_keyword_arguments(call)
    if UNIQUE_KEYWORDS & keywords.keys():
        return True
    if any(name.endswith("__in") and _is_admin_selection(call, value) for name, value in keywords.items()):
        return True  # `filter(user__in=queryset)` in an admin action: bounded by the selected rows
    if first_only:
        first = first_argument(call)
        return first is not None and bool(_UNIQUE_COMPARISON.search(first.text.decode()))
    return bool(_UNIQUE_COMPARISON.search(arguments.text.decode()))


def _is_admin_selection(call: Node, value: Node) -> bool:
    """The `queryset` parameter of a Django admin action: the rows an administrator ticked."""
    if value.type != "identifier" or value.text != b"queryset":
        return False
    function = scopes.enclosing_function(call)
    return function is not None and "queryset" in scopes.parameter_names(function)


def _selects_aggregate(call: Node) -> bool:
    arguments = call.child_by_field_name("arguments")
    return arguments is not None and "func." in arguments.text.decode()


def outermost_chain_expression(node: Node) -> Node:
    """From a call in a chain, climb to the whole chain: `Order.objects.filter(...)` inside
    `Order.objects.filter(...).order_by(...)[:5]` -> the whole expression."""
    current = node
    while current.parent is not None:
        parent = current.parent
        if parent.type == "attribute" and parent.child_by_field_name("object") == current:
            grand = parent.parent
            if grand is not None and grand.type == "call" and grand.child_by_field_name("function") == parent:
                current = grand
            else:
                current = parent
        elif parent.type == "subscript" and parent.child_by_field_name("value") == current:
            current = parent
        elif parent.type == "parenthesized_expression":
            current = parent
        else:
            break
    return current


def short_code(node: Node, limit: int = 60) -> str:
    """The expression as written, on one line; long argument lists become `(...)`."""
    text = " ".join(node.text.decode("utf-8", "replace").split())
    if len(text) <= limit:
        return text
    return _abbreviated(node)


def _abbreviated(node: Node) -> str:
    kind = node.type
    if kind == "call":
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        inner = _abbreviated(function) if function is not None else ""
        argument_text = " ".join(arguments.text.decode().split()) if arguments is not None else "()"
        if len(argument_text) <= 24:
            return inner + argument_text
        return inner + _abbreviated_arguments(arguments)
    if kind == "attribute":
        obj = node.child_by_field_name("object")
        attribute = node.child_by_field_name("attribute")
        return f"{_abbreviated(obj) if obj is not None else ''}.{attribute.text.decode() if attribute else ''}"
    if kind == "subscript":
        value = node.child_by_field_name("value")
        return f"{_abbreviated(value) if value is not None else ''}[...]"
    if kind == "await" and node.named_children:
        return "await " + _abbreviated(node.named_children[0])
    if kind == "parenthesized_expression" and node.named_children:
        return f"({_abbreviated(node.named_children[0])})"
    if kind == "binary_operator":
        left = node.child_by_field_name("left")
        operator = node.child_by_field_name("operator")
        right = node.child_by_field_name("right")
        if left is not None and operator is not None and right is not None:
            return f"{_abbreviated(left)} {operator.text.decode()} {_abbreviated(right)}"
    text = " ".join(node.text.decode("utf-8", "replace").split())
    return text if len(text) <= 30 else text[:27] + "..."


def _abbreviated_arguments(arguments: Node | None) -> str:
    """`("/static", StaticFiles(directory=...), name="static")` -> `("/static", StaticFiles(...), ...)`:
    short positional arguments stay, the rest become `...`."""
    if arguments is None:
        return "()"
    parts: list[str] = []
    for argument in arguments.named_children:
        text = " ".join(argument.text.decode("utf-8", "replace").split())
        if argument.type in ("string", "identifier", "attribute", "integer") and len(text) <= 24:
            parts.append(text)
        elif argument.type == "call" and argument.child_by_field_name("function") is not None:
            function = " ".join(argument.child_by_field_name("function").text.decode().split())
            inner_arguments = argument.child_by_field_name("arguments")
            empty = inner_arguments is None or not inner_arguments.named_children
            if len(function) > 24:
                parts.append("...")
            else:
                parts.append(function + ("()" if empty else "(...)"))
        else:
            parts.append("...")
        if parts[-1] == "..." or len(parts) == 3:
            break
    while len(parts) > 1 and len(", ".join(parts)) > 36:
        parts.pop()
        if parts[-1] != "...":
            parts.append("...")
            if len(", ".join(parts)) > 36 and len(parts) > 1:
                parts.pop()
                parts[-1] = "..."
    if len(parts) < len(arguments.named_children) and parts[-1] != "...":
        parts.append("...")
    return f"({', '.join(parts)})"


# --- SQL text --------------------------------------------------------------------------------------

_SQL_START = re.compile(r"^\(?\s*(?:WITH\b.*?\bSELECT|SELECT)\b", re.S)
_SQL_LIMITED = re.compile(r"\bLIMIT\b|\bFETCH\s+(?:FIRST|NEXT)\b|\bTOP\s*\(?\s*\d|\bOFFSET\b|\bROWNUM\b")
_SQL_BY_KEY = re.compile(
    r"\bWHERE\b.*?(?<![\w.])(?:\w+\.)?(?:ID|PK|UUID)\s*(?:=\s*(?:%S|%\(\w+\)S|\$\d+|\?|:\w+|\d+|'[^']*'|\{)"
    r"|IN\s*\(|=\s*ANY\b)",
    re.S,
)
_SQL_AGGREGATE = re.compile(r"\b(?:COUNT|SUM|AVG|MIN|MAX|EXISTS|BOOL_OR|BOOL_AND|ARRAY_AGG|STRING_AGG|JSON_AGG)\s*\(")
_SQL_TEXT_WRAPPERS = ("text", "SQL", "literal_column")


def sql_text(ctx: CheckContext, node: Node | None, depth: int = 3) -> str | None:
    """The SQL a string expression holds: literals, implicit concatenation, `+`, f-strings
    (interpolations become `{}`), `text("...")`/`sql.SQL("...")`, and names bound to those."""
    if node is None or depth < 0:
        return None
    kind = node.type
    if kind == "string":
        parts = []
        for child in node.named_children:
            if child.type == "string_content":
                parts.append(child.text.decode("utf-8", "replace"))
            elif child.type == "interpolation":
                parts.append("{}")
        return "".join(parts)
    if kind == "concatenated_string":
        texts = [sql_text(ctx, child, depth) for child in node.named_children]
        return "".join(t for t in texts if t is not None)
    if kind == "parenthesized_expression" and node.named_children:
        return sql_text(ctx, node.named_children[0], depth)
    if kind == "binary_operator":
        left = sql_text(ctx, node.child_by_field_name("left"), depth)
        operator = node.child_by_field_name("operator")
        if operator is not None and operator.type == "%":
            return left
        right = sql_text(ctx, node.child_by_field_name("right"), depth)
        return None if left is None or right is None else left + right
    if kind == "identifier":
        value = local_value(ctx, node)
        if value is None:
            module = ctx.file.assignments_in(None).get(node.text.decode())
            value = module[-1].value if module else None
        return sql_text(ctx, value, depth - 1) if value is not None else None
    if kind == "call":
        function = node.child_by_field_name("function")
        if function is None:
            return None
        if function.type == "attribute":
            attribute = function.child_by_field_name("attribute")
            if attribute is not None and attribute.text == b"format":
                return sql_text(ctx, function.child_by_field_name("object"), depth)
        name = function.text.decode().rsplit(".", 1)[-1]
        if name in _SQL_TEXT_WRAPPERS:
            return sql_text(ctx, first_argument(node), depth)
    return None


def sql_reads_every_row(sql: str) -> bool:
    """A SELECT with a FROM, no LIMIT, not by primary key, not an aggregate or GROUP BY."""
    text = " ".join(sql.split()).upper()
    if not _SQL_START.match(text) or " FROM " not in f" {text} ":
        return False
    if _SQL_LIMITED.search(text) or _SQL_BY_KEY.search(text) or "GROUP BY" in text:
        return False
    select_list = text.split(" FROM ", 1)[0]
    return not _SQL_AGGREGATE.search(select_list)


def short_sql(sql: str, limit: int = 60) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
