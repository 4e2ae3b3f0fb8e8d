"""Client vocabulary of the caching rules: which calls build network clients, and whether a
receiver is a Redis client (or a pipeline of one). Valkey, the Redis fork, counts as Redis.

Receivers are identified by what built them (`redis.Redis(...)`, `redis.from_url(...)`,
`get_redis_connection()`), by a parameter or variable annotation, or, when nothing binds them in
the file, by a name that says `redis` (`redis_client`, `self.redis`, `app.state.redis`), or by
a project's own snake_case factory named for it (`get_redis()`, `redis_client("default")`). Short
or generic names (`r`, `cache`, `client`) are never guessed.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from reviewbot.checks.helpers import call_function_name, receiver_value
from reviewbot.checks.registry import CheckContext
from reviewbot.source import scopes

REDIS_FACTORIES = frozenset(
    {
        "redis.Redis",
        "redis.StrictRedis",
        "redis.from_url",
        "redis.Redis.from_url",
        "redis.StrictRedis.from_url",
        "redis.client.Redis",
        "redis.client.StrictRedis",
        "redis.RedisCluster",
        "redis.cluster.RedisCluster",
        "redis.asyncio.Redis",
        "redis.asyncio.StrictRedis",
        "redis.asyncio.from_url",
        "redis.asyncio.Redis.from_url",
        "redis.asyncio.client.Redis",
        "redis.asyncio.RedisCluster",
        "redis.asyncio.cluster.RedisCluster",
        "aioredis.Redis",
        "aioredis.StrictRedis",
        "aioredis.from_url",
        "aioredis.Redis.from_url",
        "aioredis.create_redis",
        "aioredis.create_redis_pool",
        "django_redis.get_redis_connection",
        "flask_redis.FlaskRedis",
        # Valkey, the Redis fork, keeps the client API.
        "valkey.Valkey",
        "valkey.StrictValkey",
        "valkey.from_url",
        "valkey.Valkey.from_url",
        "valkey.client.Valkey",
        "valkey.asyncio.Valkey",
        "valkey.asyncio.from_url",
        "valkey.asyncio.Valkey.from_url",
    }
)
REDIS_TYPES = frozenset(
    {
        "redis.Redis",
        "redis.StrictRedis",
        "redis.client.Redis",
        "redis.client.Pipeline",
        "redis.RedisCluster",
        "redis.cluster.RedisCluster",
        "redis.asyncio.Redis",
        "redis.asyncio.client.Redis",
        "redis.asyncio.client.Pipeline",
        "redis.asyncio.RedisCluster",
        "aioredis.Redis",
        "aioredis.client.Redis",
        "valkey.Valkey",
        "valkey.client.Valkey",
        "valkey.client.Pipeline",
        "valkey.asyncio.Valkey",
        "valkey.asyncio.client.Valkey",
    }
)
_REDIS_NAME = re.compile(r"(?i)(^|_)(redis|valkey)($|_)|^(redis|valkey)|(redis|valkey)$")
_REDIS_WORD = re.compile(r"(^|_)(redis|valkey)($|_)")
# Libraries whose redis-named helpers return something other than a client.
_CACHE_LIBRARIES = frozenset({"cachelib", "aiocache", "flask_caching", "django", "dogpile", "cachetools"})
_MAX_DEPTH = 4


def is_redis_client(ctx: CheckContext, receiver: Node) -> bool:
    """Whether `receiver` holds a Redis client or one of its pipelines."""
    return file_mentions_redis(ctx) and _is_redis(ctx, receiver, 0)


def file_mentions_redis(ctx: CheckContext) -> bool:
    """Every way of recognising a client (a factory, an annotation, a name) spells `redis`
    somewhere in the file; a file that never does cannot hold one we would recognise."""
    return ctx.file.memo(("clients", "mentions-redis"), lambda: _mentions_redis(ctx.file.source.lower()))


def _mentions_redis(source: bytes) -> bool:
    return b"redis" in source or b"valkey" in source


def _is_redis(ctx: CheckContext, receiver: Node, depth: int) -> bool:
    if depth > _MAX_DEPTH:
        return False
    if receiver.type == "await" and receiver.named_children:
        receiver = receiver.named_children[0]
    if receiver.type == "parenthesized_expression" and receiver.named_children:
        receiver = receiver.named_children[0]
    if receiver.type == "call":
        return _is_redis_call(ctx, receiver, depth)
    if receiver.type == "identifier" and _annotated_as_redis(ctx, receiver):
        return True
    value = receiver_value(ctx, receiver)
    if value is not None:
        if value.type == "await" and value.named_children:
            value = value.named_children[0]
        if value.type == "call":
            return _is_redis_call(ctx, value, depth)
        if value.type in ("identifier", "attribute") and value.id != receiver.id:
            return _is_redis(ctx, value, depth + 1)
        return False
    if receiver.type == "identifier" and ctx.file.imports.get(receiver.text.decode()) in (
        "redis", "redis.asyncio", "valkey", "valkey.asyncio"
    ):
        return False  # the module itself, not a client
    return _has_redis_name(receiver)


def _is_redis_call(ctx: CheckContext, call: Node, depth: int) -> bool:
    name = call_function_name(ctx, call)
    if name in REDIS_FACTORIES:
        return True
    function = call.child_by_field_name("function")
    if function is None:
        return False
    if _is_redis_factory_function(ctx, function, name):
        return True
    if function.type != "attribute":
        return False
    method = function.child_by_field_name("attribute")
    owner = function.child_by_field_name("object")
    if method is None or owner is None:
        return False
    if method.text == b"pipeline":
        return _is_redis(ctx, owner, depth + 1)
    if method.text in (b"master_for", b"slave_for"):
        return ctx.file.imports_module("redis")
    return False


def _is_redis_factory_function(ctx: CheckContext, function: Node, name: str | None) -> bool:
    """A project's own factory named for Redis: `redis_client("default")`, `get_redis()`,
    `create_redis("app")`. Only snake_case function names: `RedisCache(...)` (cachelib,
    aiocache) is a cache with its own API, and a library's function is known by its module."""
    written = function.child_by_field_name("attribute") if function.type == "attribute" else function
    if written is None or written.type != "identifier":
        return False
    text = written.text.decode()
    if text != text.lower() or not _REDIS_WORD.search(text):
        return False
    root = (name or "").split(".", 1)[0]
    return root not in _CACHE_LIBRARIES


def _annotated_as_redis(ctx: CheckContext, identifier: Node) -> bool:
    function = scopes.enclosing_def(identifier)
    name = identifier.text.decode()
    annotation = scopes.parameter_annotation(function, name) if function is not None else None
    if annotation is None:
        binding = ctx.file.binding_before(name, identifier)
        annotation = binding.node.child_by_field_name("type") if binding is not None else None
    return annotation is not None and any(
        ctx.file.qualname(part) in REDIS_TYPES or _string_names_redis_type(part) for part in _annotation_parts(annotation)
    )


def _annotation_parts(annotation: Node) -> list[Node]:
    """The type names in `Redis`, `Redis[bytes]`, `Redis | None`, `Optional[Redis]`, `"Redis"`."""
    parts: list[Node] = []
    pending = [annotation]
    while pending and len(parts) < 8:
        node = pending.pop()
        if node.type in ("type", "generic_type", "type_parameter", "binary_operator", "subscript", "union_type"):
            pending.extend(node.named_children)
        else:
            parts.append(node)
    return parts


def _string_names_redis_type(node: Node) -> bool:
    if node.type != "string":
        return False
    text = node.text.decode().strip("'\"")
    return text.rsplit(".", 1)[-1] in ("Redis", "StrictRedis", "Valkey", "Pipeline")


def _has_redis_name(receiver: Node) -> bool:
    if receiver.type == "identifier":
        name = receiver.text.decode()
    elif receiver.type == "attribute":
        attribute = receiver.child_by_field_name("attribute")
        name = attribute.text.decode() if attribute is not None else ""
    else:
        return False
    return bool(_REDIS_NAME.search(name))


def callee_is_imported(ctx: CheckContext, call: Node) -> bool:
    """Whether the root name of a call's callee comes from an import: `requests.get` after
    `import requests`, not a local dict that happens to be called `requests`."""
    node = call.child_by_field_name("function")
    while node is not None and node.type == "attribute":
        node = node.child_by_field_name("object")
    if node is None or node.type != "identifier":
        return False
    name = node.text.decode()
    if name not in ctx.file.imports:
        return False
    binding = ctx.file.binding_before(name, call)
    # `try: import requests / except ImportError: requests = None`: still the library when set
    return binding is None or binding.value.type == "none"


def method_receiver(call: Node) -> Node | None:
    """`x` in `x.method(...)`, or None for a plain function call."""
    function = call.child_by_field_name("function")
    if function is None or function.type != "attribute":
        return None
    return function.child_by_field_name("object")


def first_argument(call: Node, keyword: str) -> Node | None:
    """The first positional argument, or the keyword argument `keyword`."""
    positional = scopes.call_positional_arguments(call)
    if positional:
        return positional[0]
    return scopes.call_keyword_arguments(call).get(keyword)


def short_code(ctx: CheckContext, node: Node, limit: int = 48) -> str:
    """The source of `node` on one line, cut to `limit` characters."""
    text = " ".join(ctx.file.text(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def call_display(ctx: CheckContext, call: Node) -> str:
    """`re.compile(...)`, `Setting.objects.filter(...).first(...)`: a call chain with its arguments
    elided, for messages."""
    text = _elide(ctx, call, 0)
    if len(text) > 60:
        function = call.child_by_field_name("function")
        attribute = function.child_by_field_name("attribute") if function is not None else None
        text = f"….{attribute.text.decode()}(...)" if attribute is not None else text[:59] + "…"
    return text


def _elide(ctx: CheckContext, node: Node, depth: int) -> str:
    if depth > 8:
        return "…"
    if node.type == "call":
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        inner = _elide(ctx, function, depth + 1) if function is not None else ""
        empty = arguments is not None and arguments.named_child_count == 0
        return f"{inner}()" if empty else f"{inner}(...)"
    if node.type == "attribute":
        obj = node.child_by_field_name("object")
        attribute = node.child_by_field_name("attribute")
        if obj is not None and attribute is not None:
            return f"{_elide(ctx, obj, depth + 1)}.{attribute.text.decode()}"
    if node.type == "await" and node.named_children:
        return _elide(ctx, node.named_children[0], depth + 1)
    return short_code(ctx, node, 40)
