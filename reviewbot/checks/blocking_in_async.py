"""RB201: blocking calls (sync HTTP, sleep, file I/O, subprocesses, sync database clients) in `async def`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from reviewbot.checks._async import (
    AsyncSpans,
    async_function_of,
    callee_text,
    is_awaited,
    is_offloaded,
    module_binding,
    receiver_of,
    short_text,
    value_origin,
)
from reviewbot.checks._clients import callee_is_imported
from reviewbot.checks.helpers import role_of
from reviewbot.checks.registry import CheckContext, Match, Report, Rule
from reviewbot.findings import Principle, Severity
from reviewbot.source import scopes

HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
ASYNC_HTTP = "an async client (`httpx.AsyncClient`, `aiohttp`)"
TO_THREAD = "`await asyncio.to_thread(...)`"


@dataclass(frozen=True, slots=True)
class Blocking:
    """What a call is and how to avoid blocking with it."""

    what: str  # shown in backticks: the callee, resolved or as written
    alternative: str
    qualifier: str = ""  # e.g. " on a `redis.Redis`"
    severity: Severity | None = None
    local_files: bool = False  # touches only the local file system


def _functions(names: str, alternative: str, severity: Severity | None = None,
               local_files: bool = False) -> dict[str, Blocking]:
    return {name: Blocking(name, alternative, severity=severity, local_files=local_files) for name in names.split()}


# Module-level functions, by resolved dotted name.
BLOCKING_FUNCTIONS: dict[str, Blocking] = {
    **_functions("time.sleep", "`await asyncio.sleep(...)`"),
    **_functions(" ".join(f"requests.{v} requests.api.{v}" for v in HTTP_VERBS), ASYNC_HTTP),
    **_functions(" ".join(f"httpx.{v}" for v in HTTP_VERBS | {"stream"}), "`httpx.AsyncClient`"),
    **_functions("urllib.request.urlopen urllib.request.urlretrieve urllib2.urlopen urllib3.request", ASYNC_HTTP),
    **_functions("subprocess.run subprocess.call subprocess.check_call subprocess.check_output subprocess.Popen",
                 "`asyncio.create_subprocess_exec(...)`"),
    **_functions("os.system os.popen subprocess.getoutput subprocess.getstatusoutput",
                 "`asyncio.create_subprocess_shell(...)`"),
    **_functions("os.waitpid os.wait", TO_THREAD),
    **_functions("shutil.copy shutil.copy2 shutil.copyfile shutil.copytree shutil.rmtree shutil.move "
                 "shutil.make_archive shutil.unpack_archive os.walk", TO_THREAD, local_files=True),
    **_functions("os.path.getsize os.path.getmtime os.path.getatime os.path.getctime os.path.exists os.path.isfile "
                 "os.path.isdir os.path.islink os.path.lexists os.path.samefile",
                 f"{TO_THREAD} or `aiofiles.os`", Severity.INFO, local_files=True),
    **_functions("psycopg2.connect psycopg.connect psycopg.Connection.connect",
                 "an async driver (`asyncpg`, `psycopg.AsyncConnection`)"),
    **_functions("pymysql.connect MySQLdb.connect mysql.connector.connect", "an async driver (`aiomysql`, `asyncmy`)"),
    **_functions("sqlite3.connect", "`aiosqlite`"),
    **_functions("cx_Oracle.connect oracledb.connect pyodbc.connect", TO_THREAD),
    **_functions("smtplib.SMTP smtplib.SMTP_SSL smtplib.LMTP", f"`aiosmtplib` or {TO_THREAD}"),
    **_functions("django.core.mail.send_mail django.core.mail.send_mass_mail django.core.mail.mail_admins "
                 "django.core.mail.mail_managers", f"{TO_THREAD} or a background task"),
    **_functions("django.shortcuts.get_object_or_404", "`await aget_object_or_404(...)` (Django 5.0+)"),
    **_functions("django.shortcuts.get_list_or_404", "`await aget_list_or_404(...)` (Django 5.0+)"),
}
# Builtins that a local definition may shadow.
BLOCKING_BUILTINS: dict[str, Blocking] = {
    "open": Blocking("open", f"`aiofiles.open` or {TO_THREAD}", severity=Severity.WARNING, local_files=True),
    "input": Blocking("input", "`await asyncio.to_thread(input, ...)`"),
}
BUILTIN_ALIASES = {"builtins.open": "open", "io.open": "open", "builtins.input": "input"}

# Methods whose meaning depends on what the receiver was built from (see `value_origin`).
REQUESTS_SESSIONS = frozenset({"requests.Session()", "requests.session()", "requests.sessions.Session()"})
HTTPX_CLIENTS = frozenset({"httpx.Client()"})
URLLIB3_POOLS = frozenset({"urllib3.PoolManager()", "urllib3.ProxyManager()", "urllib3.HTTPConnectionPool()",
                           "urllib3.HTTPSConnectionPool()", "urllib3.connection_from_url()",
                           "urllib3.poolmanager.PoolManager()"})
HTTP_CONNECTIONS = frozenset({"http.client.HTTPConnection()", "http.client.HTTPSConnection()"})
SUBPROCESSES = frozenset({"subprocess.Popen()"})
SMTP_CLIENTS = frozenset({"smtplib.SMTP()", "smtplib.SMTP_SSL()", "smtplib.LMTP()"})
DJANGO_EMAILS = frozenset({"django.core.mail.EmailMessage()", "django.core.mail.EmailMultiAlternatives()",
                           "django.core.mail.message.EmailMessage()"})

DBAPI_ORIGIN = re.compile(
    r"^(?:psycopg2|psycopg|pymysql|MySQLdb|mysql\.connector|sqlite3|cx_Oracle|oracledb|pyodbc)\."
    r"|^django\.db\.(?:connection|connections\[\])\.cursor\(\)"
)
DBAPI_METHODS = frozenset({"execute", "executemany", "executescript", "callproc", "commit", "rollback",
                           "copy_expert", "copy_from", "copy_to"})
SA_SESSION_ORIGIN = re.compile(
    r"^(?:sqlalchemy\.orm(?:\.session)?\.Session|sqlmodel\.Session|sqlmodel\.orm\.session\.Session)\(\)$"
    r"|^sqlalchemy\.orm(?:\.session)?\.sessionmaker\(\)(?:\(\)|\.begin\(\))$"
    r"|^sqlalchemy\.orm(?:\.scoping)?\.scoped_session\(\)(?:\(\))?$"
    # the factory name of the FastAPI and SQLAlchemy tutorials, made by `sessionmaker(...)` in another module
    r"|^(?:[\w.]*\.)?SessionLocal\(\)$"
)
SA_SESSION_METHODS = frozenset({"execute", "scalars", "scalar", "get", "get_one", "commit", "flush", "refresh",
                                "query", "merge", "exec", "bulk_save_objects", "bulk_insert_mappings",
                                "bulk_update_mappings"})
SA_CONNECTION_ORIGIN = re.compile(r"^(?:sqlalchemy|sqlmodel)\.create_engine\(\)(?:\.(?:connect|begin)\(\))?$")
SA_CONNECTION_METHODS = frozenset({"execute", "exec_driver_sql", "scalar", "scalars", "commit"})
REDIS_ORIGIN = re.compile(
    r"^(?:redis(?:\.client)?\.(?:Redis|StrictRedis)(?:\.from_url|\.from_pool)?\(\)"
    r"|redis\.from_url\(\)"
    r"|redis(?:\.cluster)?\.RedisCluster(?:\.from_url)?\(\)"
    r"|redis(?:\.sentinel)?\.Sentinel\(\)\.master_for\(\)"
    r"|django_redis\.get_redis_connection\(\))"
    r"(?P<pipeline>\.pipeline\(\))?$"
)
REDIS_COMMANDS = frozenset(
    "get set setex psetex setnx getset getdel mget mset incr incrby incrbyfloat decr decrby delete unlink exists "
    "expire expireat pexpire ttl pttl persist keys scan scan_iter type rename hget hset hsetnx hmget hmset hgetall "
    "hdel hexists hincrby hkeys hvals hlen hscan lpush rpush lpop rpop blpop brpop lrange llen lrem ltrim lindex "
    "sadd srem smembers sismember scard spop srandmember zadd zrem zrange zrevrange zrangebyscore zrevrangebyscore "
    "zscore zincrby zcard zcount zrank zremrangebyscore publish xadd xread xreadgroup xack xlen xrange ping "
    "flushdb flushall eval evalsha info dbsize json".split()
)
MONGO_ORIGIN = re.compile(r"^pymongo(?:\.mongo_client)?\.MongoClient\(\)")
MONGO_METHODS = frozenset(
    "find find_one insert_one insert_many update_one update_many replace_one delete_one delete_many "
    "count_documents estimated_document_count aggregate distinct find_one_and_update find_one_and_replace "
    "find_one_and_delete bulk_write create_index drop command list_database_names list_collection_names "
    "server_info".split()
)
BOTO3_ORIGIN = re.compile(r"^boto3(?:\.session)?\.(?:client|resource|Session\(\)\.client|Session\(\)\.resource)\(\)")
BOTO3_METHODS = frozenset(
    "put_object get_object delete_object delete_objects head_object copy_object list_objects list_objects_v2 "
    "upload_file upload_fileobj download_file download_fileobj list_buckets create_bucket create_multipart_upload "
    "upload_part complete_multipart_upload send_message send_message_batch receive_message delete_message "
    "get_queue_url publish invoke put_item get_item update_item delete_item query scan batch_write_item "
    "batch_get_item send_email send_raw_email get_secret_value get_parameter get_parameters put_parameter "
    "start_execution put_record put_records put_events describe_instances start_query_execution "
    "get_query_results put_metric_data assume_role get_caller_identity invoke_model "
    "invoke_model_with_response_stream converse converse_stream retrieve retrieve_and_generate detect_text "
    "detect_labels translate_text synthesize_speech".split()
)
CELERY_RESULT_SUFFIXES = (".delay()", ".apply_async()", "AsyncResult()")
ASYNC_ORIGIN_MARKERS = ("asyncio", "Async", "aioboto3", "aiobotocore", "motor", "aiohttp", "aiofiles", "anyio",
                        "aiopath", "trio")

# Django: evaluating queryset methods and their async forms (Django 4.1+).
DJANGO_EVALUATING = {
    "get": "aget", "first": "afirst", "last": "alast", "count": "acount", "exists": "aexists",
    "create": "acreate", "get_or_create": "aget_or_create", "update_or_create": "aupdate_or_create",
    "update": "aupdate", "delete": "adelete", "aggregate": "aaggregate", "in_bulk": "ain_bulk",
    "bulk_create": "abulk_create", "bulk_update": "abulk_update", "earliest": "aearliest", "latest": "alatest",
    "contains": "acontains", "iterator": "aiterator", "explain": "aexplain",
}
DJANGO_INSTANCE_METHODS = {"save": "asave", "delete": "adelete", "refresh_from_db": "arefresh_from_db"}
DJANGO_QUERYSET_METHODS = frozenset(
    "all filter exclude order_by select_related prefetch_related values values_list annotate alias distinct only "
    "defer using reverse none select_for_update raw".split()
)
_MANAGER = r"(?:^|\.)(?:[A-Z]\w*|model|get_user_model\(\))\.objects"
# slicing keeps a queryset lazy: `Order.objects.filter(...)[:20]`
DJANGO_QUERYSET_ORIGIN = re.compile(
    _MANAGER + r"(?:\.(?:" + "|".join(sorted(DJANGO_QUERYSET_METHODS)) + r")\(\)|\[\])*$"
)
DJANGO_INSTANCE_ORIGIN = re.compile(
    _MANAGER + r"(?:\.\w+\(\))*\.a?(?:get|create|first|last|earliest|latest)\(\)$"
    r"|(?:^|\.)models\.[A-Z]\w*\(\)$"
    r"|^django\.shortcuts\.get_object_or_404\(\)$"
)
DJANGO_MODULES = frozenset({"django", "rest_framework", "ninja", "adrf", "channels"})
MATERIALIZERS = frozenset({"list", "tuple", "set", "sorted", "len"})

PATH_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes"})
PATH_FACTORIES = frozenset({"pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.Path.home",
                            "pathlib.Path.cwd", "importlib.resources.files", "importlib_resources.files"})
PATH_DERIVING_METHODS = frozenset({"resolve", "absolute", "with_suffix", "with_name", "with_stem", "joinpath",
                                   "expanduser"})
PATH_ONLY_METHODS = frozenset({"joinpath", "with_suffix", "with_name", "with_stem"})
PATH_ALTERNATIVE = f"`anyio.Path` or {TO_THREAD}"

RECEIVER_METHODS = (
    HTTP_VERBS | {"send", "stream", "urlopen", "request_encode_url", "request_encode_body", "getresponse",
                  "communicate", "wait", "join", "sendmail", "send_message", "open"}
    | DBAPI_METHODS | SA_SESSION_METHODS | SA_CONNECTION_METHODS | REDIS_COMMANDS | MONGO_METHODS | BOTO3_METHODS
    | frozenset(DJANGO_EVALUATING) | frozenset(DJANGO_INSTANCE_METHODS) | PATH_METHODS
)

def _method_gates() -> dict[str, frozenset[str]]:
    """Method name -> the top-level modules a file must import for a receiver-based family to apply.
    Checked before following bindings, which is the costly part."""
    gates: dict[str, set[str]] = {}

    def gate(methods: frozenset[str] | set[str], *modules: str) -> None:
        for method in methods:
            gates.setdefault(method, set()).update(modules)

    gate(HTTP_VERBS | {"send"}, "requests")
    gate(HTTP_VERBS | {"send", "stream"}, "httpx")
    gate({"request", "urlopen", "request_encode_url", "request_encode_body"}, "urllib3")
    gate({"request", "getresponse"}, "http")
    gate({"communicate", "wait"}, "subprocess")
    gate({"sendmail", "send_message"}, "smtplib")
    gate({"send"}, "django")
    gate(DBAPI_METHODS, "psycopg2", "psycopg", "pymysql", "MySQLdb", "mysql", "sqlite3", "cx_Oracle", "oracledb",
         "pyodbc", "django")
    gate(SA_SESSION_METHODS | SA_CONNECTION_METHODS, "sqlalchemy", "sqlmodel")
    gate(REDIS_COMMANDS | {"execute"}, "redis", "django_redis")
    gate(MONGO_METHODS, "pymongo")
    gate(BOTO3_METHODS, "boto3")
    return {method: frozenset(modules) for method, modules in gates.items()}


METHOD_GATES = _method_gates()
CELERY_MARKERS = (b".delay(", b".apply_async(", b"AsyncResult")
FUNCTION_METHODS = frozenset(name.rsplit(".", 1)[-1] for name in BLOCKING_FUNCTIONS) | {"open", "input"}
CANDIDATE_METHODS = FUNCTION_METHODS | RECEIVER_METHODS


class BlockingCallInAsync(Rule):
    """## What it does
    Checks for blocking calls inside `async def`: synchronous HTTP clients (`requests`, `urllib`,
    `urllib3`, `httpx` functions and `httpx.Client`), `time.sleep`, file I/O (`open`,
    `Path.read_text`), subprocesses, synchronous database and cache clients (DB-API drivers, the
    Django ORM, SQLAlchemy `Session`, `redis.Redis`, `pymongo`), `boto3`, `smtplib` and `input()`.

    A call inside a nested sync `def` or a `lambda`, or passed to `asyncio.to_thread`,
    `loop.run_in_executor`, `anyio.to_thread.run_sync`, `sync_to_async` or `run_in_threadpool`, runs
    in a worker thread and is not reported. Startup and shutdown hooks, tests and pytest fixtures are
    not reported either, nor `input()` and local file access in command-line programs (a script
    path, a `__main__` guard, `argparse`/`click`/`typer`), which serve no concurrent requests. A
    `subprocess.Popen` whose `.wait()` or `.communicate()` follows is reported at the wait.

    ## Why is this bad?
    An event loop runs every request of the process on one thread. A blocking call stops all of them
    until it returns: one slow upstream or query turns into a latency spike for every concurrent
    request, and throughput collapses to one request at a time. Local file access and `os.path`
    checks are usually quick, so they are reported with a lower severity; network calls are not.

    ## Example
    ```python
    import requests

    @app.get("/rates")
    async def rates():
        response = requests.get("https://rates.example.com/latest", timeout=5)
        return response.json()
    ```

    ## Use instead
    ```python
    import httpx

    @app.get("/rates")
    async def rates(client: httpx.AsyncClient = Depends(get_client)):
        response = await client.get("https://rates.example.com/latest")
        return response.json()
    ```

    ## References
    - Python: Developing with asyncio, running blocking code (https://docs.python.org/3/library/asyncio-dev.html#running-blocking-code)
    - Django: Asynchronous queries (https://docs.djangoproject.com/en/stable/topics/db/queries/#asynchronous-queries)
    - SQLAlchemy: Asynchronous I/O (https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html)
    """

    code = "RB201"
    name = "blocking-call-in-async"
    category = "blocking-in-async"
    principle = Principle.ASYNC_PROCESSING
    severity = Severity.ERROR
    query = """
    (function_definition "async") @rb201.async_def
    (for_statement right: (identifier) @rb201.iterable)
    (for_in_clause right: (identifier) @rb201.iterable)
    """

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        if ctx.file.path_context == "test":
            return  # an async test blocks only its own loop
        spans = AsyncSpans([m["rb201.async_def"][0] for m in matches if "rb201.async_def" in m])
        if not spans:
            return
        for site in ctx.calls:
            if site.method not in CANDIDATE_METHODS and site.resolved_method not in CANDIDATE_METHODS:
                continue
            if not spans.may_contain(site.node) or is_awaited(site.node):
                continue
            report = _blocking_call_report(ctx, site.node, site.name or "", site.resolved_method)
            if report is not None:
                yield report
        if _uses_django(ctx):
            yield from _django_iteration_reports(ctx, matches, spans)


def _blocking_call_report(ctx: CheckContext, call: Node, name: str, method: str) -> Report | None:
    blocking = BLOCKING_FUNCTIONS.get(name)
    builtin = BUILTIN_ALIASES.get(name, name)
    if blocking is None and builtin in BLOCKING_BUILTINS:
        blocking = BLOCKING_BUILTINS[builtin]
    if blocking is None:
        # What the receiver is comes first: it is bounded in depth, while finding the enclosing
        # function walks up the tree, which costs more on deeply nested code.
        receiver = receiver_of(call)
        blocking = _blocking_method(ctx, call, receiver, method) if receiver is not None else None
        if blocking is None:
            return None
    elif "." in name and not _reaches_library(ctx, call):
        return None  # `requests = {}` then `requests.get(key)`: a local value named like the library
    elif name.startswith("smtplib.") and not (
        scopes.call_positional_arguments(call) or "host" in scopes.call_keyword_arguments(call)
    ):
        return None  # no host: the constructor does not connect yet
    elif name == "subprocess.Popen" and _process_is_waited_for(ctx, call):
        return None  # starting the process returns at once; its `.wait()`/`.communicate()` is what blocks
    elif builtin == "input" and _is_command_line_program(ctx, call):
        return None  # a console prompt: nothing else is waiting on the loop
    if blocking.local_files and _is_command_line_program(ctx, call):
        return None  # a console program serves no concurrent requests; its file access is not worth a comment
    function = _serving_async_function(ctx, call)
    if function is None:
        return None
    if name in BLOCKING_BUILTINS and _is_shadowed(ctx, name, call, function):
        return None
    return Report(call, _message(blocking, function), severity=blocking.severity)


def _process_is_waited_for(ctx: CheckContext, call: Node) -> bool:
    """`proc = Popen(...)` followed in the same function by `proc.communicate()`/`proc.wait()`
    (reported there) or by the bound method handed to a thread (`run_in_executor(None,
    proc.communicate)`): starting the process is not the blocking part. A `with Popen(...)` block
    waits on exit, so it is never skipped here."""
    parent = scopes.parent_of(call)
    if parent is None or parent.type != "assignment" or parent.child_by_field_name("right") != call:
        return False
    target = parent.child_by_field_name("left")
    function = scopes.enclosing_function(call)
    if target is None or target.type != "identifier" or function is None:
        return False
    later = ctx.file.source[call.end_byte:function.end_byte]
    return re.search(rb"\b" + re.escape(target.text) + rb"\.(?:communicate|wait)\b", later) is not None


_CLI_MODULES = frozenset({"argparse", "click", "typer", "fire", "docopt"})
_MAIN_GUARD = re.compile(rb"^if __name__ == [\"']__main__[\"']", re.M)


_SERVES_REQUESTS = re.compile(rb"run_app\(|uvicorn\.run\(|hypercorn|\.run\(\s*(?:app|host|port|debug)|"
                              rb"web\.Application\(|FastAPI\(|Starlette\(|Quart\(|Sanic\(|Flask\(|APIRouter\(")


def _is_command_line_program(ctx: CheckContext, call: Node) -> bool:
    """A console program: a script path, a `__main__`/`cli` module, an argument parser import, or a
    `__main__` guard; never a module that builds or starts a web application, nor a request
    handler."""
    file = ctx.file
    if file.path_context == "script":
        return True
    base = file.path.rsplit("/", 1)[-1]
    console = base in ("__main__.py", "cli.py", "_cli.py", "setup.py", "manage.py") or bool(
        _import_roots(ctx) & _CLI_MODULES) or bool(_MAIN_GUARD.search(file.source))
    if not console or _SERVES_REQUESTS.search(file.source):
        return False
    return role_of(ctx, call) != "handler"


def _reaches_library(ctx: CheckContext, call: Node) -> bool:
    """Whether a dotted callee starts at an imported name that no parameter shadows."""
    if not callee_is_imported(ctx, call):
        return False
    head = call.child_by_field_name("function")
    while head is not None and head.type == "attribute":
        head = head.child_by_field_name("object")
    function = scopes.enclosing_function(call)
    return head is None or function is None or head.text.decode() not in scopes.parameter_names(function)


def _message(blocking: Blocking, function: Node) -> str:
    return (f"`{blocking.what}`{blocking.qualifier} blocks the event loop in "
            f"`async def {scopes.function_name(function)}`; use {blocking.alternative}")


def _serving_async_function(ctx: CheckContext, node: Node) -> Node | None:
    """The `async def` running `node` on the event loop while it serves work, or None."""
    function = async_function_of(node)
    if function is None or is_offloaded(ctx, node, function):
        return None
    if ctx.file.memo(("rb201", "before-serving", function.id), lambda: _runs_before_serving(ctx, function)):
        return None
    return function


def _runs_before_serving(ctx: CheckContext, function: Node) -> bool:
    """Startup/shutdown hooks and lifespan functions run while no request is being served; pytest
    fixtures set up tests."""
    for decorator in scopes.decorator_expressions(function):
        target = decorator.child_by_field_name("function") if decorator.type == "call" else decorator
        name = ctx.file.qualname(target) or ""
        if name.startswith(("pytest.", "pytest_asyncio.")) and name.endswith(".fixture"):
            return True
        if name.endswith(".on_event") and decorator.type == "call":
            arguments = scopes.call_positional_arguments(decorator)
            if arguments and ctx.file.text(arguments[0]).strip("\"'") in ("startup", "shutdown"):
                return True
        if name.endswith("asynccontextmanager") and "lifespan" in scopes.function_name(function):
            return True
    return False


def _is_shadowed(ctx: CheckContext, name: str, node: Node, function: Node) -> bool:
    for scope in scopes.ancestors(node):
        if scope.type in scopes.FUNCTION_TYPES:
            if name in scopes.parameter_names(scope) or name in ctx.file.assignments_in(scope):
                return True
    if module_binding(ctx, name) is not None:
        return True
    source = ctx.file.source
    token = f"def {name}(".encode()
    return source.startswith(token) or b"\n" + token in source or b"\nasync " + token in source


def _blocking_method(ctx: CheckContext, call: Node, receiver: Node, method: str) -> Blocking | None:
    if method in PATH_METHODS or method == "open":
        if _is_path_like(ctx, receiver, allow_guess=method != "open"):
            return Blocking(callee_text(ctx, call), PATH_ALTERNATIVE, severity=Severity.WARNING, local_files=True)
        if method == "open":
            return None
    if not _family_may_apply(ctx, method):
        return None
    origin = value_origin(ctx, receiver)
    if origin is None or any(marker in origin for marker in ASYNC_ORIGIN_MARKERS):
        return None
    what = callee_text(ctx, call)
    if origin in REQUESTS_SESSIONS and (method in HTTP_VERBS or method == "send"):
        return Blocking(what, ASYNC_HTTP, " on a `requests.Session`")
    if origin in HTTPX_CLIENTS and (method in HTTP_VERBS or method in ("send", "stream")):
        return Blocking(what, "`httpx.AsyncClient`", " on a sync `httpx.Client`")
    if origin in URLLIB3_POOLS and method in ("request", "urlopen", "request_encode_url", "request_encode_body"):
        return Blocking(what, ASYNC_HTTP, " on a `urllib3` pool")
    if origin in HTTP_CONNECTIONS and method in ("request", "getresponse"):
        return Blocking(what, ASYNC_HTTP, " on an `http.client` connection")
    if origin in SUBPROCESSES and method in ("communicate", "wait"):
        return Blocking(what, "`asyncio.create_subprocess_exec(...)`", " on a `subprocess.Popen`")
    if origin in SMTP_CLIENTS and method in ("sendmail", "send_message"):
        if _bound_in(ctx, receiver, call):
            return None  # the constructor in this function is reported already
        return Blocking(what, f"`aiosmtplib` or {TO_THREAD}", " on an `smtplib` client")
    if origin in DJANGO_EMAILS and method == "send":
        return Blocking(what, f"{TO_THREAD} or a background task", " on a Django email")
    if method in DBAPI_METHODS and DBAPI_ORIGIN.search(origin):
        return Blocking(what, _dbapi_alternative(origin), " on a sync database connection")
    if method in SA_SESSION_METHODS and SA_SESSION_ORIGIN.match(origin):
        return Blocking(what, "`AsyncSession` (`await session.execute(...)`)", " on a sync SQLAlchemy `Session`")
    if method in SA_CONNECTION_METHODS and SA_CONNECTION_ORIGIN.match(origin):
        return Blocking(what, "`create_async_engine` and `await conn.execute(...)`", " on a sync SQLAlchemy engine")
    redis = REDIS_ORIGIN.match(origin)
    if redis is not None and method in REDIS_COMMANDS:
        if redis.group("pipeline") is None or method == "execute":
            return Blocking(what, "`redis.asyncio.Redis`", " on a sync `redis.Redis`")
        return None
    if redis is not None and redis.group("pipeline") is not None and method == "execute":
        return Blocking(what, "`redis.asyncio.Redis`", " on a sync `redis.Redis` pipeline")
    if method in MONGO_METHODS and MONGO_ORIGIN.match(origin):
        return Blocking(what, "`motor` or `pymongo.AsyncMongoClient`", " on a sync `pymongo` client")
    if method in BOTO3_METHODS and BOTO3_ORIGIN.match(origin):
        return Blocking(what, f"`aioboto3` or {TO_THREAD}", " on a `boto3` client")
    if method in ("get", "wait", "join") and origin.endswith(CELERY_RESULT_SUFFIXES):
        return Blocking(what, f"{TO_THREAD}, or return the task id and let the client poll",
                        " waiting for a Celery task")
    return _django_method(ctx, call, receiver, origin, method)


def _family_may_apply(ctx: CheckContext, method: str) -> bool:
    """Whether any receiver-based family with this method can occur in this file, judged from its
    imports alone."""
    if METHOD_GATES.get(method, frozenset()) & _import_roots(ctx):
        return True
    if method in SA_SESSION_METHODS and any(name.endswith("SessionLocal") for name in ctx.file.imports):
        return True  # `from app.database import SessionLocal`: a sessionmaker made elsewhere
    if (method in DJANGO_EVALUATING or method in DJANGO_INSTANCE_METHODS) and (
        _uses_django(ctx) or any("models." in v for v in ctx.file.imports.values())
    ):
        return True
    if method in ("get", "wait", "join"):
        return ctx.file.memo(("rb201", "celery"), lambda: any(m in ctx.file.source for m in CELERY_MARKERS))
    return False


def _dbapi_alternative(origin: str) -> str:
    if origin.startswith("sqlite3."):
        return "`aiosqlite`"
    if origin.startswith(("pymysql.", "MySQLdb.", "mysql.")):
        return "an async driver (`aiomysql`, `asyncmy`)"
    if origin.startswith(("psycopg2.", "psycopg.")):
        return "an async driver (`asyncpg`, `psycopg.AsyncConnection`)"
    if origin.startswith("django."):
        return "`sync_to_async` around the query"
    return TO_THREAD


def _django_method(ctx: CheckContext, call: Node, receiver: Node, origin: str, method: str) -> Blocking | None:
    if not _uses_django(ctx) and "models." not in origin:
        return None
    async_method = None
    if method in DJANGO_EVALUATING and DJANGO_QUERYSET_ORIGIN.search(origin):
        async_method = DJANGO_EVALUATING[method]
    elif method in DJANGO_INSTANCE_METHODS and _is_model_instance(ctx, origin):
        async_method = DJANGO_INSTANCE_METHODS[method]
    if async_method is None:
        return None
    written = short_text(ctx, receiver, limit=40)
    if ctx.file.text(receiver) == written and "\n" not in written:
        alternative = f"`await {written}.{async_method}(...)`"
    else:
        alternative = f"its async form `{async_method}()`"
    return Blocking(callee_text(ctx, call), alternative, " (a database query)")


def _is_model_instance(ctx: CheckContext, origin: str) -> bool:
    if DJANGO_INSTANCE_ORIGIN.search(origin):
        return True
    models = ctx.project.models
    known = models.models() if models is not None and hasattr(models, "models") else set()
    head = origin[:-2].rsplit(".", 1)[-1] if origin.endswith("()") else ""
    return bool(head) and head in known


def _uses_django(ctx: CheckContext) -> bool:
    return bool(_import_roots(ctx) & DJANGO_MODULES)


def _import_roots(ctx: CheckContext) -> frozenset[str]:
    """The top-level modules the file imports from (`redis` for `import redis.asyncio as aioredis`)."""
    return ctx.file.memo(("rb201", "import-roots"),
                         lambda: frozenset(v.split(".", 1)[0] for v in ctx.file.imports.values()))


def _bound_in(ctx: CheckContext, receiver: Node, call: Node) -> bool:
    if receiver.type != "identifier":
        return False
    function = scopes.enclosing_function(call)
    return function is not None and receiver.text.decode() in ctx.file.assignments_in(function)


def _is_path_like(ctx: CheckContext, node: Node | None, allow_guess: bool, depth: int = 0) -> bool:
    """Whether `node` is a `pathlib.Path`: built by `Path(...)`, joined with `/`, derived from a path,
    or annotated as one. With `allow_guess`, a receiver of unknown type counts in a file that imports
    `pathlib` (only paths have `read_text`/`write_bytes` there)."""
    if node is None or depth > 6:
        return False
    kind = node.type
    if kind == "binary_operator":
        operator = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if operator is None or operator.type != "/":
            return False
        if (left is not None and left.type == "string") or (right is not None and right.type == "string"):
            return True
        return _is_path_like(ctx, left, False, depth + 1)
    if kind == "parenthesized_expression" and node.named_children:
        return _is_path_like(ctx, node.named_children[0], allow_guess, depth + 1)
    if kind == "call":
        name = ctx.file.call_name(node) or ""
        if name in PATH_FACTORIES:
            return True
        receiver = receiver_of(node)
        method = name.rsplit(".", 1)[-1]
        if receiver is not None and method in PATH_ONLY_METHODS:
            return True  # only paths have `joinpath` and `with_suffix`
        return receiver is not None and method in PATH_DERIVING_METHODS and _is_path_like(
            ctx, receiver, False, depth + 1
        )
    if kind == "attribute":
        attribute = node.child_by_field_name("attribute")
        if attribute is not None and attribute.text == b"parent":
            return _is_path_like(ctx, node.child_by_field_name("object"), False, depth + 1)
    if kind in ("identifier", "attribute"):
        origin = value_origin(ctx, node)
        if origin is not None and any(marker in origin for marker in ASYNC_ORIGIN_MARKERS):
            return False
        if origin is not None and origin.endswith("()") and origin[:-2] in PATH_FACTORIES:
            return True
        value = _bound_value(ctx, node)
        if value is not None and value.id != node.id and _is_path_like(ctx, value, False, depth + 1):
            return True
    return allow_guess and ctx.file.imports_module("pathlib")


def _bound_value(ctx: CheckContext, node: Node) -> Node | None:
    if node.type != "identifier":
        return None
    name = node.text.decode()
    function = scopes.enclosing_function(node)
    scope_bindings = ctx.file.assignments_in(function).get(name, ()) if function is not None else ()
    before = [a for a in scope_bindings if a.node.end_byte <= node.start_byte]
    if before:
        return before[-1].value
    return module_binding(ctx, name)


def _django_iteration_reports(ctx: CheckContext, matches: list[Match], spans: AsyncSpans) -> Iterator[Report]:
    """Querysets evaluated synchronously: `for order in Order.objects.filter(...)`, `list(qs)`."""
    candidates: list[Node] = [m["rb201.iterable"][0] for m in matches if "rb201.iterable" in m]
    for site in ctx.calls_to(DJANGO_QUERYSET_METHODS):
        parent = scopes.parent_of(site.node)
        if parent is not None and parent.type in ("for_statement", "for_in_clause"):
            candidates.append(site.node)
    for site in ctx.calls_to(MATERIALIZERS):
        if site.name in MATERIALIZERS:
            arguments = scopes.call_positional_arguments(site.node)
            if len(arguments) == 1 and arguments[0].type in ("identifier", "call"):
                candidates.append(arguments[0])
    for iterable in candidates:
        if not spans.may_contain(iterable):
            continue
        consumer = _sync_consumer(iterable)
        if consumer is None:
            continue
        origin = value_origin(ctx, iterable)
        if origin is None or not DJANGO_QUERYSET_ORIGIN.search(origin):
            continue
        function = _serving_async_function(ctx, iterable)
        if function is None:
            continue
        shown = short_text(ctx, iterable, limit=50)
        if consumer == "loop":
            what, alternative = f"for ... in {shown}", "`async for`"
        else:
            what, alternative = f"{consumer}({shown})", f"`[x async for x in {shown}]`"
        yield Report(iterable, f"`{what}` runs a database query that blocks the event loop in "
                               f"`async def {scopes.function_name(function)}`; use {alternative}")


def _sync_consumer(iterable: Node) -> str | None:
    """'loop' when `iterable` is what a sync `for` or comprehension iterates, the function name when it
    is the argument of `list(...)` and friends, else None."""
    parent = scopes.parent_of(iterable)
    if parent is None:
        return None
    if parent.type in ("for_statement", "for_in_clause"):
        if parent.child_by_field_name("right") != iterable or any(c.type == "async" for c in parent.children):
            return None
        return "loop"
    call = scopes.parent_of(parent) if parent.type == "argument_list" else None
    if call is not None and call.type == "call":
        callee = call.child_by_field_name("function")
        if callee is not None and callee.type == "identifier" and callee.text.decode() in MATERIALIZERS:
            return callee.text.decode()
    return None
