"""RB302: memoization that never evicts."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from reviewbot.checks._clients import method_receiver, short_code
from reviewbot.checks.registry import CheckContext, Match, Report, Rule
from reviewbot.findings import Principle, Severity
from reviewbot.source import scopes

# Parameter-name words whose values come from users or rows: one cache entry per distinct value.
UNBOUNDED_WORDS = frozenset(
    {"id", "ids", "pk", "pks", "uuid", "uid", "guid", "userid", "user", "users", "email", "username", "login",
     "query", "q", "search", "term", "text", "url", "urls", "uri", "link", "token", "ip", "payload", "body",
     "request", "req", "message", "msg", "content", "phone", "slug", "sku", "customer", "account", "timestamp",
     "ts", "sql", "html", "document", "address", "input", "prompt", "session", "sid", "host", "hostname",
     "header", "headers", "cookie", "cookies", "agent", "referer", "referrer", "keyword", "keywords", "addr",
     "digest"}
)
# Words naming small, fixed domains (a model class, a locale, a setting): a cache over them stays small.
BOUNDED_WORDS = frozenset(
    {"name", "names", "model", "models", "cls", "klass", "class", "type", "types", "kind", "lang", "language",
     "locale", "field", "fields", "backend", "alias", "setting", "settings", "template", "path", "file",
     "filename", "module", "app", "label", "format", "fmt", "level", "region", "currency", "country", "provider",
     "service", "env", "version", "scheme", "schema", "table", "column", "mode", "status", "state", "dtype",
     "encoding", "method", "event", "action", "code", "size", "dialect", "driver", "engine", "flag", "feature",
     "permission", "perm", "role", "group", "category", "func", "fn", "function", "attr", "attribute", "n"}
)
# Words naming code objects: a cache keyed by them holds one entry per function or class.
CODE_OBJECT_WORDS = frozenset({"func", "fn", "function", "cls", "klass", "class", "type", "model", "module",
                               "method", "callable", "view", "handler"})
UNBOUNDED_ANNOTATIONS = frozenset({"Request", "HttpRequest", "WSGIRequest", "ASGIRequest", "UUID"})
ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})
# Annotations whose values form a small fixed set (`None` comes with `Optional[bool]`).
SMALL_DOMAIN_ANNOTATIONS = frozenset({"bool", "Literal", "None", "Optional"})
# Other linters' codes for the same problem: a decorator their users already waived is not
# reported again (flake8-bugbear/ruff B019, pylint W1518).
EQUIVALENT_WAIVERS = re.compile(r"(?i)#\s*(?:noqa\b[^#]*\bB019\b|pylint:\s*disable=[^#]*"
                                r"(?:W1518|method-cache-max-size-none))")
DICT_FACTORIES = frozenset({"dict", "collections.defaultdict", "collections.OrderedDict"})
_CACHE_NAME = re.compile(r"(?i)cache|memo")
_CONFIGURATION_NAME = re.compile(r"(?i)base_?url|api_?key|api_?base|endpoint|dsn|connection_?string|proxy")
_WORD = re.compile(r"[a-z]+|[A-Z][a-z]*")


class UnboundedMemoization(Rule):
    """## What it does
    Checks for memoization without a size bound: `functools.cache` or `lru_cache(maxsize=None)`
    on methods, or on functions whose arguments are ids, user input or request objects; and
    module-level dicts filled as caches inside functions, keyed by such values, with nothing that
    ever evicts an entry.

    ## Why is this bad?
    An unbounded cache keeps one entry per distinct argument for the life of the process. Keyed by
    user ids, URLs or search terms, it grows with traffic until the worker is killed for memory.
    On a method the cache also holds `self`, so every instance it was called on stays alive.
    Functions whose arguments range over a small fixed set (a model class, a setting name) and
    zero-argument functions are not reported, nor dicts that are popped, cleared or size-checked
    somewhere in the file, nor registries filled by decorators at import time. A decorator already
    waived for the same problem in another linter (`# noqa: B019`, pylint `W1518`) is left alone.

    ## Example
    ```python
    from functools import lru_cache

    _profiles = {}

    @lru_cache(maxsize=None)
    def permissions_for(user_id):
        ...

    def profile(user_id):
        if user_id not in _profiles:
            _profiles[user_id] = load_profile(user_id)
        return _profiles[user_id]
    ```

    ## Use instead
    ```python
    from functools import lru_cache

    from cachetools import TTLCache, cached

    @lru_cache(maxsize=4096)
    def permissions_for(user_id):
        ...

    @cached(TTLCache(maxsize=10_000, ttl=300))
    def profile(user_id):
        return load_profile(user_id)
    ```

    ## References
    - Python: functools.lru_cache (https://docs.python.org/3/library/functools.html#functools.lru_cache)
    - Python FAQ: How do I cache method calls? (https://docs.python.org/3/faq/programming.html#how-do-i-cache-method-calls)
    - cachetools (https://cachetools.readthedocs.io/)
    """

    code = "RB302"
    name = "unbounded-memoization"
    category = "unbounded-memo"
    principle = Principle.CACHING
    severity = Severity.WARNING
    query = r"""
    (decorated_definition
        (decorator) @rb302.decorator
        definition: (function_definition) @rb302.function
        (#match? @rb302.decorator "cache"))
    (module (expression_statement
        (assignment left: (identifier) @rb302.dict_name right: (dictionary) @rb302.dict_value)))
    (module (expression_statement
        (assignment left: (identifier) @rb302.dict_name
            right: (call function: (_) @rb302.dict_factory) @rb302.dict_value
            (#match? @rb302.dict_factory "^(dict|defaultdict|OrderedDict|collections[.](defaultdict|OrderedDict))$"))))
    (assignment left: (subscript value: (identifier) @rb302.write_target) right: (_) @rb302.write_value) @rb302.write
    (delete_statement (subscript value: (identifier) @rb302.deleted))
    (delete_statement (expression_list (subscript value: (identifier) @rb302.deleted)))
    (global_statement (identifier) @rb302.global)
    """

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        module_dicts: dict[str, Node] = {}
        writes: list[Match] = []
        evicted: set[str] = set()
        for match in matches:
            if "rb302.decorator" in match:
                report = _decorator_report(ctx, match["rb302.decorator"][0], match["rb302.function"][0])
                if report is not None:
                    yield report
            elif "rb302.dict_name" in match:
                value = match["rb302.dict_value"][0]
                if _is_empty_dict(ctx, value):
                    module_dicts[match["rb302.dict_name"][0].text.decode()] = value
            elif "rb302.write" in match:
                writes.append(match)
            elif "rb302.deleted" in match:
                evicted.add(match["rb302.deleted"][0].text.decode())
            elif "rb302.global" in match and _reassigned_in_function(ctx, match["rb302.global"][0]):
                evicted.add(match["rb302.global"][0].text.decode())  # `global CACHE; CACHE = {}`: a reset
        if not module_dicts:
            return
        evicted |= _evicted_by_calls(ctx, module_dicts)
        reported: set[tuple[str, int]] = set()
        candidates = [(m["rb302.write"][0], m["rb302.write_target"][0], m["rb302.write_value"][0]) for m in writes]
        candidates += _setdefault_writes(ctx, module_dicts)
        for write, target, value in candidates:
            name = target.text.decode()
            if name not in module_dicts or name in evicted:
                continue
            function = scopes.enclosing_function(write)
            if function is None or function.type != "function_definition":
                continue  # filled at import time: a table or a registry
            if (name, function.id) in reported:
                continue
            report = _dict_cache_report(ctx, write, target, value, function, name)
            if report is not None:
                reported.add((name, function.id))
                yield report


# --- decorators ------------------------------------------------------------------------------------


def _decorator_report(ctx: CheckContext, decorator: Node, function: Node) -> Report | None:
    if not decorator.named_children:
        return None
    expression = decorator.named_children[0]
    label = _unbounded_decorator(ctx, expression)
    if label is None or scopes.enclosing_function(function) is not None:
        return None  # a cache inside a function dies with it
    if _waived_elsewhere(ctx, decorator, function):
        return None
    owner = scopes.method_class(function)
    parameters = scopes.parameter_names(function)
    if owner is not None:
        if _class_is_enum(ctx, owner):
            return None
        kinds = {ctx.file.qualname(d) for d in scopes.decorator_expressions(function)}
        if "classmethod" in kinds:
            parameters = parameters[1:]
        elif "staticmethod" not in kinds and parameters[:1] == ["self"]:
            return Report(
                decorator,
                f"`@{label}` on method `{scopes.function_name(owner)}.{scopes.function_name(function)}` never "
                "evicts and holds every `self` it was called on, so those instances are never freed; use "
                "`functools.cached_property` or a bounded cache outside the instance",
            )
    unbounded = [p for p in parameters if _parameter_is_unbounded(ctx, function, p)]
    if not unbounded:
        return None
    return Report(
        decorator,
        f"`@{label}` on `{scopes.function_name(function)}({', '.join(parameters)})` never evicts: one entry per "
        f"distinct `{unbounded[0]}` for the life of the process; set a `maxsize` or use a TTL cache",
    )


def _unbounded_decorator(ctx: CheckContext, expression: Node) -> str | None:
    """The decorator as written when it memoizes without a bound, else None."""
    is_call = expression.type == "call"
    target = expression.child_by_field_name("function") if is_call else expression
    name = ctx.file.qualname(target)
    written = short_code(ctx, expression, 50)
    if name == "functools.cache" and not is_call:
        return written
    if name == "functools.lru_cache" and is_call:
        keywords = scopes.call_keyword_arguments(expression)
        positional = scopes.call_positional_arguments(expression)
        maxsize = keywords.get("maxsize", positional[0] if positional else None)
        return written if maxsize is not None and maxsize.type == "none" else None
    if name in ("cachetools.cached", "cachetools.func.cached") and is_call:
        keywords = scopes.call_keyword_arguments(expression)
        positional = scopes.call_positional_arguments(expression)
        store = keywords.get("cache", positional[0] if positional else None)
        return written if store is not None and _is_empty_dict(ctx, store) else None
    return None


def _waived_elsewhere(ctx: CheckContext, decorator: Node, function: Node) -> bool:
    """`@cache  # noqa: B019`: the author already accepted this cache for another linter."""
    first = decorator.start_point[0] + 1
    name = function.child_by_field_name("name")
    last = name.start_point[0] + 1 if name is not None else first
    return any(EQUIVALENT_WAIVERS.search(ctx.file.line_text(line)) for line in range(first, last + 1))


def _class_is_enum(ctx: CheckContext, owner: Node) -> bool:
    return any((ctx.file.qualname(b) or "").rsplit(".", 1)[-1] in ENUM_BASES for b in scopes.class_bases(owner))


def _parameter_is_unbounded(ctx: CheckContext, function: Node, parameter: str) -> bool:
    annotation = scopes.parameter_annotation(function, parameter)
    if annotation is not None:
        names = [(ctx.file.qualname(node) or "").rsplit(".", 1)[-1] for node in _type_names(annotation)]
        if any(name in UNBOUNDED_ANNOTATIONS for name in names):
            return True
        if names and all(name in SMALL_DOMAIN_ANNOTATIONS for name in names):
            return False  # `user: bool`, `mode: Literal["a", "b"]`: the type says the domain is small
    return _name_domain(parameter) == "unbounded"


def _type_names(annotation: Node) -> list[Node]:
    found: list[Node] = []
    pending = [annotation]
    while pending and len(found) < 8:
        node = pending.pop()
        if node.type in ("identifier", "attribute"):
            found.append(node)
        else:
            pending.extend(node.named_children)
    return found


def _words(name: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(name)}


# --- module-level dicts ----------------------------------------------------------------------------


def _is_empty_dict(ctx: CheckContext, value: Node) -> bool:
    if value.type == "dictionary":
        return value.named_child_count == 0
    if value.type == "call":
        name = ctx.file.call_name(value) or ""
        if name == "dict":
            return not scopes.call_positional_arguments(value) and not scopes.call_keyword_arguments(value)
        return name in DICT_FACTORIES or name.endswith((".defaultdict", ".OrderedDict"))
    return False


def _reassigned_in_function(ctx: CheckContext, declared: Node) -> bool:
    function = scopes.enclosing_function(declared)
    return function is not None and declared.text.decode() in ctx.file.assignments_in(function)


def _evicted_by_calls(ctx: CheckContext, module_dicts: dict[str, Node]) -> set[str]:
    """Dicts something pops, clears or size-checks anywhere in the file."""
    evicted: set[str] = set()
    for site in ctx.calls_to({"pop", "popitem", "clear", "__delitem__"}):
        receiver = method_receiver(site.node)
        if receiver is not None and receiver.type == "identifier" and receiver.text.decode() in module_dicts:
            evicted.add(receiver.text.decode())
    for site in ctx.calls_to({"len"}):
        if site.name != "len":
            continue
        arguments = scopes.call_positional_arguments(site.node)
        if arguments and arguments[0].type == "identifier" and arguments[0].text.decode() in module_dicts:
            evicted.add(arguments[0].text.decode())
    return evicted


def _setdefault_writes(ctx: CheckContext, module_dicts: dict[str, Node]) -> list[tuple[Node, Node, Node]]:
    """`CACHE.setdefault(key, value)` as (write, dict name, value)."""
    writes = []
    for site in ctx.calls_to({"setdefault"}):
        receiver = method_receiver(site.node)
        arguments = scopes.call_positional_arguments(site.node)
        if receiver is not None and receiver.type == "identifier" and receiver.text.decode() in module_dicts:
            if len(arguments) >= 2:
                writes.append((site.node, receiver, arguments[1]))
    return writes


def _dict_cache_report(ctx: CheckContext, write: Node, target: Node, value: Node, function: Node,
                       name: str) -> Report | None:
    parameters = scopes.parameter_names(function)
    if value.type == "identifier" and value.text.decode() in parameters:
        return None  # `REGISTRY[name] = cls`: a registry filled by the caller, not a cache
    key = _written_key(write)
    if key is None or _rewrites_existing_entry(ctx, write, key, name):
        return None
    domains = {_name_domain(n) for n in _key_names(ctx, key, function)}
    if not domains:
        return None  # a constant key: one entry
    named_cache = _CACHE_NAME.search(name) is not None
    if not named_cache and not _reads_dict(ctx, function, name):
        return None  # written but never looked up here: not a memo
    if "unbounded" not in domains:
        # Keys over a small fixed domain, or nothing says the domain is large: a module-level
        # cache keyed by type names, globs or settings is how libraries memoise cheaply.
        return None
    key_text = short_code(ctx, key, 30)
    return Report(
        write,
        f"module-level `{name}` gains an entry per `{key_text}` and nothing evicts one (no `pop`, `clear` "
        "or size check); bound it (`cachetools.TTLCache`/`LRUCache`) or use `lru_cache(maxsize=...)`",
    )


def _rewrites_existing_entry(ctx: CheckContext, write: Node, key: Node, name: str) -> bool:
    """A write that cannot add a key: under `if key in CACHE:`, or with a key taken from
    iterating the dict itself (`for uid, rows in CACHE.items(): CACHE[uid] = ...`)."""
    key_text = ctx.file.text(key)
    member = re.compile(rf"(?<![\w.]){re.escape(key_text)}\s+in\s+{re.escape(name)}\b")
    child = write
    for parent in scopes.ancestors(write):
        if parent.type in scopes.SCOPE_TYPES:
            break
        consequence = parent.child_by_field_name("consequence")
        if parent.type in ("if_statement", "elif_clause") and consequence is not None and consequence.id == child.id:
            condition = parent.child_by_field_name("condition")
            text = ctx.file.text(condition) if condition is not None else ""
            if member.search(text) and not re.search(r"\bnot\s+in\b", text):
                return True
        child = parent
        if parent.type == "for_statement" and key.type == "identifier":
            target, iterable = scopes.loop_target_and_iterable(parent)
            if target is not None and iterable is not None and key_text in scopes.bound_names(target) and (
                re.match(rf"{re.escape(name)}\b", ctx.file.text(iterable))
            ):
                return True
    return False


def _written_key(write: Node) -> Node | None:
    if write.type == "call":
        arguments = scopes.call_positional_arguments(write)
        return arguments[0] if arguments else None
    left = write.child_by_field_name("left")
    if left is None or left.type != "subscript":
        return None
    return left.child_by_field_name("subscript")


def _key_names(ctx: CheckContext, key: Node, function: Node) -> list[str]:
    """The names a key is built from (`user_id`, `request.path`), following one local assignment."""
    names: list[str] = []
    pending = [(key, 0)]
    seen = 0
    while pending and seen < 64:
        node, depth = pending.pop()
        seen += 1
        if node.type in ("identifier", "attribute"):
            text = ctx.file.text(node)
            if node.type == "identifier" or all(part.isidentifier() for part in text.split(".")):
                if node.type == "identifier" and depth == 0:
                    binding = ctx.file.binding_before(text, node)
                    if binding is not None and scopes.enclosing_function(binding.node) == function:
                        # `client_id = id(client)`: what the key is built from says more than its name
                        pending.append((binding.value, 1))
                        continue
                names.append(text)
                continue
            obj = node.child_by_field_name("object")
            if obj is not None:
                pending.append((obj, depth))
        elif node.type in ("keyword_argument", "call"):
            value = node.child_by_field_name("value" if node.type == "keyword_argument" else "arguments")
            if value is not None:
                pending.append((value, depth))
        else:
            pending.extend((child, depth) for child in node.named_children)
    return names


def _name_domain(name: str) -> str:
    """'unbounded' (ids, user input), 'bounded' (classes, functions, settings) or 'unknown'."""
    words = set()
    for part in name.split("."):
        if part not in ("self", "cls") or "." not in name:
            words |= _words(part)
    if words & CODE_OBJECT_WORDS:
        return "bounded"  # `func_id`, `model_cls`: one entry per function or class
    if _CONFIGURATION_NAME.search(name):
        return "bounded"  # `api_base_url`, `api_key`: one entry per configured upstream
    if words & UNBOUNDED_WORDS:
        return "unbounded"
    return "bounded" if words and words <= BOUNDED_WORDS else "unknown"


def _reads_dict(ctx: CheckContext, function: Node, name: str) -> bool:
    """Whether the function looks the key up before writing it (`in`, `.get`, a subscript load)."""
    text = ctx.file.text(function)
    pattern = re.compile(rf"\b{re.escape(name)}\.get\(|\bin\s+{re.escape(name)}\b")
    return pattern.search(text) is not None or len(re.findall(rf"\b{re.escape(name)}\[", text)) > 1
