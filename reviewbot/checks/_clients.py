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

from tree_sitter import Node, QueryCursor

from reviewbot.checks.helpers import call_function_name, receiver_value
from reviewbot.checks.registry import CheckContext
from reviewbot.source import scopes
from reviewbot.source.parsing import compile_query

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


# What a client-holding receiver was built by. Clients live in locals, module globals, instance
# attributes (set in any method, a class attribute, or returned by a property), and on a web app's
# `state` (`app.state.http = httpx.AsyncClient()` in a lifespan, read as `request.app.state.http`).
_PROPERTY_DECORATORS = re.compile(r"(?:^|\.)(?:property|cached_property)$")
_STATE_ASSIGNMENT = re.compile(rb"\.state\.([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)")
_MAX_VALUES = 8


def held_values(ctx: CheckContext, receiver: Node) -> list[Node]:
    """The expressions that may have built what `receiver` holds: `requests.Session()` for
    `self.session` after `self.session = session or requests.Session()`. `None` placeholders are
    left out; an empty list means nothing in the file binds it."""
    values: list[Node] = []
    _collect_values(ctx, receiver, values, 0)
    return values


def is_built_by(ctx: CheckContext, receiver: Node, factories: frozenset[str]) -> bool:
    """Whether every expression `receiver` may hold is a call to one of `factories`."""
    values = held_values(ctx, receiver)
    return bool(values) and all(call_function_name(ctx, value) in factories for value in values)


def _collect_values(ctx: CheckContext, node: Node, values: list[Node], depth: int) -> None:
    if depth > _MAX_DEPTH or len(values) >= _MAX_VALUES:
        return
    kind = node.type
    if kind in ("await", "parenthesized_expression") and node.named_children:
        _collect_values(ctx, node.named_children[0], values, depth + 1)
    elif kind == "none":
        return
    elif kind == "boolean_operator":
        # `session or requests.Session()`: the fallback says what it is
        right = node.child_by_field_name("right")
        if right is not None:
            _collect_values(ctx, right, values, depth + 1)
    elif kind == "conditional_expression":
        for branch in (node.named_children[0], node.named_children[-1]) if node.named_children else ():
            _collect_values(ctx, branch, values, depth + 1)
    elif kind in ("identifier", "attribute"):
        for value in _bound_values(ctx, node):
            if value.id != node.id:
                _collect_values(ctx, value, values, depth + 1)
    else:
        values.append(node)


def _bound_values(ctx: CheckContext, node: Node) -> list[Node]:
    if node.type == "identifier":
        value = receiver_value(ctx, node)
        return [value] if value is not None else []
    obj = node.child_by_field_name("object")
    attribute = node.child_by_field_name("attribute")
    if obj is None or attribute is None:
        return []
    name = attribute.text.decode()
    if obj.type == "identifier" and obj.text in (b"self", b"cls"):
        function = scopes.enclosing_def(node)
        owner = scopes.method_class(function) if function is not None else None
        return _class_members(ctx, owner).get(name, []) if owner is not None else []
    if obj.type == "attribute" and (state := obj.child_by_field_name("attribute")) is not None and (
        state.text == b"state"
    ):
        return _state_values(ctx).get(name, [])
    return []


_INSTANCE_ASSIGNMENTS = compile_query(
    """
    (assignment
        left: (attribute object: (identifier) @object attribute: (identifier) @attribute)
        right: (_) @value)
    """
)
_RETURNS = compile_query("(return_statement (_) @value)")


def _class_members(ctx: CheckContext, class_node: Node) -> dict[str, list[Node]]:
    """Attribute name -> the values a class gives it: `self.x = ...` in any method, `x = ...` in
    the class body, and what a `@property` or `@cached_property` named `x` returns."""
    def compute() -> dict[str, list[Node]]:
        members: dict[str, list[Node]] = {}
        for _, match in QueryCursor(_INSTANCE_ASSIGNMENTS).matches(class_node):
            if match["object"][0].text in (b"self", b"cls"):
                members.setdefault(match["attribute"][0].text.decode(), []).append(match["value"][0])
        body = class_node.child_by_field_name("body")
        for statement in body.named_children if body is not None else ():
            definition = statement.child_by_field_name("definition") if statement.type == "decorated_definition" \
                else statement
            if definition is None:
                continue
            if definition.type == "expression_statement" and definition.named_children:
                assignment = definition.named_children[0]
                left = assignment.child_by_field_name("left") if assignment.type == "assignment" else None
                right = assignment.child_by_field_name("right") if left is not None else None
                if left is not None and left.type == "identifier" and right is not None:
                    members.setdefault(left.text.decode(), []).append(right)
            elif definition.type == "function_definition" and _is_property(ctx, definition):
                members.setdefault(scopes.function_name(definition), []).extend(_returned_values(definition))
        return members

    return ctx.file.memo(("clients", "class-members", class_node.id), compute)


def _is_property(ctx: CheckContext, function: Node) -> bool:
    return any(
        _PROPERTY_DECORATORS.search(ctx.file.qualname(decorator) or "")
        for decorator in scopes.decorator_expressions(function)
    )


def _returned_values(function: Node) -> list[Node]:
    values = []
    for _, match in QueryCursor(_RETURNS).matches(function):
        value = match["value"][0]
        owner = scopes.enclosing_function(value)
        if owner is not None and owner.id == function.id:
            values.append(value)
    return values


def _state_values(ctx: CheckContext) -> dict[str, list[Node]]:
    """Attribute name -> the values assigned to `<app>.state.<name>` anywhere in the file."""
    def compute() -> dict[str, list[Node]]:
        values: dict[str, list[Node]] = {}
        source = ctx.file.source
        if b".state." not in source:
            return values
        root = ctx.file.root
        for found in _STATE_ASSIGNMENT.finditer(source):
            name = root.descendant_for_byte_range(found.start(1), found.end(1))
            target = name.parent if name is not None else None
            assignment = target.parent if target is not None else None
            if (
                assignment is not None and assignment.type == "assignment" and target.type == "attribute"
                and (left := assignment.child_by_field_name("left")) is not None and left.id == target.id
                and (right := assignment.child_by_field_name("right")) is not None
            ):
                values.setdefault(name.text.decode(), []).append(right)
        return values

    return ctx.file.memo(("clients", "state-values"), compute)
