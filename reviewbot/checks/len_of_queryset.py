"""RB103: counting rows by loading them (`len(queryset)`), and `count() > 0` for existence."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from reviewbot.checks import _orm
from reviewbot.checks._orm import QueryResult
from reviewbot.checks.registry import CheckContext, Match, Report, Rule
from reviewbot.findings import Principle, Severity
from reviewbot.source import scopes

_COUNT_INSTEAD = {
    _orm.DJANGO: "`{rows}.count()`",
    _orm.SQLALCHEMY: "`.count()` on the query, or `select(func.count()).select_from(...)`",
    _orm.PEEWEE: "`{rows}.count()`",
    _orm.TORTOISE: "`await {rows}.count()`",
    _orm.DBAPI: "`SELECT COUNT(*)` in the query",
    _orm.MONGO: "`count_documents(filter)`",
}
_EXISTS_INSTEAD = {
    _orm.DJANGO: "`{rows}.exists()`",
    _orm.SQLALCHEMY: "an `EXISTS` query (`session.scalar(select(exists().where(...)))`) or `.first()` on the query",
    _orm.PEEWEE: "`{rows}.exists()`",
    _orm.TORTOISE: "`await {rows}.exists()`",
}
# (operator, literal) pairs meaning "at least one" or "none" with the count on the left
_EXISTENCE_TESTS = {(">", "0"), ("!=", "0"), (">=", "1"), ("==", "0"), ("<", "1"), ("<=", "0")}
_MIRRORED = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}


class LenOfQueryset(Rule):
    """## What it does
    Checks for counting query results by loading them: `len()` of a queryset or a result list
    (`len(Order.objects.filter(...))`, `len(session.query(Order).all())`,
    `len(cursor.fetchall())`, `len(list(collection.find(...)))`), and, at info severity,
    `count()` compared with zero to test whether any row exists (`qs.count() > 0`, `!= 0`,
    `>= 1`, `== 0`).

    Not reported: `len()` of a variable that the function also uses otherwise (iterates,
    indexes, returns): the rows are loaded anyway and `len()` then costs no query; `len()` of
    plain lists and of request data; `len()` of a relation that was prefetched with the rows, of
    an SQLAlchemy relationship collection (a list loaded once for every use) and of one page of
    rows; counts inside assertions (`assert len(rows) == 0`, `self.assertEqual(...)`); code in
    tests.

    ## Why is this bad?
    `len()` fetches every matching row and builds a Python object for each just to count them;
    `SELECT COUNT(*)` returns one number. On a large table that is the difference between
    milliseconds and seconds, plus the memory for all rows. `count() > 0` still counts every
    match when the database could stop at the first one with `EXISTS`.

    ## Example
    ```python
    def dashboard(request):
        open_orders = len(Order.objects.filter(status="open"))
        has_refunds = Refund.objects.filter(user=request.user).count() > 0
    ```

    ## Use instead
    ```python
    def dashboard(request):
        open_orders = Order.objects.filter(status="open").count()
        has_refunds = Refund.objects.filter(user=request.user).exists()
    ```

    ## References
    - Django: `count()` and `exists()` (https://docs.djangoproject.com/en/stable/ref/models/querysets/#count)
    - Django: Database access optimization (https://docs.djangoproject.com/en/stable/topics/db/optimization/#don-t-retrieve-things-you-don-t-need)
    - SQLAlchemy: `Query.count` (https://docs.sqlalchemy.org/en/20/orm/queryguide/query.html)
    """

    code = "RB103"
    name = "len-of-queryset"
    category = "count-via-len"
    principle = Principle.QUERY_OPTIMIZATION
    severity = Severity.WARNING

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        if ctx.file.path_context == "test" or not _orm.file_may_query(ctx):
            return  # a test asserts how many rows it made; the count is the point
        yield from self._lengths(ctx)
        yield from self._existence_counts(ctx)

    def _lengths(self, ctx: CheckContext) -> Iterator[Report]:
        for site in ctx.calls_to(("len",)):
            if site.name != "len":
                continue
            arguments = scopes.call_positional_arguments(site.node)
            if len(arguments) != 1:
                continue
            argument = arguments[0]
            if _counts_distinct(ctx, argument) or _in_assertion(site.node):
                continue
            rows = _orm.query_result(ctx, argument)
            if rows is None or not _counts_loaded_rows(ctx, argument, rows, site.node):
                continue
            shown = _orm.short_text(argument)
            if _compares_with_zero(site.node) and rows.framework in _EXISTS_INSTEAD:
                instead = _EXISTS_INSTEAD[rows.framework].format(rows=shown.removesuffix(".all()"))
            else:
                rows_text = shown.removesuffix(".all()") if rows.framework != _orm.SQLALCHEMY else shown
                instead = _COUNT_INSTEAD[rows.framework].format(rows=rows_text)
            loaded = f" (loaded at line {rows.line})" if argument.type == "identifier" else ""
            yield Report(site.node, f"`len({shown})` loads every row{loaded} only to count them; use {instead}")

    def _existence_counts(self, ctx: CheckContext) -> Iterator[Report]:
        for site in ctx.calls_to(("count",)):
            call = site.node
            if scopes.call_positional_arguments(call) or scopes.call_keyword_arguments(call):
                continue
            comparison = _existence_comparison(call)
            if comparison is None or _in_assertion(comparison):
                continue
            function = call.child_by_field_name("function")
            receiver = function.child_by_field_name("object") if function is not None else None
            if receiver is None:
                continue
            rows = _orm.query_result(ctx, receiver) or _single_object_relation(ctx, receiver)
            if rows is None or rows.framework not in _EXISTS_INSTEAD:
                continue
            if rows.via_relation and _relation_of_loop_row(ctx, receiver):
                continue
            instead = _EXISTS_INSTEAD[rows.framework].format(rows=_orm.short_text(receiver))
            yield Report(comparison, f"`{_orm.short_text(comparison)}` counts every matching row to test "
                                     f"for one; use {instead}", severity=Severity.INFO)


def _counts_distinct(ctx: CheckContext, argument: Node) -> bool:
    """`len(set(qs.values_list("x", flat=True)))` counts distinct values, not rows."""
    argument = _orm.unwrap(argument)
    return argument.type == "call" and ctx.file.call_name(argument) in ("set", "frozenset", "dict", "Counter",
                                                                          "collections.Counter")


def _counts_loaded_rows(ctx: CheckContext, argument: Node, rows: QueryResult, len_call: Node) -> bool:
    """Whether `len()` is the only use of the rows (else they are loaded for other use anyway)."""
    argument = _orm.unwrap(argument)
    if rows.via_relation and _relation_of_loop_row(ctx, argument):
        return False  # `len(row.items.all())` in a loop reads the prefetch cache (or is an N+1: RB101)
    if rows.page:
        return False  # `len(page.items)`: one page, loaded to be shown
    if rows.via_relation and rows.framework == _orm.SQLALCHEMY and argument.type == "attribute":
        return False  # `len(trade.orders)`: an SQLAlchemy collection is a list, loaded once for every use
    if argument.type != "identifier":
        return True  # `len(Order.objects.filter(...))`: a query of its own, whatever else is loaded
    return not _used_elsewhere(ctx, _orm.text_of(argument), len_call)


def _used_elsewhere(ctx: CheckContext, name: str, len_call: Node) -> bool:
    """Whether `name` is read anywhere in the function besides this `len()` and the assignments
    that build it (`qs = qs.filter(...)`)."""
    scope = scopes.enclosing_function(len_call) or ctx.file.root
    pattern = re.compile(rb"(?<![\w.])" + re.escape(name.encode()) + rb"\b")
    for match in pattern.finditer(ctx.file.source, scope.start_byte, scope.end_byte):
        node = ctx.file.root.descendant_for_byte_range(match.start(), match.end())
        if node is None or node.type != "identifier" or node.start_byte != match.start():
            continue
        if scopes.contains(len_call, node):
            continue
        parent = node.parent
        if parent is not None and parent.type == "keyword_argument" and parent.child_by_field_name("name") == node:
            continue
        if _assigns_or_builds(node, name):
            continue
        return True
    return False


def _assigns_or_builds(node: Node, name: str) -> bool:
    for parent in scopes.ancestors(node):
        if parent.type in ("assignment", "augmented_assignment"):
            left = parent.child_by_field_name("left")
            return left is not None and _orm.text_of(left) == name
        if parent.type in ("block", "module", "function_definition"):
            return False
    return False


def _in_assertion(node: Node) -> bool:
    """`assert len(qs) == 2`, `self.assertEqual(qs.count(), 0)`: a check of what the code did,
    where the count is the point (code outside the configured test paths asserts too)."""
    for parent in scopes.ancestors(node):
        if parent.type == "assert_statement":
            return True
        if parent.type == "call":
            function = parent.child_by_field_name("function")
            name = _orm.last_segment(function) if function is not None else ""
            if name.startswith(("assert", "assert_")):
                return True
        if parent.type in ("expression_statement", "block", "function_definition"):
            return False
    return False


def _compares_with_zero(call: Node) -> bool:
    return _existence_comparison(call) is not None


def _existence_comparison(call: Node) -> Node | None:
    """The comparison around `call` when it tests for zero or at least one: `n > 0`, `0 == n`."""
    node = call
    parent = node.parent
    while parent is not None and parent.type in ("await", "parenthesized_expression"):
        node, parent = parent, parent.parent
    if parent is None or parent.type != "comparison_operator" or parent.child_count != 3:
        return None
    left, operator, right = parent.children
    if left == node and right.type == "integer":
        pair = (operator.type, _orm.text_of(right))
    elif right == node and left.type == "integer":
        pair = (_MIRRORED.get(operator.type, ""), _orm.text_of(left))
    else:
        return None
    return parent if pair in _EXISTENCE_TESTS else None


def _single_object_relation(ctx: CheckContext, receiver: Node) -> QueryResult | None:
    """`order.items` of a singly loaded `order` (Django related managers count in the database)."""
    root, links = _orm.chain_of(receiver)
    if root.type != "identifier" or len(links) != 1 or links[0].call is not None:
        return None
    instance = _orm.instance_of(ctx, root)
    if instance is None or instance.rows is not None or instance.framework != _orm.DJANGO:
        return None
    relation = _orm.relation_of(ctx, instance.model, links[0].name, _orm.DJANGO)
    if relation is None or not relation.many:
        return None
    return QueryResult(_orm.DJANGO, relation.target, receiver, _orm.short_text(receiver), via_relation=True)


def _relation_of_loop_row(ctx: CheckContext, node: Node) -> bool:
    root, _links = _orm.chain_of(node)
    if root.type != "identifier":
        return False
    instance = _orm.instance_of(ctx, root)
    return instance is None or instance.rows is not None
