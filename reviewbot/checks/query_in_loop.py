"""RB102: a query or a Redis command on every iteration of a loop that has a bulk form."""

from __future__ import annotations

from collections.abc import Iterator

from reviewbot.checks import _orm
from reviewbot.checks.loop_invariant import LoopInvariantExpensiveCall, repeats_with_same_arguments
from reviewbot.checks.registry import CheckContext, Match, Report, Rule
from reviewbot.findings import Principle, Severity


class QueryInLoop(Rule):
    """## What it does
    Checks for database queries and Redis commands run once per iteration of a loop over a
    collection that is not itself a query result (a list of ids, request data, rows parsed from
    a file): DB-API `cursor.execute`, asyncpg `fetch*`/`execute`, Django `Model.objects.get/create/
    update_or_create`, `filter(...).update()`, `obj.save()`/`delete()`, SQLAlchemy
    `session.execute/get/scalar/commit/flush/refresh` and `query(...).first()`, Peewee
    `get/create/save/execute`, Tortoise `await Model.create/get`, `await obj.save()`,
    pymongo/motor `insert_one/update_one/find_one/replace_one/delete_one`, and Redis commands
    (`get`, `set`, `hset`, `incr`, ...) on a Redis client.

    Not reported: bulk forms (`executemany`, `bulk_create`, `bulk_update`, `in_bulk`,
    `insert_many`, `bulk_write`, a `filter(pk__in=batch)` per batch), `session.add()` in the loop
    with one commit after it, commands on a Redis `pipeline()`, a query that runs at most once
    because a `break`/`return` follows it, loops over a constant tiny collection
    (`for kind in ("a", "b")`), retry loops (`for attempt in range(3)`), loops over chunks or
    pages (`range(0, len(ids), batch_size)`), `while` loops (polling and paging), queries on a
    model or table that changes with each iteration (`for model in apps.get_models():
    model.objects.count()`, `f"TRUNCATE {table}"`) and schema statements (`ALTER`, `CREATE
    EXTENSION`), which have no bulk form. Deliberate repetitions are left alone too: a query every
    N rows, writes in a transaction opened per iteration (`with transaction.atomic():`), a commit
    on a session opened per iteration, in a `try` that rolls the row back alone, or right
    before publishing the row's job; the one-by-one fallback in the `except` of a failed bulk
    insert; `save()`/`delete()` of a model whose class overrides them, or called with a keyword of
    the project's own `save()`; `save()` of an object built in the loop and used once stored; and,
    for items of unknown type, any `delete()` and a `save()` not preceded by a field change. An
    `__in` filter counts as a batch only when its list changes with the loop. Code in tests is not
    reported; code in migrations is reported at a lowered severity.

    When the loop iterates query results, a query per row is an N+1 and RB101
    (n-plus-one-query) reports it instead; the innermost loop that repeats the query decides, so
    a query is never reported by both rules. A query that gets the same arguments on every
    iteration is left to RB304 (loop-invariant-expensive-call) when that rule is enabled: the fix
    is to run it once before the loop, not a bulk form.

    ## Why is this bad?
    Every iteration pays a full round trip to the database or Redis, plus a transaction for
    each write. A loop over a thousand items makes a thousand round trips where one bulk
    statement would do; the endpoint or task slows down in proportion to its input and holds
    connections the rest of the application needs.

    ## Example
    ```python
    def import_products(rows):
        for row in rows:
            Product.objects.create(sku=row["sku"], name=row["name"])
    ```

    ## Use instead
    ```python
    def import_products(rows):
        Product.objects.bulk_create(Product(sku=row["sku"], name=row["name"]) for row in rows)
    ```

    ## References
    - Django: `bulk_create`, `bulk_update`, `in_bulk` (https://docs.djangoproject.com/en/stable/ref/models/querysets/#bulk-create)
    - SQLAlchemy: ORM bulk INSERT and UPDATE (https://docs.sqlalchemy.org/en/20/orm/queryguide/dml.html)
    - psycopg: `executemany` and `COPY` (https://www.psycopg.org/psycopg3/docs/basic/copy.html)
    - redis-py: Pipelines (https://redis.readthedocs.io/en/stable/advanced_features.html#default-pipelines)
    """

    code = "RB102"
    name = "query-in-loop"
    category = "query-in-loop"
    principle = Principle.QUERY_OPTIMIZATION
    severity = Severity.WARNING

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        if not ctx.loops:
            return  # every report is inside a loop
        if ctx.file.path_context == "test":
            return  # tests create and read a handful of fixture rows in loops on purpose
        defer_to_invariant = ctx.config.enables(LoopInvariantExpensiveCall.code, LoopInvariantExpensiveCall.preview)
        for query in _orm.query_calls(ctx):
            loop = _orm.repeating_loop(ctx, query.node)
            if loop is None:
                continue
            if _orm.loop_rows(ctx, loop) is not None:
                continue  # a loop over query results: RB101 reports the query per row
            if _orm.runs_once_per_loop(query.node, loop) or _orm.model_varies_per_iteration(ctx, query, loop):
                continue
            if _orm.runs_by_design_per_iteration(ctx, query, loop):
                continue
            if defer_to_invariant and repeats_with_same_arguments(ctx, query.node):
                continue  # the same query every time: RB304 (loop-invariant) says to hoist it
            line = loop.start_point[0] + 1
            yield Report(query.node, f"`{query.text}` runs {query.what} on every iteration of the loop over "
                                     f"`{_orm.loop_label(ctx, loop)}` (line {line}); {query.bulk_form()}")
