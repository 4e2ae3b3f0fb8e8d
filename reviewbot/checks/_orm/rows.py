"""Query results: which expressions are multi-row results, of which model, with which relations
loaded alongside; and what is known of a variable holding one model instance."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace

from tree_sitter import Node

from reviewbot.checks._orm.receivers import is_collection, is_db_receiver
from reviewbot.checks._orm.syntax import (
    Link,
    binding_before,
    chain_of,
    contains_any,
    function_of,
    last_segment,
    module_binding,
    short_text,
    text_of,
    unwrap,
)
from reviewbot.checks._orm.vocabulary import (
    ALL_FORWARD,
    ALL_RELATIONS,
    DBAPI,
    DJANGO,
    DJANGO_AUTH_RELATIONS,
    DJANGO_MANAGER_ROWS,
    DJANGO_MANAGERS,
    DJANGO_NOT_ROWS,
    DJANGO_PLAIN_ROWS,
    MAX_HOPS,
    MONGO,
    MONGO_ROWS,
    ORM_FRAMEWORKS,
    PEEWEE,
    PEEWEE_NOT_ROWS,
    PEEWEE_PLAIN_ROWS,
    QUERY_HINTS,
    ROW_METHODS,
    ROW_PRESERVING_BUILTINS,
    SA_EAGER_LOADERS,
    SA_PATH_LOADERS,
    SA_PLAIN_ROWS,
    SA_QUERY_NOT_ROWS,
    SA_RESULT_SINGLE,
    SCOPE_QUERY_HINTS,
    SCOPE_QUERY_METHODS,
    SQLALCHEMY,
    TORTOISE,
    TORTOISE_ROWS,
)
from reviewbot.checks.registry import CheckContext
from reviewbot.source import scopes
from reviewbot.source.models import ModelIndex, Relation, string_value


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Rows loaded by one query."""

    framework: str  # django, sqlalchemy, peewee, tortoise, dbapi, mongo
    model: str | None  # the model of the rows, when known
    origin: Node  # the expression or assignment that loads the rows
    label: str  # how messages name the rows: `orders` or `Order.objects.filter(...)`
    prefetched: frozenset[str] = frozenset()  # relation paths loaded with the rows: "customer", "items__product"
    joined_models: frozenset[str] = frozenset()  # Peewee: models selected through a join
    plain_rows: bool = False  # dicts, tuples, `values()`: no relation to load lazily
    via_relation: bool = False  # rows of a related manager (`order.items.all()`)
    back_reference: str = ""  # rows of `order.lines`: `line.order` is the parent, already loaded
    page: bool = False  # one page of the rows (`paginate(...)`, Django `Paginator`): `.items` are the rows

    @property
    def line(self) -> int:
        return self.origin.start_point[0] + 1

    def has_prefetched(self, path: str, relation: Relation | None = None) -> bool:
        """Whether `path` (`customer`, `items__product`) was loaded with the rows."""
        if ALL_RELATIONS in self.prefetched or path in self.prefetched:
            return True
        if ALL_FORWARD in self.prefetched and relation is not None and not relation.many and "__" not in path:
            return True
        prefix = path + "__"
        if any(p.startswith(prefix) for p in self.prefetched):
            return True
        if relation is not None and relation.target and relation.target in self.joined_models:
            return True
        return False

    def below(self, attribute: str, model: str | None) -> QueryResult:
        """The rows reached through `attribute`, with the paths prefetched beneath it."""
        prefix = attribute + "__"
        nested = frozenset(p[len(prefix):] for p in self.prefetched if p.startswith(prefix))
        if ALL_RELATIONS in self.prefetched:
            nested = nested | {ALL_RELATIONS}
        return replace(self, model=model, prefetched=nested, joined_models=frozenset(), via_relation=True)


def model_index(ctx: CheckContext) -> ModelIndex:
    models = ctx.project.models
    return models if isinstance(models, ModelIndex) else ModelIndex()


def file_may_query(ctx: CheckContext) -> bool:
    """A cheap byte test: does the file mention anything a query could be made of?"""
    return ctx.file.memo(("orm", "hint"), lambda: _file_may_query(ctx))  # type: ignore[no-any-return]


def _file_may_query(ctx: CheckContext) -> bool:
    if contains_any(ctx.file.source, QUERY_HINTS):
        return True
    index = model_index(ctx)
    return any(value.rsplit(".", 1)[-1] in index.frameworks for value in ctx.file.imports.values())


def scope_may_query(ctx: CheckContext, node: Node) -> bool:
    """A cheap byte test on the function around `node`: query results are loaded in the function
    that uses them, so a function that mentions no query shape holds none."""
    scope = function_of(ctx, node)
    start, end = (scope.start_byte, scope.end_byte) if scope is not None else (0, len(ctx.file.source))
    offsets = ctx.file.memo(("orm", "scope-hint-offsets"), lambda: _hint_offsets(ctx.file.source))
    first = bisect.bisect_left(offsets, start)  # type: ignore[arg-type]
    return first < len(offsets) and offsets[first] < end  # type: ignore[arg-type,index]


def _hint_offsets(source: bytes) -> list[int]:
    """Where the scope hints occur in the file, sorted: one scan per hint for the whole file,
    then a binary search per function."""
    offsets = [match.start() for match in SCOPE_QUERY_METHODS.finditer(source)]
    for needle in SCOPE_QUERY_HINTS:
        position = source.find(needle)
        while position >= 0:
            offsets.append(position)
            position = source.find(needle, position + 1)
    offsets.sort()
    return offsets


def query_result(ctx: CheckContext, node: Node | None, depth: int = 0) -> QueryResult | None:
    """The multi-row query result `node` evaluates to, or None when it is not one (or unknown)."""
    if node is None or depth > MAX_HOPS:
        return None
    if depth == 0 and not scope_may_query(ctx, node):
        return None
    node = unwrap(node)
    if node.type == "identifier":
        return _bound_query_result(ctx, node, depth)
    if node.type == "call":
        function = node.child_by_field_name("function")
        if function is not None and function.type == "identifier":
            name = ctx.file.qualname(function) or ""
            arguments = scopes.call_positional_arguments(node)
            if name in ROW_PRESERVING_BUILTINS and arguments:
                return query_result(ctx, arguments[0], depth + 1)
            if name.endswith("Paginator") and arguments:
                inner = query_result(ctx, arguments[0], depth + 1)  # Django `Paginator(qs, 25)`
                if inner is not None:
                    return replace(inner, page=True, origin=node, label=short_text(node))
            if (name == "prefetch" or name.endswith(".prefetch")) and arguments:
                inner = query_result(ctx, arguments[0], depth + 1)
                if inner is not None:
                    return replace(inner, prefetched=inner.prefetched | {ALL_RELATIONS}, origin=node,
                                   label=short_text(node))
            return None
    root, links = chain_of(node)
    if not links:
        return None
    seed = _query_seed(ctx, root, links, depth)
    if seed is None:
        return None
    result, rest = seed
    result = _apply_links(ctx, result, rest)
    if result is None:
        return None
    return replace(result, origin=node, label=short_text(node))


def _bound_query_result(ctx: CheckContext, identifier: Node, depth: int) -> QueryResult | None:
    name = text_of(identifier)
    binding = binding_before(ctx, name, identifier)
    if binding is None:
        return None
    assignment, value = binding
    if assignment.type == "augmented_assignment" or _bound_by_enclosing_loop(identifier, name):
        return None
    result = query_result(ctx, value, depth + 1)
    if result is None:
        return None
    prefetched = result.prefetched | _prefetched_in_place(ctx, name, identifier)
    return replace(result, origin=assignment, label=name, prefetched=prefetched)


def _bound_by_enclosing_loop(node: Node, name: str) -> bool:
    for loop in scopes.enclosing_loops(node):
        target, _ = scopes.loop_target_and_iterable(loop)
        if name in scopes.bound_names(target):
            return True
    return False


def _prefetched_in_place(ctx: CheckContext, name: str, before: Node) -> frozenset[str]:
    """Lookups of `prefetch_related_objects(rows, "a", "b")` run on `name` before `before`."""
    calls = ctx.file.memo(("orm", "prefetch-in-place"), lambda: list(ctx.calls_to(("prefetch_related_objects",))))
    if not calls:
        return frozenset()
    found: set[str] = set()
    function = function_of(ctx, before)
    for site in calls:  # type: ignore[attr-defined]
        call = site.node
        if call.start_byte >= before.start_byte or function_of(ctx, call) != function:
            continue
        arguments = scopes.call_positional_arguments(call)
        if arguments and arguments[0].type == "identifier" and text_of(arguments[0]) == name:
            found |= _lookup_names(arguments[1:])
    return frozenset(found)


def _query_seed(ctx: CheckContext, root: Node, links: list[Link], depth: int) -> tuple[QueryResult, list[Link]] | None:
    """Where the rows of a chain come from, and the links applied after that."""
    names = [link.name for link in links]
    # Django: `Order.objects...`, `models.Order.objects...`, `self.model.objects...`
    for i, link in enumerate(links):
        if link.name in DJANGO_MANAGERS and link.call is None:
            model_node = root if i == 0 else links[i - 1].node
            return QueryResult(DJANGO, written_model_name(ctx, model_node), root, ""), links[i + 1:]
    # SQLAlchemy 1.x: `session.query(Order)...`
    for i, link in enumerate(links):
        if link.name == "query" and link.call is not None and is_db_receiver(ctx, root, links[:i], "query"):
            model, plain = _entities(ctx, link.call)
            return QueryResult(SQLALCHEMY, model, root, "", plain_rows=plain), links[i + 1:]
    # Flask-SQLAlchemy: `Order.query...`
    if "query" in names:
        i = names.index("query")
        if links[i].call is None:
            model_node = root if i == 0 else links[i - 1].node
            model = written_model_name(ctx, model_node)
            if model is not None:
                return QueryResult(SQLALCHEMY, model, root, ""), links[i + 1:]
    # SQLAlchemy 2.0: `session.scalars(select(Order))`, `session.execute(select(Order)).scalars()`
    for i, link in enumerate(links):
        if link.call is None:
            continue
        if link.name in ("scalars", "exec") and is_db_receiver(ctx, root, links[:i], link.name):
            return _select_seed(ctx, link.call, depth), links[i + 1:]  # SQLModel `session.exec(select(Hero))`
        if (link.name == "scalars" and i > 0 and links[i - 1].name == "execute" and links[i - 1].call is not None
                and is_db_receiver(ctx, root, links[:i - 1], "execute")):
            return _select_seed(ctx, links[i - 1].call, depth), links[i + 1:]
        if link.name == "paginate" and i == 0 and text_of(root) == "db" and scopes.call_positional_arguments(link.call):
            # Flask-SQLAlchemy 3: `db.paginate(db.select(Order))`, a page of rows
            return replace(_select_seed(ctx, link.call, depth), page=True), links[i + 1:]
    # `Paginator(qs, 25).page(1)`
    if root.type == "call" and (ctx.file.call_name(root) or "").endswith("Paginator"):
        base = query_result(ctx, root, depth + 1)
        if base is not None:
            return base, links
    # `result.scalars()` after `result = session.execute(select(Order))`
    if root.type == "identifier" and links[0].name == "scalars" and links[0].call is not None:
        executed = _executed_select(ctx, root, depth)
        if executed is not None:
            return _select_seed(ctx, executed, depth), links[1:]
    # A chain continued on a variable: `qs.filter(...)` after `qs = Order.objects.all()`
    if root.type == "identifier" and not text_of(root)[:1].isupper() and _may_continue_rows(links):
        base = query_result(ctx, root, depth + 1)
        if base is not None:
            return base, links
        instance = instance_of(ctx, root, depth + 1)
        if instance is not None:
            related = _related_seed(ctx, instance, links)
            if related is not None:
                return related
    # Peewee `Tweet.select(...)`, Tortoise `Event.filter(...)`
    if root.type == "identifier" and links[0].call is not None:
        model = model_class_name(ctx, root)
        framework = model_framework(ctx, model)
        if model is not None and framework == PEEWEE and links[0].name in ("select", "filter"):
            selected = {m for m in (last_segment(a) for a in scopes.call_positional_arguments(links[0].call))
                        if m[:1].isupper()} or {model}
            seed = QueryResult(PEEWEE, model, root, "", joined_models=frozenset(selected))
            return seed, links[1:]
        if model is not None and framework == TORTOISE and links[0].name in TORTOISE_ROWS:
            return QueryResult(TORTOISE, model, root, ""), links
    # DB-API and asyncpg rows, SQLAlchemy Core results
    for i, link in enumerate(links):
        if link.call is None:
            continue
        if link.name in ("fetchall", "fetchmany") or (
            link.name in ("fetch", "fetch_all", "execute", "cursor") and is_db_receiver(ctx, root, links[:i], link.name)
        ):
            return QueryResult(DBAPI, None, root, "", plain_rows=True), links[i + 1:]
    # pymongo / motor: `db.orders.find(...)`
    for i, link in enumerate(links):
        if link.name in MONGO_ROWS and link.call is not None and is_collection(ctx, root, links[:i], link.call):
            return QueryResult(MONGO, None, root, "", plain_rows=True), links[i + 1:]
    return None


def _executed_select(ctx: CheckContext, result: Node, depth: int) -> Node | None:
    """The `session.execute(...)` call a result variable holds, when it runs a statement."""
    if depth > MAX_HOPS:
        return None
    binding = binding_before(ctx, text_of(result), result)
    if binding is None:
        return None
    root, links = chain_of(binding[1])
    if len(links) < 1 or links[-1].name != "execute" or links[-1].call is None:
        return None
    if not is_db_receiver(ctx, root, links[:-1], "execute"):
        return None
    return links[-1].call


def written_model_name(ctx: CheckContext, node: Node) -> str | None:
    """The model class a name in a query stands for: `Order`, `models.Order`, an import alias
    (`from shop.models import Order as OrderModel`) or a migration's `apps.get_model("shop", "Order")`."""
    name = last_segment(node)
    if node.type == "identifier":
        qualified = ctx.file.qualname(node) or name
        if qualified != name and "." in qualified:
            original = qualified.rsplit(".", 1)[-1]
            if original[:1].isupper():
                return original
        binding = binding_before(ctx, name, node) or module_binding(ctx, name)
        if binding is not None:
            fetched = _fetched_model(ctx, binding[1])
            if fetched is not None:
                return fetched
    return name if name[:1].isupper() else None


def _fetched_model(ctx: CheckContext, value: Node) -> str | None:
    """`apps.get_model("shop", "Order")` or `apps.get_model("shop.Order")` -> "Order"."""
    value = unwrap(value)
    if value.type != "call" or not (ctx.file.call_name(value) or "").endswith("get_model"):
        return None
    arguments = scopes.call_positional_arguments(value)
    named = string_value(arguments[-1]) if arguments else None
    if not named:
        return None
    model = named.rsplit(".", 1)[-1]
    return model if model[:1].isupper() and model.isidentifier() else None


def _may_continue_rows(links: list[Link]) -> bool:
    """Whether a chain on a variable can still be rows: only row-preserving methods
    (`qs.filter(...)`, `rows[:10]`) or one relation attribute (`order.items`)."""
    calls = [link for link in links if link.call is not None]
    if not calls:
        return len([link for link in links if link.name != "[]"]) == 1
    return all(link.name in ROW_METHODS for link in calls)


def _related_seed(ctx: CheckContext, instance: Instance, links: list[Link]) -> tuple[QueryResult, list[Link]] | None:
    """`order.items.all()` (Django), `order.items` (SQLAlchemy, Peewee): the rows of a relation."""
    first = links[0]
    if first.call is not None:
        return None
    relation = relation_of(ctx, instance.model, first.name, instance.framework)
    framework = relation.framework if relation is not None else instance.framework
    if relation is None:
        # A manager method on an attribute of a Django model instance: a related manager
        # (`customer.orders.all()`), even when the relation is not in the index.
        rest = links[1:]
        manager_call = bool(rest) and rest[0].call is not None and rest[0].name in DJANGO_MANAGER_ROWS
        if instance.framework != DJANGO or not (first.name.endswith("_set") or manager_call):
            return None
        target = model_index(ctx).model_named(first.name.removesuffix("_set")) if first.name.endswith("_set") else None
        framework = DJANGO
    elif not relation.many:
        return None
    else:
        target = relation.target
    rest = links[1:]
    if framework == DJANGO and (not rest or rest[0].call is None):
        return None  # a Django related manager is not iterable without `.all()`
    rows = instance.rows.below(first.name, target) if instance.rows is not None else QueryResult(
        framework, target, first.node, "", via_relation=True)
    back_reference = relation.via if relation is not None else ""
    return replace(rows, framework=framework, model=target, plain_rows=False, back_reference=back_reference), rest


def _select_seed(ctx: CheckContext, scalars_call: Node, depth: int) -> QueryResult:
    arguments = scopes.call_positional_arguments(scalars_call)
    statement = arguments[0] if arguments else None
    info = _select_statement(ctx, statement, depth + 1) if statement is not None else None
    if info is None:
        return QueryResult(SQLALCHEMY, None, scalars_call, "")
    return info


def _select_statement(ctx: CheckContext, node: Node, depth: int) -> QueryResult | None:
    """`select(Order).where(...).options(selectinload(Order.items))`, possibly through variables."""
    if depth > MAX_HOPS:
        return None
    node = unwrap(node)
    if node.type == "identifier":
        binding = binding_before(ctx, text_of(node), node)
        return _select_statement(ctx, binding[1], depth + 1) if binding is not None else None
    root, links = chain_of(node)
    start = _module_select(links)
    if start is not None:  # `db.select(Order)` (Flask-SQLAlchemy), `sa.select(Order)`
        model, plain = _entities(ctx, links[start].call)  # type: ignore[arg-type]
        base: QueryResult | None = QueryResult(SQLALCHEMY, model, links[start].node, "", plain_rows=plain)
        links = links[start + 1:]
    elif root.type == "identifier" and links:
        base = _select_statement(ctx, root, depth + 1)
    elif root.type == "call" and (ctx.file.call_name(root) or "").rsplit(".", 1)[-1] == "select":
        model, plain = _entities(ctx, root)
        base = QueryResult(SQLALCHEMY, model, root, "", plain_rows=plain)
    else:
        return None
    if base is None:
        return None
    return _apply_links(ctx, base, links)


def _module_select(links: list[Link]) -> int | None:
    """The index of `select(...)` called on a module or the Flask-SQLAlchemy object (`db.select`,
    `sa.select`, `sqlalchemy.sql.select`): only attribute steps come before it."""
    for i, link in enumerate(links):
        if link.call is not None:
            return i if link.name == "select" else None
    return None


def _entities(ctx: CheckContext, call: Node) -> tuple[str | None, bool]:
    """The model of `query(Order)` / `select(Order)`; plain rows for columns or several entities."""
    arguments = scopes.call_positional_arguments(call)
    if len(arguments) != 1:
        return None, True
    entity = arguments[0]
    if entity.type in ("identifier", "attribute"):
        name = last_segment(entity)
        if name[:1].isupper():
            return name, False
        return None, True
    return None, False


def _apply_links(ctx: CheckContext, result: QueryResult, links: list[Link]) -> QueryResult | None:
    """Follow the methods applied to rows: filters keep them rows, `values()` makes them plain,
    loaders record prefetched relations, `get()`/`first()`/`count()` end them."""
    prefetched = set(result.prefetched)
    joined = set(result.joined_models)
    plain = result.plain_rows
    framework = result.framework
    page = result.page
    for link in links:
        name = link.name
        if name == "[]":
            subscript = link.node.child_by_field_name("subscript")
            if subscript is None or subscript.type != "slice":
                return None  # `qs[0]`: one row
            continue
        if link.call is None:
            if page and name in ("items", "object_list"):
                continue  # the rows of a page
            return None  # an attribute of the rows (`.query`, `.model`): not rows
        if name == "paginate" and framework == SQLALCHEMY or page and name in ("page", "get_page"):
            page = True  # Flask-SQLAlchemy `.paginate(...)`, Django `paginator.get_page(n)`
            continue
        if framework == DJANGO or framework == TORTOISE:
            if name in DJANGO_NOT_ROWS or (framework == TORTOISE and name in ("first", "get", "get_or_none")):
                return None
            if name in DJANGO_PLAIN_ROWS:
                plain = True
            elif name == "select_related":
                prefetched |= _lookup_names(scopes.call_positional_arguments(link.call)) or {ALL_FORWARD}
            elif name == "prefetch_related":
                prefetched |= _lookup_names(scopes.call_positional_arguments(link.call))
        elif framework == SQLALCHEMY:
            if name in SA_QUERY_NOT_ROWS or name in SA_RESULT_SINGLE:
                return None
            if name in SA_PLAIN_ROWS:
                plain = True
            elif name == "options":
                prefetched |= _loader_paths(ctx, link.call)
        elif framework == PEEWEE:
            if name in PEEWEE_NOT_ROWS:
                return None
            if name in PEEWEE_PLAIN_ROWS:
                plain = True
            elif name in ("join", "join_from", "left_outer_join"):
                arguments = scopes.call_positional_arguments(link.call)
                if arguments:
                    joined.add(last_segment(arguments[-1] if name == "join_from" else arguments[0]))
        else:  # DB-API, Mongo: plain rows; single-row methods end them
            if name in ("fetchone", "fetchrow", "fetchval", "first", "one", "scalar", "scalar_one", "find_one",
                        "count", "rowcount", "next", "explain", "distinct"):
                return None
    if framework == PEEWEE:
        # A Peewee join fills the relation only when the joined model is selected too.
        selected = set(result.joined_models)
        joined = (joined & selected) - {result.model or ""}
    return replace(result, prefetched=frozenset(prefetched), joined_models=frozenset(joined), plain_rows=plain,
                   page=page)


def _lookup_names(arguments: list[Node]) -> set[str]:
    """`"customer"`, `"items__product"`, `Prefetch("items", queryset=..., to_attr="open_items")`; an
    argument that is not a literal could name anything."""
    names: set[str] = set()
    for argument in arguments:
        value = string_value(argument)
        if value is not None:
            names.add(value)
            continue
        if argument.type == "call":
            inner = scopes.call_positional_arguments(argument)
            lookup = string_value(inner[0]) if inner else None
            if lookup is None:
                names.add(ALL_RELATIONS)
                continue
            names.add(lookup)
            to_attr = scopes.call_keyword_arguments(argument).get("to_attr")
            if to_attr is not None and string_value(to_attr):
                names.add(string_value(to_attr) or "")
            continue
        names.add(ALL_RELATIONS)
    return names


def _loader_paths(ctx: CheckContext, options_call: Node) -> set[str]:
    """Relation paths loaded eagerly by `.options(joinedload(Order.customer), selectinload(Order.items)
    .joinedload(Item.product), raiseload("*"))` -> {"customer", "items", "items__product", "*"}."""
    paths: set[str] = set()
    for option in scopes.call_positional_arguments(options_call):
        root, links = chain_of(option)
        steps: list[tuple[str, Node]] = []
        if root.type == "call":
            steps.append(((ctx.file.call_name(root) or "").rsplit(".", 1)[-1], root))
        for link in links:
            if link.call is not None:
                steps.append((link.name, link.call))
        path: list[str] = []
        for loader, call in steps:
            if loader not in SA_PATH_LOADERS:
                continue
            for argument in scopes.call_positional_arguments(call):
                value = string_value(argument)
                if value == "*":
                    paths.add(ALL_RELATIONS)
                    continue
                if value is not None:
                    path.extend(value.split("."))
                elif argument.type == "attribute":
                    path.append(last_segment(argument))
                elif loader != "Load":
                    paths.add(ALL_RELATIONS)
            if loader in SA_EAGER_LOADERS and path:
                paths.add("__".join(path))
    return paths


@dataclass(frozen=True, slots=True)
class Instance:
    """What is known of a variable holding one model instance."""

    model: str | None
    framework: str
    rows: QueryResult | None = None  # set when the variable is a row of a loop over query results


def instance_of(ctx: CheckContext, node: Node, depth: int = 0) -> Instance | None:
    """The model instance an identifier holds: a loop row of a query result, a single load
    (`get`, `first`, `get_object_or_404`, `session.get`), a constructed `Model(...)`, or a
    parameter annotated with a model class."""
    if node.type != "identifier" or depth > MAX_HOPS:
        return None
    name = text_of(node)
    for loop in scopes.enclosing_loops(node):
        target, iterable = scopes.loop_target_and_iterable(loop)
        row, rows_expression = row_variable(target, iterable)
        if row == name:
            rows = query_result(ctx, rows_expression, depth + 1)
            if rows is None or rows.plain_rows:
                return None
            return Instance(rows.model, rows.framework, rows)
        if name in scopes.bound_names(target):
            return None
    binding = binding_before(ctx, name, node)
    if binding is None:
        function = scopes.enclosing_def(node)
        annotation = scopes.parameter_annotation(function, name) if function is not None else None
        if annotation is not None:
            model = model_class_name(ctx, annotation.named_children[0] if annotation.named_children else annotation)
            if model is not None:
                return Instance(model, model_framework(ctx, model))
        return None
    return _single_instance(ctx, binding[1], depth)


def _single_instance(ctx: CheckContext, value: Node, depth: int) -> Instance | None:
    value = unwrap(value)
    if value.type != "call":
        return None
    function = value.child_by_field_name("function")
    if function is None:
        return None
    if function.type in ("identifier", "attribute"):
        model = model_class_name(ctx, function)
        if model is not None:
            return Instance(model, model_framework(ctx, model))  # `Order(...)`
        name = ctx.file.qualname(function) or ""
        if name.endswith("get_object_or_404"):
            arguments = scopes.call_positional_arguments(value)
            model = model_class_name(ctx, arguments[0]) if arguments else None
            return Instance(model, DJANGO)
    root, links = chain_of(value)
    if not links or links[-1].call is None:
        return None
    last = links[-1].name
    if last == "get" and links[-1].call is not None and is_db_receiver(ctx, root, links[:-1], "get"):
        arguments = scopes.call_positional_arguments(links[-1].call)
        model = model_class_name(ctx, arguments[0]) if arguments else None
        return Instance(model, SQLALCHEMY) if model else None
    if last in ("get", "get_or_none", "get_by_id", "first", "last", "latest", "earliest", "one", "one_or_none",
                "get_or_404", "first_or_404", "create", "aget", "afirst", "acreate", "scalar_one",
                "scalar_one_or_none"):
        rows = query_result(ctx, _without_last_link(value), depth + 1)
        if rows is None and root.type == "identifier" and len(links) == 1:
            model = model_class_name(ctx, root)  # Peewee/Tortoise `Order.get(...)`, `Order.create(...)`
            framework = model_framework(ctx, model)
            if model is not None and framework in (PEEWEE, TORTOISE):
                return Instance(model, framework)
        if rows is not None and not rows.plain_rows:
            return Instance(rows.model, rows.framework)
    return None


def _without_last_link(call: Node) -> Node | None:
    function = call.child_by_field_name("function")
    if function is None or function.type != "attribute":
        return None
    return function.child_by_field_name("object")


def row_variable(target: Node | None, iterable: Node | None) -> tuple[str | None, Node | None]:
    """The name bound to each row, and the rows: `for o in rows`, `for i, o in enumerate(rows)`."""
    if target is None or iterable is None:
        return None, iterable
    if target.type == "identifier":
        return text_of(target), iterable
    inner = unwrap(iterable)
    if inner.type == "call" and target.type in ("pattern_list", "tuple_pattern"):
        function = inner.child_by_field_name("function")
        names = [c for c in target.named_children]
        arguments = scopes.call_positional_arguments(inner)
        if (function is not None and text_of(function) == "enumerate" and len(names) == 2
                and names[1].type == "identifier" and arguments):
            return text_of(names[1]), arguments[0]
    return None, iterable


def model_class_name(ctx: CheckContext, node: Node | None) -> str | None:
    """The model class a name refers to: indexed, imported from a `models` module, or fetched with
    `apps.get_model(...)` (migrations)."""
    if node is None or node.type not in ("identifier", "attribute"):
        return None
    name = last_segment(node)
    if not name[:1].isupper():
        return None
    if model_index(ctx).is_model(name):
        return name
    qualified = ctx.file.qualname(node) or ""
    original = qualified.rsplit(".", 1)[-1]
    if original != name and original[:1].isupper() and model_index(ctx).is_model(original):
        return original  # `from shop.models import Order as OrderModel`
    module = qualified.rsplit(".", 1)[0] if "." in qualified else ""
    if re.search(r"(?:^|\.)(?:models?|entities|tables|orm)(?:\.|$)", module):
        return original if original[:1].isupper() else name
    if node.type == "identifier":
        binding = binding_before(ctx, name, node)
        if binding is not None and binding[1].type == "call":
            if (ctx.file.call_name(binding[1]) or "").endswith(("get_model", "get_user_model")):
                return name
    return None


def model_framework(ctx: CheckContext, model: str | None) -> str:
    """The ORM a model belongs to: from the model index, else from the file's imports."""
    framework = model_index(ctx).framework(model)
    if framework:
        return framework
    return file_framework(ctx)


def file_framework(ctx: CheckContext) -> str:
    def compute() -> str:
        for module, framework in (("tortoise", TORTOISE), ("peewee", PEEWEE), ("playhouse", PEEWEE),
                                  ("django", DJANGO), ("sqlalchemy", SQLALCHEMY), ("flask_sqlalchemy", SQLALCHEMY),
                                  ("sqlmodel", SQLALCHEMY)):
            if ctx.file.imports_module(module):
                return framework
        return ""

    return ctx.file.memo(("orm", "framework"), compute)  # type: ignore[no-any-return]


def relation_of(ctx: CheckContext, model: str | None, attribute: str, framework: str) -> Relation | None:
    """The relation `attribute` of `model` from the index (or Django's auth models)."""
    index = model_index(ctx)
    relation = index.relation(model, attribute)
    if relation is None and model is not None and not index.is_model(model) and framework in (DJANGO, ""):
        relation = DJANGO_AUTH_RELATIONS.get((model, attribute))
    return relation


def guessed_relation(ctx: CheckContext, rows: QueryResult, attribute: str) -> Relation | None:
    """For rows of an unknown or unindexed model: `attribute` when it is a relation of the same name
    on an indexed model of the same framework (and never a `*_id` column)."""
    if attribute.endswith("_id") or rows.framework not in ORM_FRAMEWORKS:
        return None
    index = model_index(ctx)
    candidates = [r for r in index.relations_named(attribute) if r.framework == rows.framework]
    if not candidates or index.is_plain_field_somewhere(attribute):
        return None  # `value`, `status`: a column on some model is as likely as a relation
    if len({(r.many, r.loads_lazily, r.kind) for r in candidates}) != 1:
        return None
    return candidates[0]
