"""Messages and severities of the caching rules (RB301-RB304): what a reviewer reads."""

from __future__ import annotations

from collections.abc import Iterator
from textwrap import dedent

from reviewbot import Config, analyze
from reviewbot.analysis import analyze_file
from reviewbot.checks.loop_invariant import repeats_with_same_arguments
from reviewbot.checks.registry import CheckContext, Match, ProjectIndex, Report, Rule, rule_by_code
from reviewbot.findings import Principle, Severity


def findings(code: str, source: str, path: str = "app/service.py"):
    result = analyze({path: dedent(source).encode()}, config=Config(select=frozenset({code}), preview=True))
    assert not [e for e in result.errors if e.kind == "internal"], result.errors
    return result.findings


def only(code: str, source: str, path: str = "app/service.py"):
    found = findings(code, source, path)
    assert len(found) == 1, [f.message for f in found]
    return found[0]


# --- RB301 -------------------------------------------------------------------------------------


def test_redis_set_without_expiry_names_the_key():
    finding = only("RB301", """
        import redis
        r = redis.Redis()
        def remember(session_id, payload):
            r.set(f"session:{session_id}", payload)
    """)
    assert finding.message == (
        '`r.set(f"session:{session_id}", ...)` has no `ex`/`px`: the key never expires; pass `ex=<seconds>`'
    )
    assert finding.severity is Severity.WARNING
    assert finding.name == "cache-without-expiry"
    assert finding.category == "cache-no-ttl"
    assert finding.principle == "caching"


def test_redis_structure_without_expire_names_the_function_gap():
    finding = only("RB301", """
        import redis
        r = redis.Redis()
        def count_view(page_id):
            r.incr(f"views:{page_id}")
    """)
    assert finding.message == (
        '`r.incr(f"views:{page_id}")` creates a key that never expires: nothing in this function calls '
        '`expire` on `f"views:{page_id}"`; add it (in the same pipeline)'
    )


def test_expire_on_a_differently_written_key_still_counts_through_the_variable():
    assert not findings("RB301", """
        import redis
        r = redis.Redis()
        def count_view(page_id):
            key = f"views:{page_id}"
            r.incr(key)
            r.expire(f"views:{page_id}", 60)
    """)


def test_django_timeout_none_message():
    finding = only("RB301", """
        from django.core.cache import cache
        def warm(data):
            cache.set("catalog", data, timeout=None)
    """)
    assert finding.message == (
        "`cache.set(...)` with timeout `None` caches the entry forever; pass a timeout in seconds, or omit "
        "it to use the configured default"
    )


def test_flask_caching_timeout_zero_means_forever_but_none_means_default():
    source = """
        from flask_caching import Cache
        cache = Cache()
        def warm(data):
            cache.set("catalog", data, timeout=0)
            cache.set("catalog", data, timeout=None)
    """
    finding = only("RB301", source)
    assert finding.line == 5
    assert "timeout `0` caches the entry forever" in finding.message


def test_aiocache_message_mentions_the_missing_default():
    finding = only("RB301", """
        from aiocache import Cache
        quotes = Cache(Cache.REDIS)
        async def store(symbol, quote):
            await quotes.set(symbol, quote)
    """)
    assert finding.message == (
        "`quotes.set(...)` has no `ttl` and `quotes` was built without a default `ttl`: the entry never "
        "expires; pass `ttl=<seconds>`"
    )


def test_redis_write_in_a_handler_is_raised_to_error():
    finding = only("RB301", """
        import redis
        from flask import Flask
        app = Flask(__name__)
        r = redis.Redis()
        @app.post("/otp/<phone>")
        def otp(phone):
            r.set(f"otp:{phone}", "1234")
            return "ok"
    """)
    assert finding.context == "handler"
    assert finding.severity is Severity.ERROR


# --- RB302 -------------------------------------------------------------------------------------


def test_unbounded_function_cache_names_the_parameter():
    finding = only("RB302", """
        from functools import lru_cache
        @lru_cache(maxsize=None)
        def permissions_for(user_id, scope):
            return set()
    """)
    assert finding.message == (
        "`@lru_cache(maxsize=None)` on `permissions_for(user_id, scope)` never evicts: one entry per distinct "
        "`user_id` for the life of the process; set a `maxsize` or use a TTL cache"
    )
    assert finding.line == 3


def test_cache_on_method_names_the_class():
    finding = only("RB302", """
        import functools
        class Reports:
            @functools.cache
            def totals(self, year):
                return year
    """)
    assert finding.message == (
        "`@functools.cache` on method `Reports.totals` never evicts and holds every `self` it was called on, "
        "so those instances are never freed; use `functools.cached_property` or a bounded cache outside the "
        "instance"
    )


def test_module_dict_cache_message():
    finding = only("RB302", """
        _profiles = {}
        def profile(user_id):
            if user_id not in _profiles:
                _profiles[user_id] = {"id": user_id}
            return _profiles[user_id]
    """)
    assert finding.message == (
        "module-level `_profiles` gains an entry per `user_id` and nothing evicts one (no `pop`, `clear` or "
        "size check); bound it (`cachetools.TTLCache`/`LRUCache`) or use `lru_cache(maxsize=...)`"
    )
    assert finding.line == 5


def test_popitem_anywhere_in_the_file_counts_as_eviction():
    assert not findings("RB302", """
        _profiles = {}
        def profile(user_id):
            if user_id not in _profiles:
                _profiles[user_id] = {"id": user_id}
            return _profiles[user_id]
        def trim():
            while len(_profiles) > 100:
                _profiles.popitem()
    """)


# --- RB303 -------------------------------------------------------------------------------------


def test_client_in_loop_is_an_error_and_names_the_loop():
    finding = only("RB303", """
        import boto3
        def upload_all(paths):
            for path in paths:
                boto3.client("s3").upload_file(path, "bucket", path)
    """)
    assert finding.message == (
        "`boto3.client(...)` creates a new client on every iteration of the loop over `paths`: nothing is "
        "reused between iterations; create it once before the loop and reuse it"
    )
    assert finding.severity is Severity.ERROR


def test_connection_in_handler_suggests_a_pool():
    finding = only("RB303", """
        import psycopg2
        def orders(request):
            conn = psycopg2.connect("dbname=shop")
            return conn
    """)
    assert finding.message == (
        "`psycopg2.connect(...)` opens a new database connection on every request to `orders`: connections are "
        "never reused; take connections from a pool created at startup"
    )
    assert finding.context == "handler"


def test_client_in_task_names_the_task():
    finding = only("RB303", """
        import httpx
        from celery import shared_task
        @shared_task
        def send_webhook(url, payload):
            with httpx.Client() as client:
                client.post(url, json=payload)
    """)
    assert finding.message == (
        "`httpx.Client()` creates a new client on every run of task `send_webhook`: connections are never "
        "reused; create it once per worker (module level) and share it"
    )


def test_bare_requests_in_loop_is_info():
    finding = only("RB303", """
        import requests
        def fetch_all(urls):
            return [requests.get(url, timeout=5) for url in urls]
    """)
    assert finding.severity is Severity.INFO
    assert finding.message == (
        "`requests.get` in the comprehension over `urls` opens a new connection for every call (no keep-alive); "
        "send them through one `requests.Session()`"
    )


def test_local_variable_named_like_a_module_is_not_a_client():
    assert not findings("RB303", """
        def approved(history):
            requests = {}
            for item in history:
                requests.get(item["id"])
    """)


def test_client_in_websocket_endpoint_names_the_connection():
    finding = only("RB303", """
        import httpx
        from starlette.websockets import WebSocket
        async def quotes(websocket: WebSocket):
            await websocket.accept()
            async with httpx.AsyncClient() as client:
                await websocket.send_json((await client.get("http://quotes.internal/latest")).json())
    """)
    assert finding.message == (
        "`httpx.AsyncClient()` creates a new client for every connection of websocket `quotes`: nothing is "
        "reused between connections; create it once (module level or app startup) and share it"
    )


def test_client_in_consumer_receive_names_the_message():
    finding = only("RB303", """
        import redis
        from channels.generic.websocket import JsonWebsocketConsumer
        class Metrics(JsonWebsocketConsumer):
            def receive_json(self, content):
                redis.Redis(host="cache").incr(content["name"])
    """)
    assert finding.message == (
        "`redis.Redis(...)` creates a new client for every message of websocket `Metrics.receive_json`: nothing "
        "is reused between messages; create it once (module level or app startup) and share it"
    )


def test_task_connection_used_through_its_cursor_in_a_loop_is_shared():
    assert not findings("RB303", """
        import psycopg2
        from celery import shared_task
        @shared_task
        def settle(ids):
            conn = psycopg2.connect("dbname=shop")
            with conn, conn.cursor() as cur:
                for payment_id in ids:
                    cur.execute("UPDATE payments SET settled = true WHERE id = %s", (payment_id,))
    """)


# --- RB304 -------------------------------------------------------------------------------------


def test_regex_message_matches_the_documented_form():
    finding = only("RB304", """
        import re
        def clean(rows):
            for row in rows:
                row.text = re.compile(r"\\s+").sub(" ", row.text)
    """)
    assert finding.message == (
        "`re.compile(...)` gets the same arguments on every iteration of the loop over `rows`; hoist it above "
        "the loop"
    )
    assert finding.severity is Severity.INFO


def test_query_message_in_comprehension():
    finding = only("RB304", """
        from .models import Setting
        def totals(orders):
            return [o.total * Setting.objects.get(key="tax").value for o in orders]
    """)
    assert finding.message == (
        "`Setting.objects.get(...)` runs the same query on every iteration of the comprehension over `orders`; "
        "run it once before the comprehension"
    )


def test_file_read_message():
    finding = only("RB304", """
        import json
        def apply(records, path):
            for record in records:
                record.rules = json.load(open(path))
    """)
    assert finding.message == (
        "`json.load(...)` reads the same data on every iteration of the loop over `records`; read it once above "
        "the loop"
    )


def test_argument_mutated_in_the_loop_is_not_invariant():
    source = """
        import re
        def matchers(words):
            parts = []
            for word in words:
                parts{change}
                yield re.compile("|".join(parts))
    """
    assert not findings("RB304", source.replace("{change}", ".append(re.escape(word))"))
    assert not findings("RB304", source.replace("{change}", "[0] = word"))
    assert not findings("RB304", source.replace("{change}", ".reload()"))
    assert findings("RB304", source.replace("{change}", ".count(word)"))  # a read leaves it unchanged


class _InvariantQueryProbe(Rule):
    """Reports every call `repeats_with_same_arguments` accepts, as the query-in-loop rule asks."""

    code = "RB980"
    name = "invariant-query-probe"
    category = "probe"
    principle = Principle.CACHING
    severity = Severity.INFO

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        for site in ctx.calls:
            node = site.node.parent if site.node.parent is not None and site.node.parent.type == "await" else site.node
            if repeats_with_same_arguments(ctx, node):
                yield Report(site.node, ctx.file.text(site.node.child_by_field_name("function")))


_MIXED_LOOPS = """
    from .models import Customer, Order, Setting

    def invoice(orders):
        for order in orders:
            tax = Setting.objects.get(key="tax").value
            customer = Customer.objects.get(pk=order.customer_id)
            rule = Setting.objects.filter(active=True).order_by("priority").first()
            yield order, tax, customer, rule, len(order.lines)

    def pending(orders):
        for order in orders:
            order.save()
            yield Order.objects.filter(status="pending").count()

    async def rates(orders):
        for order in orders:
            rate = await Setting.objects.aget(key="rate")
            yield order.total * rate.value
"""


def _probe(source: str, path: str = "app/billing.py") -> tuple[set[tuple[int, str]], set[int]]:
    data = dedent(source).encode()
    rules = (_InvariantQueryProbe, rule_by_code("RB304"))
    found, errors = analyze_file(path, data, Config(preview=True), rules, ProjectIndex())
    assert not [e for e in errors if e.kind == "internal"], errors
    probed = {(f.line, f.message) for f in found if f.rule == "RB980"}
    return probed, {f.line for f in found if f.rule == "RB304"}


def test_repeats_with_same_arguments_accepts_invariant_queries_only():
    probed, _ = _probe(_MIXED_LOOPS)
    assert probed == {
        (6, "Setting.objects.get"),
        (8, "Setting.objects.filter(active=True).order_by(\"priority\").first"),
        (8, "Setting.objects.filter(active=True).order_by"),  # an inner link of the same chain
        (8, "Setting.objects.filter"),
        (18, "Setting.objects.aget"),  # reached through its `await`
    }


def test_repeats_with_same_arguments_agrees_with_the_rule():
    probed, reported = _probe(_MIXED_LOOPS)
    assert {line for line, _ in probed} == reported


def test_repeats_with_same_arguments_is_false_where_the_rule_is_silent():
    probed, reported = _probe(_MIXED_LOOPS, path="tests/test_billing.py")
    assert not probed and not reported


def test_test_files_seed_caches_and_build_clients_without_findings():
    source = """
        import re
        import redis
        import requests
        from .models import Setting

        r = redis.Redis()

        def test_views(user_ids, urls):
            for user_id in user_ids:
                r.hset(f"profile:{user_id}", "name", "x")
                assert Setting.objects.get(key="tax")
                assert re.compile("a+").match("aa")
            for url in urls:
                requests.Session().get(url, timeout=5)
    """
    for code in ("RB301", "RB303", "RB304"):
        assert findings(code, source, path="app/views.py"), code
        assert not findings(code, source, path="tests/test_views.py"), code
