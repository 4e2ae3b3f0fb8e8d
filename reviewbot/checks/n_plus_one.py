"""RB101: one more query per row of a query result (N+1)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from tree_sitter import Node

from reviewbot.checks import _orm
from reviewbot.checks._orm import QueryResult
from reviewbot.checks.loop_invariant import LoopInvariantExpensiveCall, repeats_with_same_arguments
from reviewbot.checks.registry import CallSite, CheckContext, Match, Report, Rule
from reviewbot.findings import Principle, Severity
from reviewbot.source import handlers, scopes
from reviewbot.source.models import Relation


class NPlusOneQuery(Rule):
    """## What it does
    Checks for loops over query results (`for`, `async for`, comprehensions and generator
    expressions) whose body runs one more query per row: reading a lazy relation
    (`order.customer`, `order.items.all()`), running a query (`Payment.objects.filter(order=order)
    .first()`, `cursor.execute(...)`, `order.save()`), or calling a function of the same file that
    reads a relation of the row or looks data up by the row's values.

    Relations come from the project's model definitions, in any file: Django `ForeignKey`,
    `OneToOneField`, `ManyToManyField`, `GenericRelation` and their reverse accessors
    (`related_name`, `<model>_set`), SQLAlchemy and Flask-SQLAlchemy `relationship()` (with its
    `lazy` strategy and `backref`), Peewee `ForeignKeyField(backref=...)` and Tortoise
    `fields.ForeignKeyField(related_name=...)`. The model of the rows is taken from the query
    (`Order.objects.filter(...)`, `session.query(Order)`, `select(Order)` through
    `session.scalars()`, `session.execute(...).scalars()` or SQLModel's `session.exec()`,
    `Order.query`, `Order.select()`), also through import aliases, a migration's
    `apps.get_model(...)`, a page of rows (Flask-SQLAlchemy `paginate(...).items`, Django
    `Paginator(...).get_page(n)`). When that model is not indexed, an attribute is reported only
    when it is a relation on some indexed model of the same ORM and a column on none.

    Not reported: relations loaded with the rows (`select_related`, `prefetch_related`,
    `Prefetch`, `prefetch_related_objects`, `.options(joinedload(...))` and the other SQLAlchemy
    loader options, `lazy="joined"`/`"selectin"`/`"subquery"`/`"raise"`, a Peewee join that
    selects the related model, `prefetch()`), rows without relations (`values()`,
    `values_list()`, cursor rows, Mongo documents), foreign key columns (`order.customer_id`),
    the parent of rows loaded through it (`line.order` in a loop over `order.lines.all()`), and
    single objects (`get()`, `first()`): a loop over one object's relation is judged by the rows
    it iterates. Nor are repetitions that are deliberate: `save()`/`delete()` of a model whose
    class overrides them (or called with a keyword of the project's own `save()`), a commit on a
    session opened for each row, a query every N rows, writes in a transaction opened per row, a
    commit in a `try` that rolls back alone or right before publishing the row's job, statements that change the schema or name another
    table each time, helpers that write, lock rows or run as tasks, and code in tests.

    A query inside a loop that does *not* iterate query results (a list of ids, request data)
    is RB102 (query-in-loop). The innermost loop that repeats the query decides which rule
    reports it, so one query is never reported twice.

    ## Why is this bad?
    Loading N rows and then one query per row makes N+1 round trips to the database. Each costs
    a network round trip and query planning; with a few hundred rows a page that needs one query
    spends most of its time waiting on the database, and the cost grows with the data, so it
    passes review on a small dev database and fails in production.

    ## Example
    ```python
    def order_report(request):
        orders = Order.objects.filter(status="paid")
        return [(order.number, order.customer.name) for order in orders]
    ```

    ## Use instead
    ```python
    def order_report(request):
        orders = Order.objects.filter(status="paid").select_related("customer")
        return [(order.number, order.customer.name) for order in orders]
    ```

    ## References
    - Django: Database access optimization (https://docs.djangoproject.com/en/stable/topics/db/optimization/)
    - Django: `select_related` and `prefetch_related` (https://docs.djangoproject.com/en/stable/ref/models/querysets/#select-related)
    - SQLAlchemy: Relationship loading techniques (https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html)
    - Peewee: Avoiding the N+1 problem (https://docs.peewee-orm.com/en/latest/peewee/relationships.html#avoiding-the-n-1-problem)
    """

    code = "RB101"
    name = "n-plus-one-query"
    category = "n-plus-one"
    principle = Principle.QUERY_OPTIMIZATION
    severity = Severity.WARNING
    query = """
    (for_statement left: (_) @target right: (_) @iterable) @loop
    (for_in_clause left: (_) @target right: (_) @iterable) @clause
    """

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        if ctx.file.path_context == "test" or not _orm.file_may_query(ctx):
            return  # tests loop over a handful of fixture rows on purpose
        for match in matches:
            yield from self._loop_reports(ctx, match)
        yield from self._query_calls_per_row(ctx)

    # --- per loop: relation loads and helpers --------------------------------------------------

    def _loop_reports(self, ctx: CheckContext, match: Match) -> Iterator[Report]:
        target, iterable = match["target"][0], match["iterable"][0]
        if "loop" in match:
            loop = match["loop"][0]
            parts = scopes.loop_body_and_repeated_parts(loop)
        else:
            clause = match["clause"][0]
            loop = clause.parent
            if loop is None:
                return
            parts = [c for c in loop.named_children if c.start_byte >= clause.end_byte] + [
                c for c in [loop.child_by_field_name("body")] if c is not None]
        row_name, rows_expression = _orm.row_variable(target, iterable)
        rows = _orm.query_result(ctx, rows_expression)
        if rows is None:
            return
        if row_name is not None and not rows.plain_rows:
            seen: set[str] = set()
            for part in parts:
                for access, attribute in _orm.attribute_accesses(part, row_name):
                    load = relation_load(ctx, rows, access, attribute)
                    if load is None or load.path in seen or _orm.runs_once_per_loop(access, loop):
                        continue
                    seen.add(load.path)
                    yield Report(load.node, f"{evidence(rows)}: {load.explanation}")
        yield from self._helpers(ctx, loop, rows, row_name, parts)

    def _helpers(self, ctx: CheckContext, loop: Node, rows: QueryResult, row_name: str | None,
                 parts: list[Node]) -> Iterator[Report]:
        for part in parts:
            for site in _calls_within(ctx, part):
                call = site.node
                repeating = _orm.repeating_loop(ctx, call)
                if repeating is None or repeating.id != loop.id or _orm.runs_once_per_loop(call, loop):
                    continue
                function = _orm.local_function(ctx, call)
                if function is None or scopes.contains(function, call) or _is_memoized(function):
                    continue
                if handlers.function_role(function, ctx.file, ctx.config.handler_decorators,
                                          ctx.config.task_decorators):
                    continue  # a task or view run inline: a unit of work per row, not a lookup
                shown = _orm.short_text(call)
                receiving = _parameters_receiving_row(call, function, row_name) if row_name else ()
                query = _row_lookup_in(ctx, function, receiving)
                if query is not None:
                    yield Report(call, f"{evidence(rows)}: `{shown}` runs `{query.text}` (line {query.line}) "
                                       f"for every row; {query.bulk_form()}")
                    continue
                parameter = _parameter_receiving(call, function, row_name) if row_name else None
                if parameter is None or rows.plain_rows:
                    continue
                body = function.child_by_field_name("body")
                for access, attribute in _orm.attribute_accesses(body, parameter) if body is not None else ():
                    load = relation_load(ctx, rows, access, attribute)
                    if load is not None:
                        yield Report(call, f"{evidence(rows)}: `{shown}` reads `{load.text}` (line "
                                           f"{load.node.start_point[0] + 1}), which {load.verb} {load.what}; "
                                           f"{load.fix}")
                        break

    # --- per query call ------------------------------------------------------------------------

    def _query_calls_per_row(self, ctx: CheckContext) -> Iterator[Report]:
        defer_to_invariant = ctx.config.enables(LoopInvariantExpensiveCall.code, LoopInvariantExpensiveCall.preview)
        for query in _orm.query_calls(ctx):
            loop = _orm.repeating_loop(ctx, query.node)
            if loop is None:
                continue
            rows = _orm.loop_rows(ctx, loop)
            if rows is None or _orm.runs_once_per_loop(query.node, loop):
                continue
            if _orm.model_varies_per_iteration(ctx, query, loop) or _orm.runs_by_design_per_iteration(ctx, query, loop):
                continue
            if defer_to_invariant and repeats_with_same_arguments(ctx, query.node):
                continue  # the same query for every row: RB304 (loop-invariant) says to hoist it
            if _is_relation_chain_of_row(ctx, query.node):
                continue  # `order.items.filter(...)`: reported as a relation load of the row
            yield Report(query.node, f"{evidence(rows)}: `{query.text}` runs {query.what} for every row; "
                                     f"{query.bulk_form()}")


def evidence(rows: QueryResult) -> str:
    return f"1 query per row of `{rows.label}` (loaded at line {rows.line})"


@dataclass(frozen=True, slots=True)
class RelationLoad:
    node: Node  # what to flag: `order.customer`, `order.items.all()`
    path: str  # the relation path from the row: `customer`, `customer__address`
    relation: Relation
    text: str  # the code as written, arguments elided
    fix: str
    guessed: bool = False  # the rows' model is not indexed; `relation` is a same-named one elsewhere

    @property
    def verb(self) -> str:
        return "queries" if self.node.type in ("call", "await") else "is"

    @property
    def what(self) -> str:
        if self.guessed:
            relation = self.relation
            return f"a relation (`{relation.model}.{relation.attribute}` is {relation.kind_phrase()})"
        return self.relation.describe()

    @property
    def explanation(self) -> str:
        return f"`{self.text}` {self.verb} {self.what}; {self.fix}"


def relation_load(ctx: CheckContext, rows: QueryResult, access: Node, attribute: str) -> RelationLoad | None:
    """The query that reading `row.<attribute>` runs, when it runs one."""
    if _is_store(access) or (rows.back_reference and attribute == rows.back_reference):
        return None  # `line.order` while iterating `order.lines.all()`: the parent is at hand
    relation, guessed = _relation(ctx, rows, access, attribute)
    if relation is None or not relation.loads_lazily:
        return None
    load = _load(ctx, rows, access, attribute, relation)
    if load is not None and guessed:
        load = replace(load, guessed=True)
    if load is not None or relation.many or not rows.has_prefetched(attribute, relation) or guessed:
        return load
    # The relation came with the rows: one more hop (`order.customer.address`) may still be lazy.
    parent = access.parent
    if parent is None or parent.type != "attribute" or parent.child_by_field_name("object") != access:
        return None
    second = parent.child_by_field_name("attribute")
    if second is None:
        return None
    below = rows.below(attribute, relation.target)
    nested, nested_guessed = _relation(ctx, below, parent, _orm.text_of(second))
    if nested is None or nested_guessed or not nested.loads_lazily:
        return None
    load = _load(ctx, below, parent, _orm.text_of(second), nested)
    if load is None:
        return None
    path = f"{attribute}__{load.path}"
    return RelationLoad(load.node, path, nested, load.text, _fix(rows, path, nested, load.node, ctx))


def _relation(ctx: CheckContext, rows: QueryResult, access: Node, attribute: str) -> tuple[Relation | None, bool]:
    """The relation `row.<attribute>` reads, and whether it is only guessed from a same-named
    relation on another model (the rows' own model is not indexed)."""
    index = _orm.model_index(ctx)
    relation = _orm.relation_of(ctx, rows.model, attribute, rows.framework)
    if relation is not None:
        return relation, False
    if attribute.endswith("_set") and rows.framework == _orm.DJANGO and _manager_method(access) is not None:
        target = index.model_named(attribute[: -len("_set")])
        return Relation(rows.model or "?", attribute, target, "reverse", many=True, framework=_orm.DJANGO,
                        declared_as="reverse relation"), False
    if rows.model is None or not index.is_model(rows.model):
        return _orm.guessed_relation(ctx, rows, attribute), True
    return None, False


def _load(ctx: CheckContext, rows: QueryResult, access: Node, attribute: str, relation: Relation) -> RelationLoad | None:
    framework = relation.framework or rows.framework
    text = _orm.short_text(access)
    prefetched = rows.has_prefetched(attribute, relation)
    method, method_call = _manager_method(access) or (None, None)
    if framework == _orm.TORTOISE:
        awaited = _awaited_use(access)
        if awaited is None or prefetched:
            return None
        return RelationLoad(awaited, attribute, relation, _orm.short_text(awaited),
                            _fix(rows, attribute, relation, awaited, ctx))
    if framework == _orm.DJANGO and relation.many:
        if method is None or method_call is None:
            return None
        if method in _MANAGER_WRITES:
            return RelationLoad(method_call, attribute, relation, _orm.short_text(method_call),
                                _MANAGER_WRITES[method])
        if method in _orm.DJANGO_MANAGER_QUERIES:
            fix = (f"a new query runs even with the prefetch; prefetch the filtered rows with "
                   f"`Prefetch(\"{attribute}\", queryset=...)`") if prefetched else (
                f"prefetch them with `Prefetch(\"{attribute}\", queryset=...)`")
            if method in ("count", "acount"):
                fix = f"annotate the count instead: `annotate({_count_name(attribute)})`"
            return RelationLoad(method_call, attribute, relation, _orm.short_text(method_call), fix)
        if method in _orm.DJANGO_MANAGER_CACHED and not prefetched:
            fix = _fix(rows, attribute, relation, method_call, ctx)
            if method == "count":
                fix = (f"annotate the count instead: `annotate({_count_name(attribute)})`, or "
                       f"add `prefetch_related(\"{attribute}\")`")
            return RelationLoad(method_call, attribute, relation, _orm.short_text(method_call), fix)
        return None
    if framework == _orm.SQLALCHEMY and relation.lazy == "dynamic":
        if method_call is None:
            return None
        return RelationLoad(method_call, attribute, relation, _orm.short_text(method_call),
                            "a `lazy=\"dynamic\"` relationship queries on every use; load the rows for all "
                            "parents in one query")
    if prefetched:
        return None
    return RelationLoad(access, attribute, relation, text, _fix(rows, attribute, relation, access, ctx))


_MANAGER_WRITES = {
    **dict.fromkeys(("add", "remove", "set", "clear"),
                    "write the link changes in bulk on the relation's `through` model (`bulk_create()`, or one "
                    "`filter(...).delete()`)"),
    **dict.fromkeys(("create", "get_or_create", "update_or_create", "acreate"),
                    "collect the new rows and save them with one `bulk_create()`"),
    **dict.fromkeys(("update", "delete"), "run one `update()`/`delete()` for all rows with `filter(<parent>__in=...)`"),
}


def _fix(rows: QueryResult, path: str, relation: Relation, node: Node, ctx: CheckContext) -> str:
    framework = relation.framework or rows.framework
    if framework == _orm.SQLALCHEMY:
        loader = "selectinload" if relation.many else "joinedload"
        return f"add `.options({loader}({relation.model}.{relation.attribute}))` to the query"
    if framework == _orm.PEEWEE:
        if relation.many:
            return f"load them for all rows with `prefetch(query, {relation.target or 'Related'}.select())`"
        target = relation.target or "Related"
        return f"select and join it: `.select({relation.model}, {target}).join({target})`"
    if framework == _orm.TORTOISE:
        return f"add `.prefetch_related(\"{path}\")`"
    if relation.many or relation.kind == "generic":
        return f"add `prefetch_related(\"{path}\")`"
    if relation.kind == "foreign-key" and "__" not in path and _next_attribute(node) in ("id", "pk"):
        return f"use `{_orm.short_text(node)}_id`, or add `select_related(\"{path}\")`"
    return f"add `select_related(\"{path}\")`"


def _count_name(attribute: str) -> str:
    """`lines` -> `line_count=Count("lines")`; the default accessor `shipment_set` is queried as `shipment`."""
    lookup = attribute.removesuffix("_set")
    return f"{lookup.removesuffix('s')}_count=Count(\"{lookup}\")"


def _manager_method(access: Node) -> tuple[str, Node] | None:
    """`row.items.filter(...)` -> ("filter", the call)."""
    parent = access.parent
    if parent is None or parent.type != "attribute" or parent.child_by_field_name("object") != access:
        return None
    call = parent.parent
    if call is None or call.type != "call" or call.child_by_field_name("function") != parent:
        return None
    name = parent.child_by_field_name("attribute")
    return (_orm.text_of(name), call) if name is not None else None


def _awaited_use(access: Node) -> Node | None:
    """Tortoise relations load when awaited: `await e.team`, `await e.teams.all()`, `async for t in e.teams`."""
    parent = access.parent
    if parent is not None and parent.type == "await":
        return parent
    method = _manager_method(access)
    if method is not None:
        call = method[1]
        if call.parent is not None and call.parent.type == "await":
            return call.parent
    if parent is not None and parent.type == "for_statement" and scopes.is_async_for(parent) and (
        parent.child_by_field_name("right") == access
    ):
        return access
    return None


def _next_attribute(node: Node) -> str | None:
    parent = node.parent
    if parent is not None and parent.type == "attribute" and parent.child_by_field_name("object") == node:
        attribute = parent.child_by_field_name("attribute")
        return _orm.text_of(attribute) if attribute is not None else None
    return None


def _is_store(access: Node) -> bool:
    """`row.customer = c` assigns, `del row.customer` deletes: neither loads."""
    parent = access.parent
    if parent is None:
        return False
    if parent.type in ("assignment", "augmented_assignment") and parent.child_by_field_name("left") == access:
        return True
    if parent.type in ("pattern_list", "tuple_pattern") and parent.parent is not None and (
        parent.parent.type == "assignment"
    ):
        return parent.parent.child_by_field_name("left") == parent
    return parent.type == "delete_statement"


def _is_relation_chain_of_row(ctx: CheckContext, node: Node) -> bool:
    """`row.items.filter(...)` where `row` is a loop row of query results: a relation load."""
    root, links = _orm.chain_of(node)
    if root.type != "identifier" or not links or links[0].call is not None:
        return False
    instance = _orm.instance_of(ctx, root)
    return instance is not None and instance.rows is not None


def _calls_within(ctx: CheckContext, node: Node) -> list[CallSite]:
    def compute() -> tuple[list[int], list[CallSite]]:
        ordered = sorted(ctx.calls, key=lambda s: s.node.start_byte)
        return [s.node.start_byte for s in ordered], ordered

    starts, ordered = ctx.file.memo(("rb101", "calls-by-position"), compute)
    first = bisect.bisect_left(starts, node.start_byte)
    last = bisect.bisect_right(starts, node.end_byte)
    return [s for s in ordered[first:last] if s.node.end_byte <= node.end_byte]


def _row_lookup_in(ctx: CheckContext, function: Node, parameters: tuple[str, ...]) -> _orm.QueryCall | None:
    """The first read in a helper that looks up data by what the row gave it (`def total(order):
    return Payment.objects.filter(order=order).aggregate(...)`). A helper that writes, locks or
    reads without the row's values is a unit of work per row (a sync, a notification), which has
    no single bulk query replacing it."""
    if not parameters:
        return None

    def compute() -> _orm.QueryCall | None:
        names = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in parameters) + r")\b")
        for site in _calls_within(ctx, function):
            if site.method not in _orm.CANDIDATE_METHODS and site.resolved_method not in _orm.CANDIDATE_METHODS:
                continue
            query = _orm.query_call_at(ctx, site.node)
            if query is None or not scopes.contains(function, query.node) or not _is_read(query):
                continue
            text = _orm.text_of(query.node)
            if "select_for_update" in text or "with_for_update" in text:
                continue
            if names.search(text):
                return query
        return None

    return ctx.file.memo(("rb101", "helper-lookup", function.id, parameters), compute)  # type: ignore[no-any-return]


_READ_OPERATIONS = frozenset({"read-one", "read-many", "count", "exists", "fetch"})


_SELECT_STATEMENT = re.compile(r"""^[rRbBuU]?(?:'{3}|"{3}|'|")\s*(?:SELECT|WITH)\b""", re.I)


def _is_read(query: _orm.QueryCall) -> bool:
    if query.operation in _READ_OPERATIONS:
        return True
    if query.framework != _orm.DBAPI or query.operation != "execute":
        return False
    root, links = _orm.chain_of(query.node)
    for link in links:
        if link.name == "execute" and link.call is not None:
            arguments = scopes.call_positional_arguments(link.call)
            return bool(arguments) and bool(_SELECT_STATEMENT.match(_orm.text_of(arguments[0])))
    return False


def _parameters_receiving_row(call: Node, function: Node, row_name: str) -> tuple[str, ...]:
    """The helper's parameters that receive the row or one of its values: `describe(order)`,
    `total_for(order.pk)`, `lookup(customer_id=order.customer_id)`."""
    parameters = scopes.parameter_names(function)
    if parameters[:1] in (["self"], ["cls"]) and scopes.method_class(function) is not None:
        parameters = parameters[1:]
    found = []
    for index, argument in enumerate(scopes.call_positional_arguments(call)):
        if _comes_from_row(argument, row_name) and index < len(parameters):
            found.append(parameters[index])
    for keyword, value in scopes.call_keyword_arguments(call).items():
        if _comes_from_row(value, row_name) and keyword in parameters:
            found.append(keyword)
    return tuple(found)


def _comes_from_row(argument: Node, row_name: str) -> bool:
    root, _links = _orm.chain_of(argument)
    return root.type == "identifier" and _orm.text_of(root) == row_name


def _parameter_receiving(call: Node, function: Node, row_name: str) -> str | None:
    """The helper's parameter that receives the loop row: `describe(order)` -> `def describe(o)`."""
    parameters = scopes.parameter_names(function)
    if parameters[:1] in (["self"], ["cls"]) and scopes.method_class(function) is not None:
        parameters = parameters[1:]
    for index, argument in enumerate(scopes.call_positional_arguments(call)):
        if argument.type == "identifier" and _orm.text_of(argument) == row_name:
            return parameters[index] if index < len(parameters) else None
    for keyword, value in scopes.call_keyword_arguments(call).items():
        if value.type == "identifier" and _orm.text_of(value) == row_name and keyword in parameters:
            return keyword
    return None


def _is_memoized(function: Node) -> bool:
    return any("cache" in _orm.text_of(d) for d in scopes.decorator_expressions(function))
