"""The ORM vocabulary the query rules (RB101, RB102, RB103) share.

Three questions, answered from the syntax tree alone:

- `query_result(ctx, expr)` (`rows`): is `expr` a multi-row query result (a Django queryset, an
  SQLAlchemy `session.query(...)`/`scalars(select(...))`, a Flask-SQLAlchemy `Model.query`, a
  Peewee `select()`, an awaited Tortoise `filter()`, DB-API/asyncpg rows, a pymongo/motor cursor),
  of which model, and which relations were loaded with the rows?
- `query_calls(ctx)` (`calls`): which calls in loops run a database query or a Redis command, and
  what is their bulk form?
- `repeating_loop(ctx, node)` (`loops`): which loop repeats a node once per element of a real
  collection?

`vocabulary` holds the names recognised, `syntax` reads chains and bindings, `receivers` tells
what an object a method is called on is.
"""

from __future__ import annotations

from reviewbot.checks._orm.calls import (  # noqa: F401
    QueryCall,
    outermost_of_chain,
    query_call_at,
    query_calls,
)
from reviewbot.checks._orm.loops import (  # noqa: F401
    TINY_ITERABLE_SIZE,
    attribute_accesses,
    is_tiny_constant,
    local_function,
    loop_label,
    loop_rows,
    model_varies_per_iteration,
    repeating_loop,
    runs_by_design_per_iteration,
    runs_once_per_loop,
)
from reviewbot.checks._orm.receivers import (  # noqa: F401
    DB_ANNOTATIONS,
    annotation_name,
    bound_value,
    has_model_argument,
    is_collection,
    is_db_receiver,
    is_redis_receiver,
    is_sqlalchemy_session,
)
from reviewbot.checks._orm.rows import (  # noqa: F401
    Instance,
    QueryResult,
    file_framework,
    file_may_query,
    guessed_relation,
    instance_of,
    model_class_name,
    model_framework,
    model_index,
    query_result,
    relation_of,
    row_variable,
    scope_may_query,
)
from reviewbot.checks._orm.syntax import (  # noqa: F401
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
from reviewbot.checks._orm.vocabulary import (  # noqa: F401
    ALL_FORWARD,
    ALL_RELATIONS,
    CANDIDATE_METHODS,
    DBAPI,
    DBAPI_QUERIES,
    DBAPI_ROWS,
    DJANGO,
    DJANGO_AUTH_RELATIONS,
    DJANGO_COUNT,
    DJANGO_CREATE,
    DJANGO_DELETE,
    DJANGO_INSTANCE_WRITES,
    DJANGO_MANAGER_CACHED,
    DJANGO_MANAGER_QUERIES,
    DJANGO_MANAGER_ROWS,
    DJANGO_MANAGERS,
    DJANGO_NOT_ROWS,
    DJANGO_PLAIN_ROWS,
    DJANGO_READ_ONE,
    DJANGO_UPDATE,
    DJANGO_UPSERT,
    EVALUATING_BUILTINS,
    MAX_HOPS,
    MONGO,
    MONGO_OPERATIONS,
    MONGO_ROWS,
    ORM_FRAMEWORKS,
    PEEWEE,
    PEEWEE_BULK,
    PEEWEE_NOT_ROWS,
    PEEWEE_PLAIN_ROWS,
    PEEWEE_READ_ONE,
    QUERY_HINTS,
    REDIS,
    REDIS_COMMANDS,
    ROW_METHODS,
    ROW_PRESERVING_BUILTINS,
    SA_DB_HELPERS,
    SA_EAGER_LOADERS,
    SA_PATH_LOADERS,
    SA_PLAIN_ROWS,
    SA_QUERY_EXECUTES,
    SA_QUERY_NOT_ROWS,
    SA_RESULT_SINGLE,
    SA_SESSION_QUERIES,
    SCOPE_QUERY_HINTS,
    SCOPE_QUERY_METHODS,
    SQLALCHEMY,
    TORTOISE,
    TORTOISE_INSTANCE_QUERIES,
    TORTOISE_PLAIN_ROWS,
    TORTOISE_ROWS,
)
