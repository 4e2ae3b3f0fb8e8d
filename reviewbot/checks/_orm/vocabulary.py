"""The names the query rules recognise: frameworks, the methods that keep rows rows or run a
query, loader options, and the byte strings a file or function holding a query must contain."""

from __future__ import annotations

import re

from reviewbot.source.models import Relation

DJANGO = "django"


SQLALCHEMY = "sqlalchemy"


PEEWEE = "peewee"


TORTOISE = "tortoise"


DBAPI = "dbapi"


MONGO = "mongo"


REDIS = "redis"


ORM_FRAMEWORKS = frozenset({DJANGO, SQLALCHEMY, PEEWEE, TORTOISE})


ALL_RELATIONS = "*"  # every relation of the rows was loaded with them (Peewee `prefetch`, unknown lookups)


ALL_FORWARD = "*forward"  # Django `select_related()` without arguments: every forward relation


MAX_HOPS = 6  # how many assignments and chain roots to follow back from a loop


# A file without any of these byte strings cannot hold a query the rules recognise.
QUERY_HINTS = (
    b"objects", b"query", b"select", b"scalars", b"execute", b"fetch", b"find", b"cursor", b"session", b"commit",
    b"redis", b"Redis", b"models", b"tortoise", b"peewee", b"insert_one", b"update_one", b"replace_one",
    b"delete_one", b"count_documents", b"_set.",
)


# A function without any of these loads no query result itself (query results are loaded in
# the function that uses them; `get(Model, ...)`, `get_object_or_404` and `.first()` load the
# single objects whose relations are iterated). Most are method calls: one pattern that starts
# with a dot lets the regular expression engine jump from dot to dot.
SCOPE_QUERY_METHODS = re.compile(
    rb"\.(?:objects|query|scalars\(|execute|fetch|find\(|aggregate\(|cursor|all\(\)|filter\(|exclude\(|count\(\)"
    rb"|exists\(\)|iterator\(|values\(['\"]|values_list|prefetch|select_related|order_by\(|annotate\(|distinct\("
    rb"|get_or_404|get\(\s*[A-Z]|first\(\)|one\(\)|one_or_none\(\)|select\()"
)


SCOPE_QUERY_HINTS = (b"select(", b"get_object_or_404", b"prefetch(", b"prefetch_related_objects", b"_set.")


DJANGO_MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})


DJANGO_PLAIN_ROWS = frozenset({"values", "values_list"})


DJANGO_READ_ONE = frozenset({"get", "first", "last", "latest", "earliest", "aget", "afirst", "alast", "alatest",
                             "aearliest"})


DJANGO_COUNT = frozenset({"count", "exists", "aggregate", "contains", "acount", "aexists", "aaggregate",
                          "acontains"})


DJANGO_CREATE = frozenset({"create", "acreate"})


DJANGO_UPSERT = frozenset({"get_or_create", "update_or_create", "aget_or_create", "aupdate_or_create"})


DJANGO_UPDATE = frozenset({"update", "aupdate"})


DJANGO_DELETE = frozenset({"delete", "adelete"})


DJANGO_NOT_ROWS = DJANGO_READ_ONE | DJANGO_COUNT | DJANGO_CREATE | DJANGO_UPSERT | DJANGO_UPDATE | DJANGO_DELETE | {
    "in_bulk", "ain_bulk", "bulk_create", "bulk_update", "abulk_create", "abulk_update", "explain", "exclude_none"}


DJANGO_INSTANCE_WRITES = frozenset({"save", "delete", "refresh_from_db", "asave", "adelete", "arefresh_from_db"})


# Methods of a related manager that run a query even when the relation was prefetched.
DJANGO_MANAGER_QUERIES = frozenset(
    {"filter", "exclude", "order_by", "get", "annotate", "aggregate", "values", "values_list", "latest",
     "earliest", "create", "add", "remove", "set", "clear", "update", "delete", "get_or_create",
     "update_or_create", "select_related", "prefetch_related", "distinct", "only", "defer", "in_bulk",
     "iterator", "afirst", "acount", "aexists", "aget", "acreate"}
)


# Methods that make rows from a related manager (`customer.orders.filter(...)`).
DJANGO_MANAGER_ROWS = frozenset({"all", "filter", "exclude", "order_by", "select_related", "prefetch_related",
                                 "annotate", "distinct", "only", "defer", "values", "values_list"})


# Methods answered from the prefetch cache.
DJANGO_MANAGER_CACHED = frozenset({"all", "count", "exists", "first", "last"})


# Builtin relations of django.contrib.auth, used when the project does not define its own user model.
DJANGO_AUTH_RELATIONS = {
    ("User", "groups"): Relation("User", "groups", "Group", "many-to-many", many=True, framework=DJANGO,
                                 declared_as="ManyToManyField"),
    ("User", "user_permissions"): Relation("User", "user_permissions", "Permission", "many-to-many", many=True,
                                           framework=DJANGO, declared_as="ManyToManyField"),
    ("Group", "permissions"): Relation("Group", "permissions", "Permission", "many-to-many", many=True,
                                       framework=DJANGO, declared_as="ManyToManyField"),
    ("Permission", "content_type"): Relation("Permission", "content_type", "ContentType", "foreign-key",
                                             framework=DJANGO, declared_as="ForeignKey"),
}


SA_QUERY_EXECUTES = frozenset({"all", "first", "one", "one_or_none", "scalar", "get", "count", "update", "delete",
                               "get_or_404", "first_or_404", "one_or_404", "paginate", "exists"})


SA_QUERY_NOT_ROWS = SA_QUERY_EXECUTES - {"all"}


SA_PLAIN_ROWS = frozenset({"with_entities", "values", "add_columns", "add_entity", "mappings", "tuples"})


SA_SESSION_QUERIES = frozenset({"execute", "scalar", "scalars", "get", "get_one", "commit", "flush", "refresh",
                                "exec"})  # `exec`: SQLModel's session


SA_RESULT_SINGLE = frozenset({"first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none",
                              "fetchone"})


SA_EAGER_LOADERS = frozenset({"joinedload", "selectinload", "subqueryload", "contains_eager", "raiseload",
                              "immediateload", "noload"})


SA_PATH_LOADERS = SA_EAGER_LOADERS | {"defaultload", "lazyload", "Load"}


SA_DB_HELPERS = frozenset({"get_or_404", "first_or_404", "one_or_404"})  # Flask-SQLAlchemy `db.get_or_404(...)`


PEEWEE_PLAIN_ROWS = frozenset({"dicts", "tuples", "namedtuples"})


PEEWEE_NOT_ROWS = frozenset({"get", "get_or_none", "first", "scalar", "count", "exists", "get_by_id", "create",
                             "get_or_create", "insert", "update", "delete", "execute", "insert_many", "replace",
                             "insert_from", "bulk_create", "bulk_update", "peek"})


PEEWEE_READ_ONE = frozenset({"get", "get_or_none", "get_by_id", "first", "scalar", "peek"})


PEEWEE_BULK = frozenset({"insert_many", "insert_from", "bulk_create", "bulk_update"})


TORTOISE_PLAIN_ROWS = frozenset({"values", "values_list"})


TORTOISE_ROWS = frozenset({"filter", "exclude", "all", "order_by", "limit", "offset", "prefetch_related",
                           "select_related", "annotate", "distinct", "only", "group_by", "using_db",
                           "select_for_update", "values", "values_list"})


TORTOISE_INSTANCE_QUERIES = frozenset({"save", "delete", "fetch_related", "refresh_from_db"})


DBAPI_ROWS = frozenset({"fetchall", "fetchmany", "fetch", "fetch_all"})


DBAPI_QUERIES = frozenset({"execute", "fetch", "fetchrow", "fetchval", "fetch_all", "fetch_one", "fetch_val",
                           "commit"})


MONGO_OPERATIONS = {
    "insert_one": "create", "update_one": "update", "update_many": "update", "replace_one": "update",
    "delete_one": "delete", "delete_many": "delete", "find_one": "read-one", "find_one_and_update": "update",
    "find_one_and_replace": "update", "find_one_and_delete": "delete", "count_documents": "count",
}


MONGO_ROWS = frozenset({"find", "aggregate"})


REDIS_COMMANDS = frozenset(
    {"get", "set", "setex", "setnx", "psetex", "getset", "getdel", "hget", "hset", "hgetall", "hmget", "hmset",
     "hincrby", "hdel", "hexists", "hkeys", "hvals", "incr", "incrby", "decr", "decrby", "expire", "expireat",
     "ttl", "delete", "exists", "sadd", "srem", "smembers", "sismember", "scard", "lpush", "rpush", "lpop", "rpop",
     "lrange", "llen", "zadd", "zrem", "zscore", "zincrby", "zrange", "zrangebyscore", "zrevrange", "zcard",
     "pexpire"}
)


# Methods after which rows are still rows (or become them), in any of the supported libraries.
ROW_METHODS = (
    DJANGO_MANAGER_ROWS | TORTOISE_ROWS | PEEWEE_PLAIN_ROWS | SA_PLAIN_ROWS | DBAPI_ROWS | MONGO_ROWS
    | {"iterator", "reverse", "none", "using", "extra", "raw", "union", "intersection", "difference", "alias",
       "select_for_update", "complex_filter", "filter_by", "join", "outerjoin", "options", "where", "limit",
       "offset", "group_by", "having", "yield_per", "execution_options", "select_from", "scalars", "unique",
       "execute", "cursor", "select", "switch", "objects", "paginate", "join_from", "sort", "skip", "batch_size",
       "to_list", "query", "page", "get_page"}
)


ROW_PRESERVING_BUILTINS = frozenset({"list", "sorted", "tuple", "reversed", "set", "iter"})


EVALUATING_BUILTINS = frozenset({"list", "len", "sorted", "tuple", "set", "sum", "any", "all", "bool", "max",
                                 "min", "dict", "next", "iter", "enumerate", "frozenset"})


# Every query chain holds at least one of these names (the chain is then read from its outermost call).
CANDIDATE_METHODS = (
    DJANGO_READ_ONE | DJANGO_COUNT | DJANGO_CREATE | DJANGO_UPSERT | DJANGO_UPDATE | DJANGO_DELETE
    | DJANGO_INSTANCE_WRITES | {"all", "filter", "exclude", "order_by", "values_list", "select_related",
                                "prefetch_related", "add", "remove", "clear"}
    | SA_QUERY_EXECUTES | SA_SESSION_QUERIES | SA_DB_HELPERS | {"query"}
    | PEEWEE_READ_ONE | {"get_or_none", "get_by_id", "execute", "select", "fetch_related"}
    | DBAPI_QUERIES | set(MONGO_OPERATIONS) | MONGO_ROWS | {"to_list"} | REDIS_COMMANDS
    | {"get_object_or_404", "get_list_or_404"}
)
