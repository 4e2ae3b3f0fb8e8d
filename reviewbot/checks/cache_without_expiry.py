"""RB301: cache writes that never expire."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from reviewbot.checks._clients import first_argument, is_redis_client, method_receiver, short_code
from reviewbot.checks.helpers import call_function_name, receiver_value
from reviewbot.checks.loop_invariant import references
from reviewbot.checks.registry import CheckContext, Match, Report, Rule
from reviewbot.findings import Principle, Severity
from reviewbot.source import scopes

# `SET` options that give the key an expiry (`keepttl` keeps the one it has); aioredis 1.x
# spelled them `expire`/`pexpire`.
SET_EXPIRY_KEYWORDS = frozenset({"ex", "px", "exat", "pxat", "keepttl", "expire", "pexpire"})
# Commands reported whatever the key: a plain value written for good.
VALUE_WRITES = frozenset({"set", "setnx", "mset", "msetnx"})
# Commands reported unless the key is a constant: one fixed key (a global counter, a leaderboard)
# does not multiply, while a key per user, per request or per day does.
STRUCTURE_WRITES = frozenset(
    {"hset", "hmset", "hsetnx", "hincrby", "hincrbyfloat", "sadd", "zadd", "zincrby", "incr", "incrby",
     "incrbyfloat", "decr", "decrby", "pfadd", "setbit", "geoadd"}
)
# List pushes are reported only on a key built per entity: a constant key is usually a queue.
LIST_WRITES = frozenset({"lpush", "rpush", "lpushx", "rpushx"})
EXPIRE_COMMANDS = frozenset({"expire", "pexpire", "expireat", "pexpireat", "hexpire", "hpexpire"})
# Writes that give their key a TTL of their own: a `set(key, ..., ex=...)` next to `incr(key)`
# starts the key with an expiry.
EXPIRING_WRITES = frozenset({"set", "setex", "psetex", "getex"})
# Commands that end a key's life or consume it: a key something deletes, pops from or sweeps by
# pattern is managed state (a flag, a buffer flushed by a job), not a cache left to grow.
LIFECYCLE_COMMANDS = frozenset({"delete", "unlink", "getdel", "lpop", "rpop", "blpop", "brpop", "lmove", "blmove",
                                "rpoplpush", "brpoplpush"})
SWEEP_COMMANDS = frozenset({"scan_iter", "keys", "scan"})
# Words naming a small fixed domain in a key (`f"jobs:{queue_name}"`): one key per queue or
# per environment is a handful of keys, not one per user. `name` alone says too little.
BOUNDED_KEY_WORDS = frozenset({"queue", "queues", "kind", "type", "env", "environment", "region", "locale", "lang",
                               "language", "prefix", "namespace", "topic", "actor", "worker", "service", "app",
                               "priority", "shard", "stage"})
NEUTRAL_KEY_WORDS = frozenset({"self", "cls", "name", "settings", "config", "conf"})
# Commands that bound a structure's size without a TTL.
TRIM_COMMANDS = {"list": frozenset({"ltrim"}), "zset": frozenset({"zremrangebyrank", "zremrangebyscore"})}
MULTI_KEY_WRITES = frozenset({"mset", "msetnx"})

DJANGO_CACHES = frozenset({"django.core.cache.cache"})
DJANGO_CACHE_MAPS = frozenset({"django.core.cache.caches"})
# Position of `timeout` in Django's and cachelib's cache methods.
TIMEOUT_POSITION = {"set": 2, "add": 2, "get_or_set": 2, "set_many": 1, "touch": 1}
FLASK_CACHE_FACTORIES = frozenset(
    {"flask_caching.Cache", "flask_cache.Cache", "cachelib.SimpleCache", "cachelib.RedisCache",
     "cachelib.FileSystemCache", "cachelib.MemcachedCache", "cachelib.simple.SimpleCache",
     "cachelib.redis.RedisCache"}
)
AIOCACHE_FACTORIES = frozenset(
    {"aiocache.Cache", "aiocache.RedisCache", "aiocache.SimpleMemoryCache", "aiocache.MemcachedCache",
     "aiocache.Cache.from_url", "aiocache.backends.redis.RedisCache", "aiocache.backends.memory.SimpleMemoryCache"}
)
AIOCACHE_TTL_POSITION = {"set": 2, "add": 2, "multi_set": 1}
AIOCACHE_DECORATORS = frozenset({"aiocache.cached", "aiocache.decorators.cached", "aiocache.cached_stampede"})


class CacheWithoutExpiry(Rule):
    """## What it does
    Checks for cache writes that never expire: a Redis `set` without `ex`/`px`, Redis hashes,
    sets, sorted sets, counters and per-entity lists created with no `expire` on the same key in
    the same function, Django cache writes with `timeout=None`, Flask-Caching/cachelib writes with
    `timeout=0`, and aiocache writes or `@cached` without a `ttl`.

    ## Why is this bad?
    A cache entry without a time-to-live stays until something deletes it. Entries keyed per
    user, per request or per day pile up until Redis runs out of memory and starts evicting (or
    refusing writes), and values that never expire are served stale after the data behind them
    changed. Writes on one constant key (a global counter, a leaderboard, a queue) are not
    reported, except plain `set`, whose value is still served stale forever. Django's
    `cache.set(key, value)` uses the configured default timeout and is not reported; Flask-Caching
    treats `timeout=None` as its default and only `timeout=0` as "forever". Keys whose life the
    code manages are not reported either: a flag or per-object key that the file also deletes, a
    list that something pops or deletes, keys swept by pattern (`scan_iter("presence:*")`), a key
    paired with a companion TTL key built from it, and hashes or counters keyed by a small fixed
    domain (`f"jobs:{queue_name}"`). Test files are not checked. A TTL set elsewhere (another
    module, a Lua script) is not seen.

    ## Example
    ```python
    import redis

    r = redis.Redis()

    def remember_session(session_id, payload):
        r.set(f"session:{session_id}", payload)

    def count_view(page_id):
        r.incr(f"views:{page_id}")
    ```

    ## Use instead
    ```python
    import redis

    r = redis.Redis()

    def remember_session(session_id, payload):
        r.set(f"session:{session_id}", payload, ex=3600)

    def count_view(page_id):
        key = f"views:{page_id}"
        with r.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, 86400)
            pipe.execute()
    ```

    ## References
    - Redis: SET (https://redis.io/docs/latest/commands/set/)
    - Redis: EXPIRE (https://redis.io/docs/latest/commands/expire/)
    - Django: The low-level cache API (https://docs.djangoproject.com/en/stable/topics/cache/#basic-usage)
    - Flask-Caching: API (https://flask-caching.readthedocs.io/en/latest/api.html)
    """

    code = "RB301"
    name = "cache-without-expiry"
    category = "cache-no-ttl"
    principle = Principle.CACHING
    severity = Severity.WARNING

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        if ctx.file.path_context == "test":
            return  # tests seed (often fake) caches with fixture data that lives as long as the test
        methods = VALUE_WRITES | STRUCTURE_WRITES | LIST_WRITES | set(TIMEOUT_POSITION) | set(AIOCACHE_TTL_POSITION)
        for site in ctx.calls_to(methods):
            call = site.node
            receiver = method_receiver(call)
            if receiver is None or scopes.call_has_splat(call):
                continue
            method = site.method
            report = None
            if method in VALUE_WRITES | STRUCTURE_WRITES | LIST_WRITES and is_redis_client(ctx, receiver):
                report = _redis_write(ctx, call, receiver, method)
            elif method in TIMEOUT_POSITION:
                report = _framework_cache_write(ctx, call, receiver, method)
            if report is None and method in AIOCACHE_TTL_POSITION and ctx.file.imports_module("aiocache"):
                report = _aiocache_write(ctx, call, receiver, method)
            if report is not None:
                yield report
        for site in ctx.calls_to({"cached", "cached_stampede"}):
            if site.name in AIOCACHE_DECORATORS and site.node.parent is not None and site.node.parent.type == "decorator":
                keywords = scopes.call_keyword_arguments(site.node)
                if "alias" in keywords or scopes.call_has_splat(site.node):
                    continue  # a configured cache may carry its own ttl
                ttl = keywords.get("ttl")
                if ttl is None or ttl.type == "none":
                    yield Report(site.node, f"`@{short_code(ctx, site.node.child_by_field_name('function'))}` "
                                            "has no `ttl`: cached results never expire; pass `ttl=<seconds>`")


def _redis_write(ctx: CheckContext, call: Node, receiver: Node, method: str) -> Report | None:
    key = first_argument(call, "name")
    if key is None and method not in MULTI_KEY_WRITES:
        return None
    target = f"{short_code(ctx, receiver, 30)}.{method}"
    if method in ("set",):
        keywords = scopes.call_keyword_arguments(call)
        positional = scopes.call_positional_arguments(call)
        if len(positional) > 2 and positional[2].type != "none":
            return None  # `set(name, value, ex)`
        if any(k in keywords and keywords[k].type not in ("none", "false") for k in SET_EXPIRY_KEYWORDS):
            return None
    kind = key_kind(ctx, key) if key is not None else "unknown"
    if kind == "dynamic" and method not in VALUE_WRITES and _key_over_small_domain(ctx, key):
        kind = "constant"  # one hash per queue: a handful of keys
    if method in STRUCTURE_WRITES and kind == "constant":
        return None
    if method in LIST_WRITES and kind != "dynamic":
        return None
    if _bounded_in_function(ctx, call, key, method):
        return None
    if key is not None and _managed_elsewhere(ctx, key, kind, method):
        return None
    if method in MULTI_KEY_WRITES:
        return Report(call, f"`{target}(...)` writes keys that never expire and nothing in this function sets "
                            "a TTL on them; follow it with `expire` per key (in one pipeline)")
    key_text = short_code(ctx, key, 40) if key is not None else "..."
    more = ", ..." if len(scopes.call_positional_arguments(call)) + len(scopes.call_keyword_arguments(call)) > 1 else ""
    if method == "set":
        return Report(call, f"`{target}({key_text}{more})` has no `ex`/`px`: the key never expires; "
                            "pass `ex=<seconds>`")
    return Report(call, f"`{target}({key_text}{more})` creates a key that never expires: nothing in this "
                        f"function calls `expire` on `{key_text}`; add it (in the same pipeline)")


def _bounded_in_function(ctx: CheckContext, call: Node, key: Node | None, method: str) -> bool:
    """Whether the same function sets an expiry on (or trims) the same key, or on a companion key
    built from it (`f"{key}/timeout"` written with `setex`: a soft TTL)."""
    function = scopes.enclosing_def(call)
    commands = set(EXPIRE_COMMANDS) | EXPIRING_WRITES
    if method in ("lpush", "rpush", "lpushx", "rpushx"):
        commands |= TRIM_COMMANDS["list"]
    elif method in ("zadd", "zincrby"):
        commands |= TRIM_COMMANDS["zset"]
    key_texts = _key_texts(ctx, key) if key is not None else set()
    key_name = key.text.decode() if key is not None and key.type == "identifier" else None
    for site in ctx.calls_to(commands):
        if site.node.id == call.id:
            continue
        other_function = scopes.enclosing_def(site.node)
        if (other_function.id if other_function else None) != (function.id if function else None):
            continue
        if site.method in EXPIRING_WRITES and not _write_sets_expiry(site.node, site.method):
            continue
        if method in MULTI_KEY_WRITES:
            return True
        other_key = first_argument(site.node, "name")
        if other_key is None:
            continue
        if _key_texts(ctx, other_key) & key_texts:
            return True
        if key_name is not None and site.method not in TRIM_COMMANDS["list"] | TRIM_COMMANDS["zset"] and (
            key_name in _names_in_key(ctx, other_key)
        ):
            return True
    return False


def _write_sets_expiry(call: Node, method: str) -> bool:
    """`setex`/`psetex` always do; `set`/`getex` when given `ex`/`px`/... (or `ex` positionally)."""
    if method in ("setex", "psetex"):
        return True
    keywords = scopes.call_keyword_arguments(call)
    if any(k in keywords and keywords[k].type not in ("none", "false") for k in SET_EXPIRY_KEYWORDS):
        return True
    positional = scopes.call_positional_arguments(call)
    return method == "set" and len(positional) > 2 and positional[2].type != "none"


def _names_in_key(ctx: CheckContext, key: Node) -> set[str]:
    """The names a key expression (or the local value it was bound to) is built from."""
    nodes = [key]
    if key.type == "identifier":
        binding = ctx.file.binding_before(key.text.decode(), key)
        if binding is not None:
            nodes.append(binding.value)
    return {name for node in nodes for name in references(node)}


def _key_texts(ctx: CheckContext, key: Node) -> set[str]:
    texts = {"".join(ctx.file.text(key).split())}
    if key.type == "identifier":
        binding = ctx.file.binding_before(key.text.decode(), key)
        if binding is not None:
            texts.add("".join(ctx.file.text(binding.value).split()))
    return texts


def _key_over_small_domain(ctx: CheckContext, key: Node) -> bool:
    """`f"jobs:{queue_name}"`: a key built from string parts and names of a small fixed domain."""
    value = key
    if key.type == "identifier":
        binding = ctx.file.binding_before(key.text.decode(), key)
        if binding is None:
            return False
        value = binding.value
    if value.type not in ("string", "concatenated_string", "binary_operator", "call"):
        return False
    if value.type == "call" and _format_template(ctx, value) is None:
        return False
    words: set[str] = set()
    for name in references(value):
        for part in name.split("."):
            if part == "format" or (part.isupper() and len(part) > 1):
                continue  # `.format` itself; UPPER_CASE constants
            words |= {w for w in part.lower().split("_") if w}
    return bool(words & BOUNDED_KEY_WORDS) and words <= BOUNDED_KEY_WORDS | NEUTRAL_KEY_WORDS


# --- keys managed elsewhere in the file -------------------------------------------------------


def _managed_elsewhere(ctx: CheckContext, key: Node, kind: str, method: str) -> bool:
    """Whether the file deletes, consumes or sweeps the same key: `set(self._pause_key, ...)` with
    `delete(self._pause_key)` in `resume()` is a flag with a lifecycle; `lpush(key(user_id), ...)`
    with a job that reads and deletes `key(user_id)` is a buffer. A per-entity value key that is
    only deleted on some path (`session:{id}` deleted at logout) still piles up, so for those only
    a sweep by pattern (`scan_iter("session:*")`) counts."""
    signature = key_signature(ctx, key)
    if signature is None:
        return False
    managed = ctx.file.memo(("rb301", "managed-keys"), lambda: _managed_signatures(ctx))
    swept = signature in managed["swept"]
    if kind == "dynamic" and method not in LIST_WRITES and not swept:
        return False
    return swept or signature in managed["ended"]


def _managed_signatures(ctx: CheckContext) -> dict[str, set[str]]:
    ended: set[str] = set()
    swept: set[str] = set()
    for site in ctx.calls_to(LIFECYCLE_COMMANDS | SWEEP_COMMANDS | EXPIRE_COMMANDS):
        receiver = method_receiver(site.node)
        if receiver is None:
            continue
        sweep = site.method in SWEEP_COMMANDS
        argument = scopes.call_keyword_arguments(site.node).get("match") if sweep else None
        if argument is None:
            argument = first_argument(site.node, "pattern" if sweep else "name")
        signature = key_signature(ctx, argument, pattern=sweep) if argument is not None else None
        if signature is None or not is_redis_client(ctx, receiver):
            continue
        (swept if sweep else ended).add(signature)
    return {"ended": ended, "swept": swept}


def key_signature(ctx: CheckContext, key: Node, pattern: bool = False, depth: int = 0) -> str | None:
    """What identifies a key across functions: its literal text, the literal prefix of a
    template (`session:` for `f"session:{sid}"`, `"session:%s" % sid` and the sweep pattern
    `"session:*"`), the helper that builds it (`key(user_id)`), or the attribute or constant that
    holds it. None for a plain local or parameter, which names a different value in each function."""
    if depth > 3:
        return None
    if key.type == "identifier":
        name = key.text.decode()
        binding = ctx.file.binding_before(name, key)
        if binding is None and scopes.enclosing_function(key) is not None and name.isupper():
            module = ctx.file.assignments_in(None).get(name)
            binding = module[-1] if module else None
        if binding is not None and binding.value.id != key.id:
            return key_signature(ctx, binding.value, pattern, depth + 1)
        return f"name:{name}" if name.isupper() and len(name) > 1 else None
    if key.type == "attribute":
        return f"attr:{ctx.file.text(key)}"
    if key.type in ("string", "concatenated_string", "binary_operator"):
        template = _template_prefix(ctx, key)
        if template is None:
            return None
        prefix, is_template = template
        if pattern:
            cut = min((i for i in (prefix.find("*"), prefix.find("?"), prefix.find("[")) if i >= 0), default=-1)
            if cut >= 0:
                prefix, is_template = prefix[:cut], True
        if is_template:
            return f"template:{prefix}" if len(prefix) >= 3 else None
        return f"literal:{prefix}"
    if key.type == "call":
        template = _format_template(ctx, key)
        if template is not None:
            return f"template:{template}" if len(template) >= 3 else None
        function = key.child_by_field_name("function")
        return f"call:{ctx.file.text(function)}" if function is not None else None
    return None


def _template_prefix(ctx: CheckContext, node: Node) -> tuple[str, bool] | None:
    """(literal text before the first placeholder, whether there is a placeholder)."""
    if node.type == "binary_operator":
        left = node.child_by_field_name("left")
        if left is None or left.type not in ("string", "concatenated_string"):
            return None
        prefix = _template_prefix(ctx, left)
        if prefix is None:
            return None
        text, _ = prefix
        return (text.split("%", 1)[0], True)
    if node.type == "concatenated_string":
        parts = node.named_children
        return _template_prefix(ctx, parts[0]) if parts else None
    if node.type != "string":
        return None
    text = ""
    for child in node.named_children:
        if child.type == "interpolation":
            return (text, True)
        if child.type == "string_content":
            text += child.text.decode()
    return (text, False)


def _format_template(ctx: CheckContext, call: Node) -> str | None:
    """`"user:{}".format(uid)` or `USER_KEY.format(id=uid)`: the text before the first `{`."""
    function = call.child_by_field_name("function")
    if function is None or function.type != "attribute":
        return None
    attribute = function.child_by_field_name("attribute")
    template = function.child_by_field_name("object")
    if attribute is None or attribute.text != b"format" or template is None:
        return None
    if template.type == "identifier":
        module = ctx.file.assignments_in(None).get(template.text.decode())
        template = module[-1].value if module else template
    if template.type != "string":
        return None
    prefix = _template_prefix(ctx, template)
    return prefix[0].split("{", 1)[0] if prefix is not None else None


def key_kind(ctx: CheckContext, key: Node) -> str:
    """'constant' for a literal key (or a name bound to one, or an UPPER_CASE constant),
    'dynamic' for a key built from values (an f-string, `%`, `+`, `.format`, a call with
    arguments), 'unknown' otherwise (a parameter, an attribute)."""
    if key.type == "identifier":
        name = key.text.decode()
        binding = ctx.file.binding_before(name, key)
        if binding is not None and binding.value.id != key.id:
            return key_kind(ctx, binding.value) if binding.value.type != "identifier" else "unknown"
        if name.isupper() and len(name) > 1:
            return "constant"
        return "unknown"
    if key.type == "attribute":
        attribute = key.child_by_field_name("attribute")
        name = attribute.text.decode() if attribute is not None else ""
        return "constant" if name.isupper() and len(name) > 1 else "unknown"  # `self.KEY_NAME`
    if key.type == "string":
        return "dynamic" if any(c.type == "interpolation" for c in key.named_children) else "constant"
    if key.type == "concatenated_string":
        return "dynamic" if any(key_kind(ctx, part) == "dynamic" for part in key.named_children) else "constant"
    if key.type == "binary_operator":
        return "dynamic"
    if key.type == "call":
        arguments = key.child_by_field_name("arguments")
        return "dynamic" if arguments is not None and arguments.named_child_count else "unknown"
    return "unknown"


def _framework_cache_write(ctx: CheckContext, call: Node, receiver: Node, method: str) -> Report | None:
    timeout = _timeout_argument(call, method)
    if timeout is None:
        return None
    if _is_django_cache(ctx, receiver):
        if timeout.type == "none":
            return Report(call, f"`{short_code(ctx, receiver, 30)}.{method}(...)` with timeout `None` caches the "
                                "entry forever; pass a timeout in seconds, or omit it to use the configured default")
        return None
    if _is_zero(timeout) and _is_flask_cache(ctx, receiver):
        return Report(call, f"`{short_code(ctx, receiver, 30)}.{method}(...)` with timeout `0` caches the entry "
                            "forever; pass a timeout in seconds, or omit it to use the configured default")
    return None


def _timeout_argument(call: Node, method: str) -> Node | None:
    return scopes.call_argument(call, "timeout", TIMEOUT_POSITION[method])


def _is_zero(node: Node) -> bool:
    return node.type == "integer" and node.text.strip() == b"0"


def _is_django_cache(ctx: CheckContext, receiver: Node) -> bool:
    if ctx.file.qualname(receiver) in DJANGO_CACHES and receiver_value(ctx, receiver) is None:
        return True
    candidates = [receiver]
    value = receiver_value(ctx, receiver)
    if value is not None:
        candidates.append(value)
    for node in candidates:
        if node.type == "subscript":
            mapping = node.child_by_field_name("value")
            if ctx.file.qualname(mapping) in DJANGO_CACHE_MAPS:
                return True
        if node is value and ctx.file.qualname(node) in DJANGO_CACHES:
            return True
    return False


def _is_flask_cache(ctx: CheckContext, receiver: Node) -> bool:
    value = receiver_value(ctx, receiver)
    if value is not None:
        return call_function_name(ctx, value) in FLASK_CACHE_FACTORIES
    # `from .extensions import cache` in a Flask app: Django's `cache` is always imported from
    # django.core.cache, so an unbound `cache` next to Flask imports is Flask-Caching's.
    return (
        receiver.type == "identifier"
        and receiver.text == b"cache"
        and (ctx.file.imports_module("flask") or ctx.file.imports_module("flask_caching"))
        and not ctx.file.imports_module("django")
    )


def _aiocache_write(ctx: CheckContext, call: Node, receiver: Node, method: str) -> Report | None:
    value = receiver_value(ctx, receiver)
    if value is None or value.type != "call" or call_function_name(ctx, value) not in AIOCACHE_FACTORIES:
        return None
    if "ttl" in scopes.call_keyword_arguments(value) or scopes.call_has_splat(value):
        return None  # the cache's default ttl applies
    keywords = scopes.call_keyword_arguments(call)
    positional = scopes.call_positional_arguments(call)
    ttl = keywords.get("ttl")
    position = AIOCACHE_TTL_POSITION[method]
    if ttl is None and len(positional) > position:
        ttl = positional[position]
    if ttl is not None and ttl.type != "none":
        return None
    name = short_code(ctx, receiver, 30)
    return Report(call, f"`{name}.{method}(...)` has no `ttl` and `{name}` was built without a default `ttl`: "
                        "the entry never expires; pass `ttl=<seconds>`")
