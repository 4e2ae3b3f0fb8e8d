"""RB501: request handlers that load every row of a query."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from tree_sitter import Node

from reviewbot.checks import _pagination as q
from reviewbot.checks.helpers import call_of_argument, match_start
from reviewbot.checks.registry import CheckContext, Match, Report, Rule
from reviewbot.findings import Principle, Severity
from reviewbot.source import scopes

HOW_TO_PAGINATE = {
    q.DJANGO: "`Paginator`, a slice such as `[:50]`, or keyset pagination",
    "drf": "`self.paginate_queryset()` and `self.get_paginated_response()`, as the default `list()` does",
    q.SQLALCHEMY: "`.limit()`/`.offset()`, `.paginate()`, or keyset pagination",
    q.SQLALCHEMY_RESULT: "`.limit()` on the select, or keyset pagination",
    q.PEEWEE: "`.paginate(page, per_page)` or `.limit()`",
    q.MONGO: "`.limit()` with a page size, or a range query on `_id`",
    q.TORTOISE: "`.limit()`/`.offset()`, or keyset pagination",
    q.ORMAR: "`.paginate()` or `.limit()`",
}
# Query kinds that stay lazy until something iterates them.
LAZY_KINDS = frozenset({q.DJANGO, q.PEEWEE, q.SQLALCHEMY, q.SQLALCHEMY_RESULT, q.MONGO})
# Calls that materialise an SQLAlchemy query or result; reported where they are called.
SQLALCHEMY_MATERIALIZERS = frozenset({"all", "fetchall"})
SINK_SPAN_LINES = 10
# Calls on an executed result that only unwrap rows: `result.scalars().unique().all()`.
RESULT_UNWRAPPERS = frozenset({"scalars", "unique", "mappings", "tuples", "all", "fetchall"})
ITERATING_BUILTINS = frozenset({"list", "tuple", "sorted"})
GENERATOR_CONSUMERS = frozenset({"list", "tuple", "sorted", "set", "dict", "join"})
RENDER_CALLS = frozenset({"render", "render_template", "TemplateResponse", "render_to_response",
                          "render_to_string"})
SQL_FETCHERS = frozenset({"fetch", "fetch_all", "execute_fetchall", "read_sql", "read_sql_query"})
CURSOR_HELPERS = frozenset({"dictfetchall", "namedtuplefetchall"})
NOT_SCHEMAS = ("json.", "yaml.", "pickle.", "marshal.", "toml.", "tomli_w.", "orjson.", "ujson.", "simplejson.")
# A loop body that builds something from each row (a list, a dict, a CSV, a response body).
_BUILDS_RESULT = re.compile(r"\.(?:append|extend|add|writerow|writerows|write)\(|\]\s*=[^=]")
# Pagination, streaming, or a django-tables2 table paginated by `RequestConfig`/`table.configure(request)`.
_PAGINATES = re.compile(r"paginat|Paginator|get_page\(|Streaming|stream_with_context|\byield\b|RequestConfig"
                        r"|\.configure\(request")
# A route decorator whose framework serializes what the endpoint returns (Django Ninja, FastAPI).
_ROUTE_DECORATOR = re.compile(r"[\w.]+\.(?:get|post|put|patch|delete|api_operation|api_route)\(")
DRF_LIST_VIEWS = frozenset({"ListAPIView", "ListCreateAPIView", "ModelViewSet", "ReadOnlyModelViewSet",
                            "ListModelMixin"})
DJANGO_LIST_VIEWS = frozenset({"django.views.generic.ListView", "django.views.generic.list.ListView"})
_FUNCTIONS = "rb501-functions"  # per-file memo key of the function index built from the query matches


def _role(ctx: CheckContext, node: Node) -> str:
    """The role of the code around `node`, from the file's function index (no walk up the tree)."""
    return q.role_at(ctx, ctx.file.memo(_FUNCTIONS, lambda: q.FunctionIndex([])), node)


def _enclosing_def(ctx: CheckContext, node: Node) -> Node | None:
    around = ctx.file.memo(_FUNCTIONS, lambda: q.FunctionIndex([])).enclosing(node)
    return around[0] if around else None


class UnboundedQuery(Rule):
    """## What it does
    Checks for request handlers that load every row a query matches, with no limit or page.

    Reported: a Django queryset passed to a serializer with `many=True`, put in a template context,
    turned into a list or iterated to build a response; SQLAlchemy `.all()` on `session.query(...)`,
    `Model.query` or `session.scalars(select(...))`; Peewee and pymongo/motor cursors turned into
    lists; awaited Tortoise querysets; and SQL `SELECT`s without `LIMIT` read with `fetchall()` or
    asyncpg `fetch()`. A slice, `.limit()`, `.paginate()`, `Paginator`, a filter on the primary key,
    an aggregate, a single-column list of keys (`values_list(..., flat=True)`,
    `with_entities(Model.id)`) or a streamed iteration (`.iterator()`, `yield_per`) is not
    reported, nor are configuration tables (`SiteSettings`, `IntegrationConfig`), manager methods
    that return one object (`objects.get_for_id(...)`) and `queryset = Model.objects.none()`
    placeholders. Django
    `ListView`s without `paginate_by` and DRF list views that disable pagination are reported too;
    DRF list views that set no `pagination_class` are reported as info, because the project settings
    may set `DEFAULT_PAGINATION_CLASS`.

    ## Why is this bad?
    The number of rows grows with the data, not with the request. A list endpoint that was fast
    with a hundred rows loads, serializes and sends a hundred thousand once the table grows:
    response times and worker memory climb until requests time out. Background tasks and scripts
    are not reported; small lookup tables in handlers are, because their size cannot be seen.

    ## Example
    ```python
    class OrderList(APIView):
        def get(self, request):
            orders = Order.objects.filter(customer=request.user)
            return Response(OrderSerializer(orders, many=True).data)
    ```

    ## Use instead
    ```python
    class OrderList(ListAPIView):
        serializer_class = OrderSerializer
        pagination_class = CursorPagination

        def get_queryset(self):
            return Order.objects.filter(customer=self.request.user)
    ```

    ## References
    - Django: Pagination (https://docs.djangoproject.com/en/stable/topics/pagination/)
    - Django REST framework: Pagination (https://www.django-rest-framework.org/api-guide/pagination/)
    - SQLAlchemy: `Select.limit()` (https://docs.sqlalchemy.org/en/20/core/selectable.html)
    - Use the Index, Luke: Paging Through Results (https://use-the-index-luke.com/sql/partial-results/fetch-next-page)
    """

    code = "RB501"
    name = "unbounded-query"
    category = "unbounded-query"
    principle = Principle.PAGINATION_LAZY_LOADING
    severity = Severity.WARNING
    query = """
    (function_definition) @rb501.function
    (for_statement right: (_) @rb501.iterable)
    (for_in_clause right: (_) @rb501.iterable)
    (return_statement (_) @rb501.returned)
    ((keyword_argument name: (identifier) @rb501.many value: (true)) @rb501.many_argument
     (#eq? @rb501.many "many"))
    ((assignment left: (subscript value: (identifier) @rb501.context_name) right: (_) @rb501.context_value)
     (#any-of? @rb501.context_name "context" "ctx" "extra_context"))
    ((class_definition name: (identifier) @rb501.class_name superclasses: (argument_list) @rb501.class_bases
        body: (block) @rb501.class_body)
     (#match? @rb501.class_bases "ListView|ListAPIView|ListCreateAPIView|ViewSet|ListModelMixin"))
    """

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        if ctx.file.path_context == "test":
            return  # test apps and fixtures serve no traffic
        # `many=True` is matched on the keyword (a pattern anchored on every call costs more than the
        # rest of the rule's patterns together); its call is looked up here and the matches re-sorted.
        if any("rb501.many_argument" in m for m in matches):
            matches = sorted(filter(None, map(_many_call_match, matches)), key=match_start)
            if not matches:
                return  # only `many=True` outside a call: the engine would not have run the rule
        functions = q.FunctionIndex([m["rb501.function"][0] for m in matches if "rb501.function" in m])
        ctx.file.memo(_FUNCTIONS, lambda: functions)
        found: dict[tuple[int, int], Report] = {}
        for match in matches:
            for report in self._match_reports(ctx, match):
                found.setdefault((report.node.start_byte, report.node.end_byte), report)
        for report in self._call_reports(ctx):
            found.setdefault((report.node.start_byte, report.node.end_byte), report)
        yield from found.values()

    # --- matches from the query ---------------------------------------------------------------

    def _match_reports(self, ctx: CheckContext, match: Match) -> Iterator[Report]:
        if "rb501.iterable" in match:
            iterable = match["rb501.iterable"][0]
            yield from _lazy_query_report(ctx, iterable, lambda: _iteration_builds_result(ctx, iterable))
        elif "rb501.returned" in match:
            yield from _returned_queryset_report(ctx, match["rb501.returned"][0])
        elif "rb501.many_call" in match:
            call = match["rb501.many_call"][0]
            data = scopes.call_keyword_arguments(call).get("instance") or q.first_argument(call)
            if data is not None:
                yield from _lazy_query_report(ctx, data)
        elif "rb501.context_value" in match:
            yield from _lazy_query_report(ctx, match["rb501.context_value"][0])
        elif "rb501.class_name" in match:
            yield from _list_view_reports(ctx, match["rb501.class_name"][0], match["rb501.class_bases"][0],
                                          match["rb501.class_body"][0])

    # --- call sites ---------------------------------------------------------------------------

    def _call_reports(self, ctx: CheckContext) -> Iterator[Report]:
        methods = (SQLALCHEMY_MATERIALIZERS | ITERATING_BUILTINS | RENDER_CALLS | SQL_FETCHERS | CURSOR_HELPERS
                   | q.TORTOISE_METHODS | {"to_list", "serialize", "dump", "from_queryset"})
        seen_awaited: set[int] = set()
        for site in ctx.calls_to(methods):
            call = site.node
            method = site.method
            if method in ITERATING_BUILTINS and site.name == method:
                argument = q.first_argument(call)
                if argument is not None:
                    yield from _lazy_query_report(ctx, argument, consumer=call)
            elif method in RENDER_CALLS:
                for value in _template_context_values(ctx, call, site.name or method):
                    yield from _lazy_query_report(ctx, value)
            elif method == "serialize" and (site.name or "").endswith("serializers.serialize"):
                positional = scopes.call_positional_arguments(call)
                if len(positional) > 1:
                    yield from _lazy_query_report(ctx, positional[1])
            elif method == "dump" and not (site.name or "").startswith(NOT_SCHEMAS):
                argument = q.first_argument(call)
                if argument is not None:
                    yield from _lazy_query_report(ctx, argument)
            elif method == "from_queryset":
                argument = q.first_argument(call)
                if argument is not None:
                    yield from _awaited_query_report(ctx, argument, force=True)
            elif method == "to_list":
                yield from _to_list_report(ctx, call)
            elif method in SQL_FETCHERS:
                yield from _sql_fetcher_report(ctx, call, method, site.name or "")
            elif method in CURSOR_HELPERS:
                argument = q.first_argument(call)
                if argument is not None:
                    yield from _cursor_fetch_report(ctx, call, argument)
            if method in SQLALCHEMY_MATERIALIZERS and _role(ctx, call) == "handler":
                yield from _materialized_report(ctx, call, method)
            if method in q.TORTOISE_METHODS and scopes.is_async_def(_enclosing_def(ctx, call)):
                outer = q.outermost_chain_expression(call)
                parent = outer.parent
                if parent is not None and parent.type == "await" and parent.id not in seen_awaited:
                    seen_awaited.add(parent.id)
                    yield from _awaited_query_report(ctx, parent)


# --- lazy queries reaching a sink -------------------------------------------------------------------

def _many_call_match(match: Match) -> Match | None:
    if "rb501.many_argument" not in match:
        return match
    call = call_of_argument(match["rb501.many_argument"][0])
    return None if call is None else {"rb501.many": match["rb501.many"], "rb501.many_call": [call]}


def _lazy_query_report(ctx: CheckContext, expression: Node,
                       sink_reads_rows: Callable[[], bool] | None = None,
                       consumer: Node | None = None) -> Iterator[Report]:
    """Report the query `expression` is built from when it is an unbounded lazy query in a handler.
    `sink_reads_rows`, checked last because it costs most, says whether the place that consumes
    the query really reads its rows."""
    expression = q.unwrap(expression)
    if expression.type not in ("call", "identifier", "attribute", "subscript"):
        return
    if _role(ctx, expression) != "handler":
        return
    chain = q.chain_of(ctx, expression)
    found = q.query_of(ctx, chain)
    if found is None or found.kind not in LAZY_KINDS:
        return
    if found.kind in (q.SQLALCHEMY, q.SQLALCHEMY_RESULT, q.MONGO) and _materialized_by_call(chain):
        return  # reported where `.all()` / `.to_list()` is called
    if q.is_bounded(ctx, chain, found.start) or not _in_plain_handler(ctx, expression):
        return
    origin = q.unwrap(chain.origin_of(found.start))
    if not _in_plain_handler(ctx, origin) or (sink_reads_rows is not None and not sink_reads_rows()):
        return
    kind = found.kind
    if kind == q.DJANGO and q.root_name(chain) == "self" and chain.links[0].name in ("get_queryset",
                                                                                      "filter_queryset"):
        kind = "drf"
    # Span from the query to where it is consumed when that is close by, so the finding covers both.
    near = origin.start_byte < expression.start_byte and (
        expression.start_point[0] - origin.end_point[0] <= SINK_SPAN_LINES)
    if consumer is not None and consumer.start_point[0] < origin.start_point[0] and scopes.contains(consumer, origin):
        # `rows = list(` on one line and the query below it: start where the statement does
        yield Report(consumer, _message(q.short_code(origin), kind), end_node=origin)
        return
    yield Report(origin, _message(q.short_code(origin), kind), end_node=expression if near else None)


def _materialized_by_call(chain: q.Chain) -> bool:
    return any(link.kind == "call" and link.name in ("all", "fetchall", "to_list", "partitions")
               for link in chain.links)


def _in_plain_handler(ctx: CheckContext, node: Node) -> bool:
    """Inside a request handler, in a function that neither paginates nor streams."""
    if _role(ctx, node) != "handler":
        return False
    function = _enclosing_def(ctx, node)
    if function is None:
        return False
    return not ctx.file.memo(("rb501-paginates", function.id),
                             lambda: bool(_PAGINATES.search(ctx.file.text(function))))


def _message(code: str, kind: str, statement: str = "") -> str:
    rows = f"every matching row of `{statement}`" if statement and statement not in code else "every matching row"
    return f"`{code}` loads {rows} into this endpoint; paginate it ({HOW_TO_PAGINATE[kind]})"


def _iteration_builds_result(ctx: CheckContext, iterable: Node) -> bool:
    """A comprehension, or a `for` whose body collects rows, iterating `iterable`."""
    clause = iterable.parent
    if clause is None:
        return False
    if clause.type == "for_statement":
        body = clause.child_by_field_name("body")
        return body is not None and bool(_BUILDS_RESULT.search(ctx.file.text(body)))
    comprehension = clause.parent
    if comprehension is None:
        return False
    if comprehension.type in ("list_comprehension", "set_comprehension", "dictionary_comprehension"):
        return True
    if comprehension.type == "generator_expression":
        consumer = comprehension.parent
        if consumer is not None and consumer.type == "call":
            function = consumer.child_by_field_name("function")
            name = function.text.decode().rsplit(".", 1)[-1] if function is not None else ""
            return name in GENERATOR_CONSUMERS
    return False


def _returned_queryset_report(ctx: CheckContext, returned: Node) -> Iterator[Report]:
    """A function endpoint returning a queryset for the framework to serialize (Django Ninja)."""
    function = _enclosing_def(ctx, returned)
    if function is None or scopes.method_class(function) is not None:
        return
    decorators = [ctx.file.text(d) for d in scopes.decorator_expressions(function)]
    if not any(_ROUTE_DECORATOR.match(d) for d in decorators) or any("paginat" in d for d in decorators):
        return
    expression = q.unwrap(returned)
    if expression.type not in ("call", "identifier", "attribute"):
        return
    chain = q.chain_of(ctx, expression)
    found = q.query_of(ctx, chain)
    if found is None or found.kind != q.DJANGO:
        return
    yield from _lazy_query_report(ctx, expression)


def _template_context_values(ctx: CheckContext, call: Node, name: str) -> list[Node]:
    keywords = scopes.call_keyword_arguments(call)
    positional = scopes.call_positional_arguments(call)
    method = name.rsplit(".", 1)[-1]
    context: Node | None = keywords.get("context")
    if context is None:
        if method == "render_template" and not name.startswith("aiohttp_jinja2"):
            values = [v for k, v in keywords.items() if k != "template_name_or_list"]
            arguments = call.child_by_field_name("arguments")
            for argument in arguments.named_children if arguments is not None else ():
                if argument.type == "dictionary_splat" and argument.named_children:
                    values.extend(_dictionary_values(ctx, argument.named_children[0]))
            return values
        index = {"render": 2, "TemplateResponse": 2, "render_to_response": 1, "render_to_string": 1,
                 "render_template": 2}.get(method, 2)
        if method == "TemplateResponse" and positional and positional[0].type == "string":
            index = 1  # Starlette: TemplateResponse(name, context)
        if len(positional) <= index:
            return []
        context = positional[index]
    return _dictionary_values(ctx, context)


def _dictionary_values(ctx: CheckContext, node: Node, depth: int = 2) -> list[Node]:
    node = q.unwrap(node)
    if node.type == "identifier" and depth > 0:
        value = q.local_value(ctx, node)
        return _dictionary_values(ctx, value, depth - 1) if value is not None else []
    if node.type == "dictionary":
        values = []
        for pair in node.named_children:
            if pair.type == "pair":
                value = pair.child_by_field_name("value")
                if value is not None:
                    values.append(value)
        return values
    if node.type == "call" and node.child_by_field_name("function") is not None and (
        node.child_by_field_name("function").text == b"dict"
    ):
        return list(scopes.call_keyword_arguments(node).values())
    return []


# --- materialising calls --------------------------------------------------------------------------

def _materialized_report(ctx: CheckContext, call: Node, method: str) -> Iterator[Report]:
    """`session.query(User).all()`, `session.scalars(select(User)).all()`, `User.query.all()`."""
    chain = q.chain_of(ctx, call)
    found = q.query_of(ctx, chain)
    if found is None or found.kind not in (q.SQLALCHEMY, q.SQLALCHEMY_RESULT):
        if method == "fetchall":
            function = call.child_by_field_name("function")
            receiver = function.child_by_field_name("object") if function is not None else None
            if receiver is not None:
                yield from _cursor_fetch_report(ctx, call, receiver)
        return
    if q.is_bounded(ctx, chain, found.start) or not _in_plain_handler(ctx, call):
        return
    if found.kind == q.SQLALCHEMY_RESULT:
        statement = q.select_chain(ctx, chain)
        origin = q.unwrap(statement.origin) if statement is not None else call
    else:
        origin = q.unwrap(chain.origin_of(found.start))
    message = _message(q.short_code(call), found.kind, q.short_code(origin, 50) if origin != call else "")
    start = q.unwrap(chain.origin_of(found.start))
    only_unwraps_a_result = all(
        link.name in RESULT_UNWRAPPERS for index, link in enumerate(chain.links)
        if index >= found.start and scopes.contains(call, link.node) and link.node.id != start.id
        and not scopes.contains(link.node, start))
    if only_unwraps_a_result and start.start_byte < call.start_byte and (
            call.start_point[0] - start.end_point[0] <= SINK_SPAN_LINES):
        # `result = session.execute(stmt)` ... `result.scalars().all()`: the query is where it ran
        yield Report(start, message, end_node=call)
    else:
        yield Report(call, message)


def _awaited_query_report(ctx: CheckContext, expression: Node, force: bool = False) -> Iterator[Report]:
    """`await Order.all()`, `await Order.filter(...)` (Tortoise), `await Order.objects.all()` (ormar),
    and querysets handed to `from_queryset`, which awaits them."""
    chain = q.chain_of(ctx, expression)
    found = q.query_of(ctx, chain)
    if found is None:
        return
    if found.kind not in (q.TORTOISE, q.ORMAR) or (found.kind == q.TORTOISE and not (chain.awaited or force)):
        return
    if q.is_bounded(ctx, chain, found.start) or not _in_plain_handler(ctx, expression):
        return
    node = q.unwrap(expression)
    yield Report(node, _message(q.short_code(node), found.kind))


def _to_list_report(ctx: CheckContext, call: Node) -> Iterator[Report]:
    """motor `await cursor.to_list(None)` / `to_list(length=None)`, beanie `.to_list()`."""
    keywords = scopes.call_keyword_arguments(call)
    positional = scopes.call_positional_arguments(call)
    length = keywords.get("length", positional[0] if positional else None)
    if length is not None and length.type != "none":
        return
    chain = q.chain_of(ctx, call)
    found = q.query_of(ctx, chain)
    if found is None or found.kind != q.MONGO:
        return
    if q.is_bounded(ctx, chain, found.start) or not _in_plain_handler(ctx, call):
        return
    yield Report(call, _message(q.short_code(call), q.MONGO))


# --- SQL ------------------------------------------------------------------------------------------

def _sql_message(code: str, sql: str) -> str:
    return (f"`{code}` loads every row of `{q.short_sql(sql)}` into this endpoint; add `LIMIT` and page "
            "through the rows (keyset or offset pagination)")


def _sql_fetcher_report(ctx: CheckContext, call: Node, method: str, name: str) -> Iterator[Report]:
    """asyncpg `conn.fetch(sql)`, databases `fetch_all(query)`, aiosqlite `execute_fetchall(sql)`,
    pandas `read_sql(sql, con)`."""
    if method in ("read_sql", "read_sql_query") and not name.startswith(("pandas.", "pd.")):
        return
    argument = scopes.call_keyword_arguments(call).get("query") or scopes.call_keyword_arguments(call).get(
        "sql") or q.first_argument(call)
    if argument is None:
        return
    sql = q.sql_text(ctx, argument)
    if sql is not None:
        if not q.sql_reads_every_row(sql) or not _in_plain_handler(ctx, call):
            return
        yield Report(call, _sql_message(q.short_code(call), sql))
        return
    if method == "fetch_all" and q.is_select_expression(ctx, argument):
        chain = q.chain_of(ctx, argument)
        if q.is_bounded(ctx, chain) or not _in_plain_handler(ctx, call):
            return
        statement = q.unwrap(chain.origin)
        message = _message(q.short_code(call), q.SQLALCHEMY_RESULT, q.short_code(statement, 50))
        if statement.start_byte < call.start_byte and (
                call.start_point[0] - statement.end_point[0] <= SINK_SPAN_LINES) and not scopes.contains(
                call, statement):
            yield Report(statement, message, end_node=call)
        else:
            yield Report(call, message)


def _cursor_fetch_report(ctx: CheckContext, fetch: Node, receiver: Node) -> Iterator[Report]:
    """`cur.execute("SELECT ...")` then `cur.fetchall()`; `conn.execute(sql).fetchall()`."""
    receiver = q.unwrap(receiver)
    execute = _execute_call_of(ctx, fetch, receiver)
    if execute is None:
        return
    argument = q.first_argument(execute)
    sql = q.sql_text(ctx, argument) if argument is not None else None
    if sql is None or not q.sql_reads_every_row(sql) or not _in_plain_handler(ctx, fetch):
        return
    if execute.start_byte >= fetch.start_byte or scopes.contains(fetch, execute):
        yield Report(fetch, _sql_message(q.short_code(fetch), sql))
    else:
        yield Report(execute, _sql_message(q.short_code(fetch), sql), end_node=fetch)


def _execute_call_of(ctx: CheckContext, fetch: Node, receiver: Node) -> Node | None:
    if receiver.type == "call":
        function = receiver.child_by_field_name("function")
        attribute = function.child_by_field_name("attribute") if function is not None and (
            function.type == "attribute") else None
        if attribute is not None and attribute.text in (b"execute", b"execute_sql", b"exec_driver_sql"):
            return receiver
        return None
    if receiver.type not in ("identifier", "attribute"):
        return None
    target = receiver.text
    function = scopes.enclosing_function(fetch)
    last = None
    for site in ctx.calls_to({"execute"}):
        call = site.node
        if call.start_byte >= fetch.start_byte:
            break
        callee = call.child_by_field_name("function")
        obj = callee.child_by_field_name("object") if callee is not None and callee.type == "attribute" else None
        if obj is None or q.unwrap(obj).text != target:
            continue
        if scopes.enclosing_function(call) == function:
            last = call
    return last


# --- list views declared as classes -----------------------------------------------------------------

def _list_view_reports(ctx: CheckContext, name: Node, bases: Node, body: Node) -> Iterator[Report]:
    resolved = [ctx.file.qualname(base) or "" for base in bases.named_children
                if base.type in ("identifier", "attribute")]
    attributes: dict[str, Node] = {}
    methods: set[str] = set()
    for statement in body.named_children:
        if statement.type == "expression_statement" and statement.named_children:
            assignment = statement.named_children[0]
            left = assignment.child_by_field_name("left") if assignment.type == "assignment" else None
            right = assignment.child_by_field_name("right") if left is not None else None
            if left is not None and left.type == "identifier" and right is not None:
                attributes[left.text.decode()] = right
        definition = statement.child_by_field_name("definition") if statement.type == "decorated_definition" \
            else statement
        if definition is not None and definition.type == "function_definition":
            methods.add(scopes.function_name(definition))
    class_name = name.text.decode()
    listed = attributes.get("queryset") or attributes.get("model")
    if listed is not None and (listed.type == "none" or _is_empty_placeholder(listed)):
        return  # `queryset = Model.objects.none()`: the rows come from `get_queryset()`
    anchor = _assignment_of(listed) if listed is not None else name
    what = q.short_code(listed) if listed is not None else "get_queryset()"
    if listed is not None and q.unwrap(listed).type == "subscript":
        return
    if any(base in DJANGO_LIST_VIEWS for base in resolved):
        paginate_by = attributes.get("paginate_by")
        if (paginate_by is not None and paginate_by.type != "none") or methods & {"get_paginate_by",
                                                                                  "paginate_queryset"}:
            return
        if "get_queryset" in methods and "[:" in ctx.file.text(body):
            return
        yield Report(name, f"`{class_name}` is a `ListView` without `paginate_by`: it renders every row of "
                           f"`{what}`; set `paginate_by` to page it", end_node=anchor)
        return
    drf = [base for base in resolved if base.startswith("rest_framework.")
           and base.rsplit(".", 1)[-1] in DRF_LIST_VIEWS]
    if not drf or "list" in methods:
        return
    pagination = attributes.get("pagination_class")
    if pagination is None:
        if "paginate_queryset" in methods or "paginator" in methods or "queryset" not in attributes:
            return  # a base class that only defines `get_queryset` is completed by its subclasses
        yield Report(name, f"`{class_name}` lists `{what}` without a `pagination_class`: every row is returned "
                           "unless the settings set `DEFAULT_PAGINATION_CLASS`", end_node=anchor, severity=Severity.INFO)
    elif pagination.type == "none":
        # the finding spans from the class line to the assignment, where either may be commented on
        yield Report(name, f"`{class_name}` sets `pagination_class = None`: its list action returns every row of "
                           f"`{what}`; use a pagination class", end_node=_assignment_of(pagination))


def _is_empty_placeholder(listed: Node) -> bool:
    if listed.type != "call":
        return False
    function = listed.child_by_field_name("function")
    attribute = function.child_by_field_name("attribute") if function is not None and function.type == "attribute" \
        else None
    return attribute is not None and attribute.text == b"none"


def _assignment_of(value: Node) -> Node:
    parent = value.parent
    return parent if parent is not None and parent.type == "assignment" else value
