"""What an object a method is called on is: a database session, connection, cursor or pool, a
Mongo collection, or a Redis client (and not an HTTP session, a pipeline or Django's cache)."""

from __future__ import annotations

import re

from tree_sitter import Node

from reviewbot.checks._orm.syntax import (
    Link,
    binding_before,
    last_segment,
    module_binding,
    short_text,
    text_of,
    unwrap,
)
from reviewbot.checks.helpers import self_attribute_value
from reviewbot.checks.registry import CheckContext
from reviewbot.source import scopes

_DB_RECEIVER = re.compile(
    r"(?:^|_)(?:cur|curs|cursor|conn|connection|con|db|database|pool|session|sess|tx|transaction|engine|dbsession)$",
    re.I,
)


_DB_FACTORY = re.compile(
    r"(?:^|\.)(?:cursor|connect|acquire|begin|get_db\w*|get_conn\w*|get_session\w*|\w*[Ss]ession(?:Local|Maker)?"
    r"|sessionmaker|create_pool|create_engine|scoped_session)(?:\(\))?$"
)


_HTTP_FACTORY = re.compile(r"(?:^|\.)(?:requests|aiohttp|httpx|urllib3|grequests)\.|ClientSession$|AsyncClient$")


_NOT_DB_SESSION = frozenset({"request.session", "self.request.session", "flask.session", "self.client.session",
                             "client.session", "requests.session"})


DB_ANNOTATIONS = re.compile(r"(?:^|\.)(?:Session|AsyncSession|Connection|AsyncConnection|Cursor|Pool|Engine|"
                            r"scoped_session|Database)$")


_COLLECTION_RECEIVER = re.compile(r"(?:^|_)(?:coll|collection|col|table|docs|mongo)$|^db\.|\bdb\[|collection", re.I)


_REDIS_FACTORY = re.compile(r"^(?:redis|aioredis|redis\.asyncio)(?:\.\w+)*\.(?:Redis|StrictRedis|from_url|"
                            r"RedisCluster)(?:\.from_url)?$|(?:^|\.)get_redis_connection$|^(?:Redis|StrictRedis)"
                            r"(?:\.from_url)?$")


_PIPELINE_NAME = re.compile(r"^(?:pipe|pipeline|p|pl|tx)$|_pipe(?:line)?$", re.I)


def is_db_receiver(ctx: CheckContext, root: Node, before: list[Link], method: str) -> bool:
    """Whether the object a method is called on is a database session, connection, cursor or pool."""
    if before and before[-1].call is not None:
        # `conn.cursor().execute(...)`, `Session().query(...)`, `engine.connect().execute(...)`
        return bool(_DB_FACTORY.search(before[-1].name)) and not _HTTP_FACTORY.search(short_text(before[-1].node))
    receiver = before[-1].node if before else root
    if receiver.type == "call":
        name = ctx.file.call_name(receiver) or ""
        return bool(_DB_FACTORY.search(name)) and not _HTTP_FACTORY.search(name)
    text = text_of(receiver)
    qualified = ctx.file.qualname(receiver) or text
    if text in _NOT_DB_SESSION or qualified in _NOT_DB_SESSION or text.endswith("request.session"):
        return False
    if receiver.type == "identifier" and qualified != text and "." in qualified:
        return False  # a module-level import: `from flask import session`
    value = bound_value(ctx, receiver)
    if value is not None:
        value = unwrap(value)
        if value.type == "call":
            name = ctx.file.call_name(value) or ""
            if _HTTP_FACTORY.search(name):
                return False
            if _DB_FACTORY.search(name):
                return True
            if _REDIS_FACTORY.search(name):
                return False
    annotation = annotation_name(ctx, receiver)
    if annotation is not None:
        return bool(DB_ANNOTATIONS.search(annotation))
    last = text.rsplit(".", 1)[-1].lstrip("_")
    if not _DB_RECEIVER.search(last):
        return False
    if method == "get" and "sess" not in last.lower() and last.lower() != "db":
        return False
    return True


def bound_value(ctx: CheckContext, receiver: Node) -> Node | None:
    if receiver.type == "identifier":
        binding = binding_before(ctx, text_of(receiver), receiver)
        if binding is not None:
            return binding[1]
        module = module_binding(ctx, text_of(receiver))
        return module[1] if module is not None else None
    if receiver.type == "attribute":
        obj = receiver.child_by_field_name("object")
        attribute = receiver.child_by_field_name("attribute")
        if obj is not None and attribute is not None and text_of(obj) in ("self", "cls"):
            function = scopes.enclosing_def(receiver)
            owner = scopes.method_class(function) if function is not None else None
            if owner is not None:
                return self_attribute_value(ctx, owner, text_of(attribute))
    return None


def annotation_name(ctx: CheckContext, receiver: Node) -> str | None:
    if receiver.type != "identifier":
        return None
    function = scopes.enclosing_def(receiver)
    if function is None:
        return None
    annotation = scopes.parameter_annotation(function, text_of(receiver))
    if annotation is None:
        return None
    target = annotation.named_children[0] if annotation.named_children else annotation
    if target.type == "generic_type" and target.named_children:
        target = target.named_children[0]
    return ctx.file.qualname(target) or text_of(target)


def is_collection(ctx: CheckContext, root: Node, before: list[Link], call: Node) -> bool:
    """`db.orders.find({...})`, `db["orders"].find()`, `self.collection.find()`: a Mongo collection,
    not `str.find` or BeautifulSoup's `find("div")`."""
    arguments = scopes.call_positional_arguments(call)
    if arguments and arguments[0].type not in ("dictionary", "identifier", "list"):
        return False
    receiver = before[-1].node if before else root
    text = text_of(receiver)
    if _COLLECTION_RECEIVER.search(text):
        return True
    value = bound_value(ctx, receiver)
    if value is not None:
        value_text = text_of(value)
        return bool(value.type == "subscript" or "get_collection" in value_text or _COLLECTION_RECEIVER.search(value_text))
    return False


def is_redis_receiver(ctx: CheckContext, receiver: Node) -> bool:
    """A Redis client (not a pipeline, not Django's cache)."""
    text = text_of(receiver)
    last = text.rsplit(".", 1)[-1]
    value = bound_value(ctx, receiver)
    if value is not None:
        value = unwrap(value)
        if value.type == "call":
            name = ctx.file.call_name(value) or ""
            if name.endswith(("pipeline", "pipeline()")) or ".pipeline" in name:
                return False
            if _REDIS_FACTORY.search(name):
                return True
    if _PIPELINE_NAME.search(last):
        return False
    annotation = annotation_name(ctx, receiver)
    if annotation is not None and re.search(r"(?:^|\.)(?:Redis|StrictRedis)$", annotation):
        return True
    qualified = ctx.file.qualname(receiver) or text
    if receiver.type == "identifier" and qualified != text:
        # an imported client (`from app.extensions import redis_client`), not the `redis` module
        return qualified not in ("redis", "aioredis", "redis.asyncio") and "redis" in qualified.rsplit(".", 1)[-1].lower()
    return "redis" in last.lower()


def has_model_argument(ctx: CheckContext, call: Node) -> bool:
    arguments = scopes.call_positional_arguments(call)
    return bool(arguments) and arguments[0].type in ("identifier", "attribute") and last_segment(
        arguments[0])[:1].isupper()


def is_sqlalchemy_session(ctx: CheckContext, root: Node, before: list[Link]) -> bool:
    receiver = before[-1].node if before else root
    text = text_of(receiver)
    if "sess" in text.lower():
        return True
    annotation = annotation_name(ctx, receiver)
    if annotation is not None and re.search(r"Session$", annotation):
        return True
    value = bound_value(ctx, receiver)
    return value is not None and "ession" in text_of(value)
