"""Calls that run a query (or a Redis command), what they send, and their bulk form."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from reviewbot.checks._orm.receivers import (
    has_model_argument,
    is_collection,
    is_db_receiver,
    is_redis_receiver,
    is_sqlalchemy_session,
)
from reviewbot.checks._orm.rows import (
    Instance,
    file_framework,
    file_may_query,
    instance_of,
    model_class_name,
    model_framework,
    model_index,
    relation_of,
)
from reviewbot.checks._orm.syntax import Link, binding_before, chain_of, last_segment, short_text, text_of
from reviewbot.checks._orm.vocabulary import (
    CANDIDATE_METHODS,
    DBAPI,
    DBAPI_QUERIES,
    DJANGO,
    DJANGO_COUNT,
    DJANGO_CREATE,
    DJANGO_DELETE,
    DJANGO_INSTANCE_WRITES,
    DJANGO_MANAGERS,
    DJANGO_READ_ONE,
    DJANGO_UPDATE,
    DJANGO_UPSERT,
    EVALUATING_BUILTINS,
    MONGO,
    MONGO_OPERATIONS,
    MONGO_ROWS,
    ORM_FRAMEWORKS,
    PEEWEE,
    PEEWEE_BULK,
    REDIS,
    REDIS_COMMANDS,
    SA_DB_HELPERS,
    SA_SESSION_QUERIES,
    SQLALCHEMY,
    TORTOISE,
    TORTOISE_INSTANCE_QUERIES,
    TORTOISE_ROWS,
)
from reviewbot.checks.registry import CheckContext
from reviewbot.source import scopes
from reviewbot.source.parsing import PYTHON, kind_ids


@dataclass(frozen=True, slots=True)
class QueryCall:
    """A call that runs a query (or a Redis command) each time it is evaluated."""

    node: Node  # the outermost expression of the chain (a call or subscript)
    framework: str
    operation: str  # read-one, read-many, count, create, upsert, update, delete, save, execute, commit, command
    model: str | None = None
    model_node: Node | None = None  # the expression naming the model class (`Item`, `model`)

    @property
    def text(self) -> str:
        """The call as written, arguments elided: `Item.objects.get(...)`."""
        return short_text(self.node)

    @property
    def line(self) -> int:
        return self.node.start_point[0] + 1

    @property
    def what(self) -> str:
        """What the call sends to the database: "a query", "an UPDATE", "a commit"."""
        return _WHAT.get(self.operation, "a query")

    def bulk_form(self) -> str:
        """What to use instead of repeating this call."""
        return _BULK_FORMS.get((self.framework, self.operation)) or _BULK_FORMS.get(("", self.operation)) or (
            "load or write all rows in one query outside the loop")


_WHAT = {
    "read-one": "a query",
    "read-many": "a query",
    "count": "a counting query",
    "exists": "an existence query",
    "create": "an INSERT",
    "upsert": "a SELECT and a write",
    "update": "an UPDATE",
    "delete": "a DELETE",
    "save": "a write",
    "execute": "a statement",
    "commit": "a commit",
    "flush": "a flush",
    "link": "a write",
    "fetch": "a query",
    "command": "a Redis round trip",
}


_BULK_FORMS = {
    (DJANGO, "read-one"): "fetch them all at once with `in_bulk(ids)` or `filter(pk__in=ids)`",
    (DJANGO, "read-many"): "fetch all rows once with `filter(<field>__in=...)` and group them in Python",
    (DJANGO, "count"): "count once for all keys with `values(...).annotate(Count(...))`",
    (DJANGO, "exists"): "fetch the existing keys once with `filter(<field>__in=...).values_list(<field>, flat=True)`",
    (DJANGO, "create"): "build the objects and save them with one `bulk_create()`",
    (DJANGO, "upsert"): "load existing rows once with `in_bulk()` and use `bulk_create()`/`bulk_update()`",
    (DJANGO, "update"): "use one `update()` over `filter(pk__in=...)`, or `bulk_update()`",
    (DJANGO, "delete"): "delete in one query: `filter(pk__in=...).delete()`",
    (DJANGO, "save"): "use `bulk_create()`/`bulk_update()` or one `queryset.update()`",
    (DJANGO, "link"): "write the link changes in bulk on the relation's `through` model (`bulk_create()`, or one "
                      "`filter(...).delete()`)",
    (SQLALCHEMY, "read-one"): "load all rows in one `select(...).where(Model.id.in_(ids))`",
    (SQLALCHEMY, "read-many"): "load all rows in one query with `.in_(...)` and group them in Python",
    (SQLALCHEMY, "count"): "count once with `group_by` over all keys",
    (SQLALCHEMY, "execute"): "run one statement with `IN`, or pass a list of parameter sets to one `execute()`",
    (SQLALCHEMY, "commit"): "add the objects in the loop and commit once after it",
    (SQLALCHEMY, "flush"): "add the objects in the loop and flush once after it",
    (SQLALCHEMY, "update"): "run one `update()` with `IN`, or `session.execute(update(Model), rows)`",
    (SQLALCHEMY, "delete"): "run one `delete()` with `IN`",
    (DBAPI, "execute"): "use `executemany()` (or `execute_values`/`copy`) or one statement with `IN`/`ANY`",
    (DBAPI, "read-one"): "fetch all rows at once with `= ANY($1)`/`IN`",
    (DBAPI, "commit"): "commit once after the loop",
    (PEEWEE, "read-one"): "select them in one query with `.where(Model.id.in_(ids))`",
    (PEEWEE, "read-many"): "select all rows once with `.in_(...)` and group them in Python",
    (PEEWEE, "create"): "insert all rows with one `insert_many(...).execute()`",
    (PEEWEE, "save"): "use `bulk_update()` or `insert_many()`",
    (PEEWEE, "execute"): "run one statement with `.in_(...)`, or `insert_many()`",
    (PEEWEE, "count"): "count once with `group_by` over all keys",
    (TORTOISE, "read-one"): "fetch them at once with `filter(id__in=ids)`",
    (TORTOISE, "read-many"): "fetch all rows once with `filter(<field>__in=...)`",
    (TORTOISE, "create"): "build the objects and save them with one `bulk_create()`",
    (TORTOISE, "save"): "use `bulk_update()` or `bulk_create()`",
    (TORTOISE, "fetch"): "fetch the relation for all rows with `prefetch_related()` before the loop",
    (MONGO, "create"): "insert all documents with one `insert_many()`",
    (MONGO, "update"): "send the writes together with `bulk_write()`",
    (MONGO, "delete"): "delete with one `delete_many({\"_id\": {\"$in\": ids}})`",
    (MONGO, "read-one"): "fetch them together with `find({\"_id\": {\"$in\": ids}})`",
    (MONGO, "read-many"): "fetch all documents with one `find({...: {\"$in\": ...}})` or `$lookup`",
    (MONGO, "count"): "count once with an `aggregate` `$group` stage",
    (REDIS, "command"): "batch the commands in a `pipeline()` or use `mget`/`mset`/`hmget`",
    ("", "upsert"): "load existing rows once and write in bulk",
    ("", "exists"): "fetch the existing keys once with one `IN` query",
    ("", "count"): "count once for all keys with one grouped query",
    ("", "save"): "write all rows in one bulk statement",
}


def query_calls(ctx: CheckContext) -> list[QueryCall]:
    """Every call inside a loop that runs a query, in source order (computed once per file)."""
    return ctx.file.memo(("orm", "query-calls"), lambda: _find_query_calls(ctx))  # type: ignore[no-any-return]


def query_call_at(ctx: CheckContext, node: Node) -> QueryCall | None:
    """The query a call (any call, in a loop or not) runs, or None."""
    outer = outermost_of_chain(node)
    return ctx.file.memo(("orm", "query-call", outer.id), lambda: _classify_query(ctx, outer))  # type: ignore[no-any-return]


def _find_query_calls(ctx: CheckContext) -> list[QueryCall]:
    if not ctx.loops or not file_may_query(ctx):
        return []
    found: dict[int, QueryCall] = {}
    seen: set[int] = set()
    # The calls of one chain (`a.f().g()`) start at the same byte; the longest is its top. Climbing
    # from there (to a subscript above) is short, where climbing from each inner call would cost
    # the chain's length every time. The top is found once per start byte, from the first
    # candidate that starts there.
    longest: dict[int, Node] = {}
    for site in ctx.calls_to(CANDIDATE_METHODS):
        if not scopes.may_be_in_loop(site.node):
            continue  # then no loop holds its chain either: a chain's links are not loops
        start = site.node.start_byte
        top = longest.get(start)
        if top is None:
            top = longest[start] = longest_call_starting_with(site.node)
        outer = outermost_of_chain(top)
        if outer.id in seen:
            continue
        seen.add(outer.id)
        if not _in_some_loop(outer):
            continue
        call = query_call_at(ctx, outer)
        if call is not None:
            found[outer.id] = call
    return sorted(found.values(), key=lambda c: c.node.start_byte)


def longest_call_starting_with(call: Node) -> Node:
    """The longest call that starts where `call` does: its highest ancestor call at that byte
    (nodes that start at the same byte nest), or `call` itself."""
    start = call.start_byte
    top = call
    for parent in scopes.ancestors(call):
        if parent.start_byte != start:
            break
        if parent.kind_id in _CALL_KINDS and parent.child_by_field_id(_FUNCTION_FIELD) is not None:
            top = parent
    return top


_CALL_KINDS = kind_ids("call")
_FUNCTION_FIELD = PYTHON.field_id_for_name("function")


def _chain_parent(node: Node) -> Node | None:
    """The call or subscript that continues a chain above `node` (`a.f()` in `a.f().g()`), or None."""
    parent = scopes.parent_of(node)
    if parent is None:
        return None
    if parent.type == "attribute" and parent.child_by_field_name("object") == node:
        grand = scopes.parent_of(parent)
        if grand is not None and grand.type == "call" and grand.child_by_field_name("function") == parent:
            return grand
        return None
    if parent.type == "subscript" and parent.child_by_field_name("value") == node:
        return parent
    return None


def _in_some_loop(node: Node) -> bool:
    """A quick test before the full classification: is any loop around `node` in its function?"""
    if not scopes.may_be_in_loop(node):
        return False
    for parent in scopes.ancestors(node):
        kind = parent.type
        if kind in _LOOP_TYPES:
            return True
        if kind in scopes.SCOPE_TYPES:
            return False
    return False


_LOOP_TYPES = scopes.STATEMENT_LOOP_TYPES | scopes.COMPREHENSION_TYPES


def outermost_of_chain(node: Node) -> Node:
    """`a.filter(x)` inside `a.filter(x).first()` -> the whole chain; stops at other uses."""
    current = node
    for _ in range(64):
        above = _chain_parent(current)
        if above is None:
            break
        current = above
    return current


def _classify_query(ctx: CheckContext, outer: Node) -> QueryCall | None:
    awaited = outer.parent is not None and outer.parent.type == "await"
    root, links = chain_of(outer)
    if not links:
        if outer.type == "call":
            name = ctx.file.call_name(outer) or ""
            if name.endswith(("get_object_or_404", "get_list_or_404")):
                arguments = scopes.call_positional_arguments(outer)
                model = model_class_name(ctx, arguments[0]) if arguments else None
                operation = "read-one" if name.endswith("get_object_or_404") else "read-many"
                return QueryCall(outer, DJANGO, operation, model)
        return None
    evaluated = awaited or _is_evaluated(ctx, outer)
    names = [link.name for link in links]
    last = links[-1]

    # Django managers and querysets
    if any(name in DJANGO_MANAGERS for name in names):
        operation = _django_operation(links, evaluated)
        if operation is None:
            return None
        model_node = _node_before(root, links, DJANGO_MANAGERS)
        model = last_segment(model_node) if model_node is not None else None
        model = model if model and model[:1].isupper() else None
        return QueryCall(outer, DJANGO, operation, model, model_node)

    # SQLAlchemy sessions and queries
    for i, link in enumerate(links):
        if link.call is None:
            continue
        if link.name == "query" and is_db_receiver(ctx, root, links[:i], "query"):
            operation = _sa_query_operation(links[i + 1:], evaluated)
            return QueryCall(outer, SQLALCHEMY, operation) if operation else None
        if link.name in SA_SESSION_QUERIES and is_db_receiver(ctx, root, links[:i], link.name):
            if link.name == "get" and not has_model_argument(ctx, link.call):
                return None
            if link.name in ("execute", "commit") and not is_sqlalchemy_session(ctx, root, links[:i]):
                framework = DBAPI
            else:
                framework = SQLALCHEMY
            operation = {"commit": "commit", "flush": "flush", "get": "read-one", "get_one": "read-one",
                         "refresh": "read-one"}.get(link.name, "execute")
            if framework == SQLALCHEMY and operation == "execute":
                if _has_in_lookup(link.call):
                    return None  # `select(...).where(Model.id.in_(batch))`: one statement per batch
                operation = _sa_statement_operation(ctx, link.call)
            return QueryCall(outer, framework, operation)
        if link.name in DBAPI_QUERIES and is_db_receiver(ctx, root, links[:i], link.name):
            operation = {"commit": "commit", "fetchrow": "read-one", "fetchval": "read-one",
                         "fetch_one": "read-one", "fetch_val": "read-one"}.get(link.name, "execute")
            return QueryCall(outer, DBAPI, operation)
    if names and names[0] == "query" and links[0].call is None and last_segment(root)[:1].isupper():
        operation = _sa_query_operation(links[1:], evaluated)  # Flask-SQLAlchemy `Order.query...`
        return QueryCall(outer, SQLALCHEMY, operation, last_segment(root), root) if operation else None
    if len(links) == 1 and last.name in SA_DB_HELPERS and text_of(root) == "db":
        return QueryCall(outer, SQLALCHEMY, "read-one")

    # pymongo / motor
    for i, link in enumerate(links):
        if link.call is None:
            continue
        if link.name in MONGO_OPERATIONS and not is_redis_receiver(ctx, links[i - 1].node if i else root) and (
            _uses_mongo(ctx) or is_collection(ctx, root, links[:i], link.call)
        ):
            return QueryCall(outer, MONGO, MONGO_OPERATIONS[link.name])
        if link.name in MONGO_ROWS and is_collection(ctx, root, links[:i], link.call):
            if evaluated or "to_list" in names[i:]:
                if _paged(links[i:]):
                    return None
                return QueryCall(outer, MONGO, "read-many")
            return None

    # Redis commands on a client (not on a pipeline)
    if len(links) >= 1 and links[0].call is not None and links[0].name in REDIS_COMMANDS and (
        is_redis_receiver(ctx, root)
    ):
        return QueryCall(outer, REDIS, "command")
    if (len(links) >= 2 and links[1].call is not None and links[1].name in REDIS_COMMANDS and links[0].call is None
            and is_redis_receiver(ctx, links[0].node)):
        return QueryCall(outer, REDIS, "command")

    # Peewee and Tortoise model classes: `Tweet.get(...)`, `await Event.filter(...).first()`
    if root.type in ("identifier", "attribute") and links[0].call is not None:
        model = model_class_name(ctx, root)
        framework = model_framework(ctx, model) if model else ""
        if model is not None and framework == PEEWEE:
            operation = _peewee_operation(links, evaluated)
            return QueryCall(outer, PEEWEE, operation, model, root) if operation else None
        if model is not None and framework == TORTOISE and awaited:
            operation = _tortoise_operation(links)
            return QueryCall(outer, TORTOISE, operation, model, root) if operation else None

    # Instance writes: `order.save()`, `await event.fetch_related("team")`, related managers
    if root.type == "identifier" and links[0].call is not None and len(links) == 1:
        if last.name in DJANGO_INSTANCE_WRITES or last.name in TORTOISE_INSTANCE_QUERIES:
            if last.name in ("save", "asave") and scopes.call_positional_arguments(last.call):  # type: ignore[arg-type]
                return None  # `image.save(path)`, `wb.save(stream)`
            instance = instance_of(ctx, root) or _loop_item_instance(ctx, root, last.name, awaited)
            if instance is None or instance.framework not in ORM_FRAMEWORKS or instance.framework == SQLALCHEMY:
                return None
            if instance.framework == TORTOISE and not awaited:
                return None
            if last.name in _WRITE_KEYWORDS and _runs_custom_write(ctx, instance, last.name, last.call):
                return None
            if last.name in ("save", "asave") and _used_after_first_save(ctx, root, outer):
                return None
            operation = {"delete": "delete", "adelete": "delete", "fetch_related": "fetch"}.get(last.name, "save")
            if last.name in ("refresh_from_db", "arefresh_from_db"):
                operation = "read-one"
            return QueryCall(outer, instance.framework, operation, instance.model)
    if root.type == "identifier" and len(links) >= 2 and links[0].call is None and links[1].call is not None:
        instance = instance_of(ctx, root)
        if instance is not None and instance.framework == DJANGO:
            relation = relation_of(ctx, instance.model, links[0].name, DJANGO)
            if relation is not None and relation.many or (relation is None and links[0].name.endswith("_set")):
                operation = _django_manager_operation(links[1:], evaluated)
                if operation is not None:
                    return QueryCall(outer, DJANGO, operation, relation.target if relation else None)
    return None


# The keywords the ORMs' own `save()`/`delete()` take; any other one is the project's override.
_WRITE_KEYWORDS = {
    **dict.fromkeys(("save", "asave"), frozenset({"update_fields", "using", "force_insert", "force_update", "only",
                                                 "using_db", "force_create"})),
    **dict.fromkeys(("delete", "adelete"), frozenset({"using", "keep_parents", "using_db", "recursive",
                                                     "delete_nullable"})),
}


def _runs_custom_write(ctx: CheckContext, instance: Instance, method: str, call: Node | None) -> bool:
    """`finding.save(dedupe_option=False)`, or a model whose class overrides `save()`/`delete()`: the
    per-row call runs the project's own logic, which a bulk statement would skip."""
    if call is not None and any(keyword not in _WRITE_KEYWORDS[method]
                                for keyword in scopes.call_keyword_arguments(call)):
        return True
    if ctx.file.path_context == "migration" or ctx.file.imports_module("django.db.migrations"):
        return False  # a migration's historical models (`apps.get_model`) have none of the class's methods
    base = method.removeprefix("a") if method.startswith("a") else method
    return model_index(ctx).overrides(instance.model, base) or model_index(ctx).overrides(instance.model, method)


def _used_after_first_save(ctx: CheckContext, root: Node, save: Node) -> bool:
    """`note = Note(...); note.save(); finding.notes.add(note)`: an object built in the loop and
    used once it has its primary key (linked, passed on) is inserted one by one for a reason."""
    loops = scopes.enclosing_loops(save)
    if not loops:
        return False
    name = text_of(root)
    binding = binding_before(ctx, name, save)
    if binding is None or not scopes.contains(loops[0], binding[0]):
        return False
    value = binding[1]
    if value.type != "call" or not last_segment(value)[:1].isupper():
        return False  # not a constructor: `Model(...)`
    pattern = re.compile(rb"(?<![\w.])" + re.escape(name.encode()) + rb"\b")
    return pattern.search(ctx.file.source, save.end_byte, loops[0].end_byte) is not None


def _uses_mongo(ctx: CheckContext) -> bool:
    """A file importing a Mongo driver: `update_one` there is a collection's, where elsewhere it is
    as likely a repository method of the project (`self.service.update_one(id, data)`)."""
    def compute() -> bool:
        return any(ctx.file.imports_module(module) for module in _MONGO_MODULES)

    return ctx.file.memo(("orm", "uses-mongo"), compute)  # type: ignore[no-any-return]


_MONGO_MODULES = ("pymongo", "motor", "mongomock", "mongoengine", "beanie", "bson", "odmantic")


def _loop_item_instance(ctx: CheckContext, root: Node, method: str, awaited: bool) -> Instance | None:
    """`for product in products: product.save()` in a file of an ORM with active records: an item of
    the collection a loop walks is most likely a model instance, even when the collection's origin
    is unknown (a parameter). Forms and serializers, whose `save()` is theirs, are left out.

    Only a `save()` after the loop changed a field of the item (`product.price = ...`) counts: that
    is the shape `bulk_update()` replaces. A bare `item.save()` or `item.delete()` on an item of
    unknown type is as often a model whose own `save()`/`delete()` does the work on purpose
    (signals, change logs, cascades)."""
    if method not in ("save", "asave"):
        return None
    framework = file_framework(ctx)
    if framework not in (DJANGO, PEEWEE, TORTOISE) or (framework == TORTOISE and not awaited):
        return None
    name = text_of(root)
    for loop in scopes.enclosing_loops(root):
        target, iterable = scopes.loop_target_and_iterable(loop)
        if target is None or target.type != "identifier" or text_of(target) != name:
            continue
        if _NOT_MODEL_ITEM.search(name) or _NOT_MODEL_ITEM.search(text_of(iterable)):
            return None
        body = loop.child_by_field_name("body")
        if body is None or not _assigns_field_before(ctx, name, body.start_byte, root.start_byte):
            return None
        return Instance(None, framework)
    return None


def _assigns_field_before(ctx: CheckContext, name: str, start: int, end: int) -> bool:
    """Whether `name.<field> = ...`, `name.<field>[key] = ...` or `setattr(name, ...)` is written
    between `start` and `end`."""
    pattern = re.compile(rb"(?<![\w.])" + re.escape(name.encode()) + rb"\.\w+(?:\[[^\]\n]*\])*\s*(?:=(?!=)|[-+*/|&]=)"
                         rb"|setattr\(\s*" + re.escape(name.encode()) + rb"\s*,")
    return pattern.search(ctx.file.source, start, end) is not None


_NOT_MODEL_ITEM = re.compile(r"form|serializer|file|image|upload|workbook|sheet|document|doc\b|model\b", re.I)


def _node_before(root: Node, links: list[Link], markers: frozenset[str]) -> Node | None:
    for i, link in enumerate(links):
        if link.name in markers:
            return root if i == 0 else links[i - 1].node
    return None


def _django_operation(links: list[Link], evaluated: bool) -> str | None:
    after = False
    operation = None
    for link in links:
        if link.name in DJANGO_MANAGERS:
            after = True
            continue
        if not after or link.call is None:
            continue
        if _has_in_lookup(link.call):
            return None  # `filter(pk__in=chunk)`: already the bulk form
        operation = _django_method_operation(link.name) or operation
    if operation is not None:
        return operation
    last = links[-1]
    if last.name == "[]":
        subscript = last.node.child_by_field_name("subscript")
        return "read-one" if subscript is not None and subscript.type != "slice" else (
            None if _paged(links) else ("read-many" if evaluated else None))
    if evaluated and last.call is not None and not _paged(links):
        return "read-many"
    return None


def _django_method_operation(name: str) -> str | None:
    if name in DJANGO_READ_ONE:
        return "read-one"
    if name in ("exists", "aexists", "contains", "acontains"):
        return "exists"
    if name in DJANGO_COUNT:
        return "count"
    if name in DJANGO_CREATE:
        return "create"
    if name in DJANGO_UPSERT:
        return "upsert"
    if name in DJANGO_UPDATE:
        return "update"
    if name in DJANGO_DELETE:
        return "delete"
    return None


def _django_manager_operation(links: list[Link], evaluated: bool) -> str | None:
    """`order.items.filter(...).count()`, `user.groups.add(group)`, `list(order.items.all())`."""
    for link in links:
        if link.call is None:
            return None
        if link.name in ("add", "remove", "set", "clear"):
            return "link"
    operation = _django_method_operation(links[-1].name)
    if operation is not None:
        return operation
    return "read-many" if evaluated else None


def _sa_query_operation(links: list[Link], evaluated: bool) -> str | None:
    for link in links:
        if link.call is not None and _has_in_lookup(link.call):
            return None
    for link in reversed(links):
        if link.call is None:
            continue
        if link.name in ("first", "one", "one_or_none", "scalar", "get", "get_or_404", "first_or_404",
                         "one_or_404"):
            return "read-one"
        if link.name in ("count", "exists"):
            return link.name
        if link.name in ("update", "delete"):
            return link.name
        if link.name in ("all", "paginate"):
            return None if _paged(links) else "read-many"
        break
    return "read-many" if evaluated and not _paged(links) else None


def _sa_statement_operation(ctx: CheckContext, execute_call: Node) -> str:
    arguments = scopes.call_positional_arguments(execute_call)
    if not arguments:
        return "execute"
    statement = arguments[0]
    root, _links = chain_of(statement)
    name = (ctx.file.call_name(root) or "").rsplit(".", 1)[-1] if root.type == "call" else ""
    if name == "select":
        return "read-many"
    if name in ("update", "delete"):
        return name
    return "execute"


def _peewee_operation(links: list[Link], evaluated: bool) -> str | None:
    names = [link.name for link in links]
    if any(name in PEEWEE_BULK for name in names):
        return None
    if any(link.call is not None and _has_in_lookup(link.call) for link in links):
        return None
    last = names[-1]
    if last in ("get", "get_or_none", "get_by_id", "first", "scalar", "peek"):
        return "read-one"
    if last in ("create", "get_or_create"):
        return "create"
    if last in ("count", "exists"):
        return last
    if last == "save":
        return "save"
    if last == "execute":
        return "execute"
    if names[0] in ("select", "filter") and evaluated and not _paged(links):
        return "read-many"
    return None


def _tortoise_operation(links: list[Link]) -> str | None:
    if any(link.call is not None and _has_in_lookup(link.call) for link in links):
        return None
    names = [link.name for link in links]
    if any(name in ("bulk_create", "bulk_update", "in_bulk") for name in names):
        return None
    last = names[-1]
    if last in ("get", "get_or_none", "first", "last"):
        return "read-one"
    if last in ("create",):
        return "create"
    if last in ("get_or_create", "update_or_create"):
        return "upsert"
    if last in ("count", "exists"):
        return last
    if last in ("update", "delete"):
        return last
    if names[0] in TORTOISE_ROWS and not _paged(links):
        return "read-many"
    return None


def _paged(links: list[Link]) -> bool:
    """An offset is applied: the loop pages through a result, one page per iteration."""
    for link in links:
        if link.name in ("offset", "skip", "paginate", "slice"):
            return True
        if link.name == "[]":
            subscript = link.node.child_by_field_name("subscript")
            if subscript is not None and subscript.type == "slice" and subscript.children[0].type != ":":
                return True
    return False


_IN_VARIABLE = re.compile(rb"\.in_\(\s*(?:(?:list|set|tuple|sorted)\(\s*)?([a-z_][a-z0-9_]*)\s*\)")


def _has_in_lookup(call: Node) -> bool:
    """`filter(pk__in=batch)`, `.where(Model.id.in_(batch))` with a batch of keys that changes with
    each iteration (the loop's variable, or a name the loop assigns): one query per batch, batched
    by design. An `__in` over a list fixed before the loop (`product_id__in=excluded_ids`) is an
    ordinary filter of a query that still runs once per row; `status__in=["a", "b"]` and
    `ACTIVE_STATES` are ordinary filters."""
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return False
    for argument in arguments.named_children:
        if argument.type == "keyword_argument":
            name = argument.child_by_field_name("name")
            value = argument.child_by_field_name("value")
            if name is None or value is None or not text_of(name).endswith("__in"):
                continue
            if value.type == "call" and last_segment(value) in ("list", "set", "tuple", "sorted"):
                inner = scopes.call_positional_arguments(value)
                value = inner[0] if len(inner) == 1 else value
            if value.type == "identifier" and not text_of(value).isupper() and _is_batch_name(text_of(value), call):
                return True
        else:
            for match in _IN_VARIABLE.finditer(argument.text or b""):
                if _is_batch_name(match.group(1).decode(), call):
                    return True
    return False


def _is_batch_name(name: str, call: Node) -> bool:
    """Whether `name` changes with the innermost loop around `call`: its variable, or assigned in
    its body before the call (a list fixed for the loop, even if an outer loop rebuilds it, is an
    ordinary filter of each iteration's query). Outside any loop every `__in` list counts as a batch."""
    loops = scopes.enclosing_loops(call)
    if not loops:
        return True
    loop = loops[0]
    target, _iterable = scopes.loop_target_and_iterable(loop)
    if target is not None and name in scopes.bound_names(target):
        return True
    assigned = re.compile(rb"(?<![\w.])" + re.escape(name.encode()) + rb"\s*(?::[^=\n]*)?(?:=(?!=)|\+=)")
    return assigned.search(loop.text or b"", 0, max(0, call.start_byte - loop.start_byte)) is not None


def _is_evaluated(ctx: CheckContext, node: Node) -> bool:
    """Whether a lazy query expression is run where it stands: iterated, listed, counted, tested."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type in ("for_statement", "for_in_clause") and parent.child_by_field_name("right") == node:
        return True
    if parent.type in ("if_statement", "while_statement", "elif_clause") and (
        parent.child_by_field_name("condition") == node
    ):
        return True
    if parent.type in ("not_operator", "await"):
        return True
    if parent.type == "argument_list" and parent.parent is not None and parent.parent.type == "call":
        function = parent.parent.child_by_field_name("function")
        if function is not None and function.type == "identifier" and text_of(function) in EVALUATING_BUILTINS:
            return True
    return False
