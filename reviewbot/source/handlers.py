"""Which functions serve requests or run as background tasks.

A function is a *handler* when a web framework calls it per request: a route decorator
(`@app.get`, `@router.post`, `@bp.route`, `@api_view`), a Django/DRF view method or function view,
or an endpoint taking a `request` parameter. A *task* is a Celery/RQ/Dramatiq/Huey job.
"""

from __future__ import annotations

from tree_sitter import Node

from reviewbot.source import scopes
from reviewbot.source.source_file import SourceFile

ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "route", "api_route", "websocket", "view"}
)
ROUTE_OWNER_HINTS = ("app", "router", "bp", "blueprint", "api", "routes", "ns", "web")
VIEW_DECORATORS = frozenset(
    {
        "rest_framework.decorators.api_view",
        "rest_framework.decorators.action",
        "django.views.decorators.http.require_http_methods",
        "django.views.decorators.http.require_GET",
        "django.views.decorators.http.require_POST",
        "django.views.decorators.http.require_safe",
        "django.contrib.auth.decorators.login_required",
        "ninja.Router.get",
    }
)
VIEW_METHOD_NAMES = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "list", "retrieve", "create", "update",
     "partial_update", "destroy", "get_queryset", "get_object", "get_context_data", "dispatch", "form_valid",
     "perform_create", "perform_update", "on_get", "on_post", "on_put", "on_delete"}
)
VIEW_BASE_SUFFIXES = ("View", "ViewSet", "APIView", "Endpoint", "Handler", "Resource")
TASK_DECORATOR_SUFFIXES = ("shared_task", ".task", ".periodic_task", "dramatiq.actor", ".actor", "rq.job",
                           "rq.decorators.job", ".db_task", ".db_periodic_task")
REQUEST_PARAMETER_NAMES = frozenset({"request", "req"})


def function_role(function: Node, file: SourceFile, extra_handler_decorators: tuple[str, ...] = (),
                  extra_task_decorators: tuple[str, ...] = ()) -> str:
    """'handler', 'task' or '' for a `def`."""
    key = ("role", function.id)
    return file.memo(key, lambda: _role(function, file, extra_handler_decorators, extra_task_decorators))


def _role(function: Node, file: SourceFile, extra_handlers: tuple[str, ...], extra_tasks: tuple[str, ...]) -> str:
    if function.type != "function_definition":
        return ""
    for decorator in scopes.decorator_expressions(function):
        target = decorator.child_by_field_name("function") if decorator.type == "call" else decorator
        name = file.qualname(target) or ""
        if _matches_any(name, extra_tasks) or name.endswith(TASK_DECORATOR_SUFFIXES) or name == "celery.shared_task":
            return "task"
        if _matches_any(name, extra_handlers) or name in VIEW_DECORATORS or _is_route_decorator(name):
            return "handler"
    params = scopes.parameter_names(function)
    owner = scopes.method_class(function)
    if owner is not None:
        if params[:1] in (["self"], ["cls"]) and _is_view_class(owner, file):
            name = scopes.function_name(function)
            if name in VIEW_METHOD_NAMES or (len(params) > 1 and params[1] in REQUEST_PARAMETER_NAMES):
                return "handler"
        return ""
    if params and params[0] in REQUEST_PARAMETER_NAMES:
        return "handler"
    return ""


def _is_route_decorator(name: str) -> bool:
    owner, _, method = name.rpartition(".")
    if method not in ROUTE_METHODS or not owner:
        return False
    last = owner.rsplit(".", 1)[-1].lower()
    return any(hint in last for hint in ROUTE_OWNER_HINTS)


def _is_view_class(class_node: Node, file: SourceFile) -> bool:
    for base in scopes.class_bases(class_node):
        name = file.qualname(base) or ""
        if name.rsplit(".", 1)[-1].endswith(VIEW_BASE_SUFFIXES):
            return True
    return False


def _matches_any(name: str, patterns: tuple[str, ...]) -> bool:
    return any(name == p or name.endswith("." + p) for p in patterns)


def enclosing_role(node: Node, file: SourceFile, extra_handlers: tuple[str, ...] = (),
                   extra_tasks: tuple[str, ...] = ()) -> str:
    """The role of the innermost `def` around `node`, looking through nested helpers and
    lambdas to the outermost function that has one."""
    for parent in scopes.ancestors(node):
        if parent.type == "function_definition":
            role = function_role(parent, file, extra_handlers, extra_tasks)
            if role:
                return role
    return ""
