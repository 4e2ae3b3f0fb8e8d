"""RB401: static assets served by the application instead of a CDN or the web server."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from reviewbot.checks import _pagination as q
from reviewbot.checks.registry import CallSite, CheckContext, Match, Report, Rule
from reviewbot.findings import Principle, Severity
from reviewbot.source import scopes
from reviewbot.source.models import string_value

# Path words that name a directory of static assets (a build output, a public folder).
ASSET_WORDS = frozenset({"static", "assets", "asset", "css", "js", "images", "img", "public", "dist", "fonts",
                         "build", "frontend", "favicon", "icons", "webfonts", "staticfiles", "spa"})
# Path words that name per-user or generated files: downloads of those are not static assets.
PRIVATE_WORDS = frozenset({"upload", "uploads", "report", "reports", "export", "exports", "invoice", "invoices",
                           "private", "tmp", "temp", "download", "downloads", "attachment", "attachments",
                           "document", "documents", "backup", "backups", "receipt", "receipts", "generated"})
STATIC_FILES_APPS = frozenset({"starlette.staticfiles.StaticFiles", "fastapi.staticfiles.StaticFiles"})
DJANGO_SERVE = "django.views.static.serve"
STATICFILES_SERVE = "django.contrib.staticfiles.views.serve"
URL_FUNCTIONS = frozenset({"django.urls.path", "django.urls.re_path", "django.conf.urls.url",
                           "django.urls.conf.path", "django.urls.conf.re_path"})
FILE_RESPONSES = frozenset({"starlette.responses.FileResponse", "fastapi.responses.FileResponse",
                            "aiohttp.web.FileResponse", "django.http.FileResponse", "quart.send_file"})
_DEBUG_CONDITION = re.compile(r"(?i)debug|develop|\bdev\b|\blocal\b|testing|serve_static|serve_media")
_AUTH_DECORATOR = re.compile(
    r"(?i)login|auth|permission|jwt|token_required|roles?_required|staff_member|user_passes_test|admin_required"
    r"|requires_|protected"
)
_AUTH_IN_FUNCTION = re.compile(
    r"current_user|request\.user|is_authenticated|has_perm|abort\(\s*40[13]|PermissionDenied|Unauthorized|"
    r"HTTPException\(\s*(?:status_code\s*=\s*)?40[13]|status\.HTTP_40[13]|check_permission|\bg\.user\b|"
    r"get_current_user|Security\(|verify_token|jwt_required|login_required"
)
_AUTH_IN_CLASS = re.compile(r"LoginRequired|Permission|permission_classes|Auth")
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
SUGGESTION = ("serve static files from a CDN or the web server (nginx), or with WhiteNoise and far-future cache "
              "headers")


class StaticFilesServedByApp(Rule):
    """## What it does
    Checks for static assets served by the application process instead of a CDN or the web
    server.

    Reported: Flask `send_from_directory`, `send_file` and `send_static_file` on asset directories
    (`static`, `assets`, `dist`, `public`, ...), `FileResponse` of asset files, Starlette/FastAPI
    `StaticFiles` mounts, Django's `django.views.static.serve` in URL patterns or views, aiohttp
    `add_static`/`web.static`, and the equivalents of Falcon, Sanic, Bottle, Litestar and Tornado.
    Code under a `DEBUG` or development guard, Django's `static()` URL helper (which does nothing
    unless `DEBUG` is on), WhiteNoise, authenticated downloads of per-user or generated files, and
    modules that hand files to the web server with `X-Accel-Redirect`/`X-Sendfile` (the Python
    path is then a fallback) are not reported.

    ## Why is this bad?
    Every stylesheet, script and image then takes a request slot in a Python worker, without
    the compression, caching headers, range requests and edge locations that a CDN or a web
    server such as nginx provide. A page with thirty assets can occupy thirty worker slots; under
    load the assets queue behind real requests and every page gets slower. Django's documentation
    describes `serve` as inefficient, probably insecure, and meant for development only.

    ## Example
    ```python
    app = FastAPI()
    app.mount("/static", StaticFiles(directory="static"), name="static")
    ```

    ## Use instead
    ```python
    app = FastAPI()
    if settings.DEBUG:
        app.mount("/static", StaticFiles(directory="static"), name="static")
    # production: nginx `location /static/ { alias /srv/app/static/; expires max; }`, or a CDN
    ```

    ## References
    - Django: How to deploy static files (https://docs.djangoproject.com/en/stable/howto/static-files/deployment/)
    - Flask: Deploying to production (https://flask.palletsprojects.com/en/stable/deploying/nginx/)
    - aiohttp: Static file handling (https://docs.aiohttp.org/en/stable/web_advanced.html#static-file-handling)
    - WhiteNoise (https://whitenoise.readthedocs.io/)
    """

    code = "RB401"
    name = "static-files-served-by-app"
    category = "static-files"
    principle = Principle.CDN_STATIC_ASSETS
    severity = Severity.WARNING

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        if ctx.file.path_context == "test":
            return  # test apps and fixtures serve no traffic
        methods = {"send_from_directory", "send_file", "send_static_file", "static_file", "FileResponse",
                   "StaticFiles", "add_static", "static", "add_static_route", "path", "re_path", "url", "serve",
                   "create_static_files_router", "StaticFilesConfig", "Application", "mount", "Mount"}
        for site in ctx.calls_to(methods):
            report = _report_for(ctx, site)
            if report is not None and not _under_debug_guard(report.node):
                yield report


def _report_for(ctx: CheckContext, site: CallSite) -> Report | None:
    call = site.node
    name = site.name or ""
    method = site.resolved_method
    if method in ("send_from_directory", "send_file", "static_file") and _is_file_sender(name, method):
        return _file_sender_report(ctx, call, name, method)
    if method == "send_static_file":
        if scopes.enclosing_function(call) is None or _auth_gated(ctx, call):
            return None
        return Report(call, f"`{q.short_code(call)}` serves the static folder from the application process; "
                            f"{SUGGESTION}")
    if method == "FileResponse" and name in FILE_RESPONSES:
        return _file_sender_report(ctx, call, name, method)
    if method == "StaticFiles" and name in STATIC_FILES_APPS:
        return _static_files_report(ctx, call)
    if method in ("mount", "Mount"):
        mounted = _mounted_static_files_subclass(call)
        return _static_files_report(ctx, mounted) if mounted is not None else None
    if method == "add_static" or (method == "static" and (name == "aiohttp.web.static" or (
            ctx.file.imports_module("aiohttp") and _receiver_is_route_table(ctx, call)))):
        return Report(call, f"`{q.short_code(call)}` makes aiohttp serve static files, which its docs advise "
                            "against in production; serve them from nginx or a CDN")
    if method == "static" and ctx.file.imports_module("sanic") and _receiver_is_app(call):
        return Report(call, f"`{q.short_code(call)}` makes Sanic serve static files from the application "
                            f"process; {SUGGESTION}")
    if method == "add_static_route":
        return Report(call, f"`{q.short_code(call)}` makes Falcon serve static files from the application "
                            f"process; {SUGGESTION}")
    if method in ("create_static_files_router", "StaticFilesConfig") and name.startswith("litestar"):
        return Report(call, f"`{q.short_code(call)}` makes Litestar serve static files from the application "
                            f"process; {SUGGESTION}")
    if method in ("path", "re_path", "url") and name in URL_FUNCTIONS:
        return _url_pattern_report(ctx, call)
    if method == "serve" and name == DJANGO_SERVE:
        if scopes.enclosing_function(call) is None or _auth_gated(ctx, call) or _offloads_to_web_server(ctx):
            return None
        return Report(call, "`django.views.static.serve` serves files through Django, which its docs call "
                            f"inefficient and insecure for production; {SUGGESTION}")
    if method == "Application" and name == "tornado.web.Application":
        return _tornado_report(ctx, call)
    return None


def _offloads_to_web_server(ctx: CheckContext) -> bool:
    """The module also hands files to the web server (`X-Accel-Redirect`, `X-Sendfile`): serving
    them from Python there is the development fallback."""
    return ctx.file.memo(("rb401", "offloads"), lambda: bool(_OFFLOAD_HEADER.search(ctx.file.source)))


_OFFLOAD_HEADER = re.compile(rb"(?i)X-Accel-Redirect|X-Sendfile")


def _is_file_sender(name: str, method: str) -> bool:
    if name == method:
        return True  # imported by a star import or defined nowhere we can see: judged by its arguments
    return name.startswith(("flask.", "quart.", "werkzeug.", "bottle.")) and (
        method != "static_file" or name.startswith("bottle.")
    )


def _file_sender_report(ctx: CheckContext, call: Node, name: str, method: str) -> Report | None:
    if scopes.enclosing_function(call) is None:
        return None
    keywords = scopes.call_keyword_arguments(call)
    positional = scopes.call_positional_arguments(call)
    if method == "static_file":
        location = keywords.get("root") or (positional[1] if len(positional) > 1 else None)
    elif method == "send_from_directory":
        location = keywords.get("directory") or (positional[0] if positional else None)
    else:
        location = keywords.get("path_or_file") or keywords.get("path") or (positional[0] if positional else None)
    if location is None:
        return None
    words = _path_words(ctx, location)
    if not words & ASSET_WORDS or words & PRIVATE_WORDS or _auth_gated(ctx, call):
        return None
    if _offloads_to_web_server(ctx):
        return None
    return Report(call, f"`{q.short_code(call)}` serves static assets from the application process; {SUGGESTION}")


def _static_files_report(ctx: CheckContext, call: Node) -> Report:
    """Report the `mount` that installs the StaticFiles app, or the StaticFiles call itself."""
    node = call
    arguments = call.parent
    keyword = None
    if arguments is not None and arguments.type == "keyword_argument":
        keyword = arguments
        arguments = arguments.parent
    if arguments is not None and arguments.type == "argument_list" and arguments.parent is not None:
        owner = arguments.parent
        function = owner.child_by_field_name("function")
        owner_method = function.text.decode().rsplit(".", 1)[-1] if function is not None else ""
        if owner_method in ("mount", "Mount") and (keyword is None or keyword.child_by_field_name("name").text
                                                   == b"app"):
            node = owner
    prefix = _first_string(node) if node is not call else None
    where = f"`{prefix}`" if prefix else "these files"
    return Report(node, f"`{q.short_code(node)}` serves {where} from the application process; serve static files "
                        "from a CDN or the web server (nginx) with far-future cache headers")


def _mounted_static_files_subclass(mount: Node) -> Node | None:
    """`app.mount("/", SPAStaticFiles(directory="dist", html=True))`: a project subclass of
    `StaticFiles` (usually adding an SPA fallback) still serves files from the app."""
    arguments = scopes.call_positional_arguments(mount) + [scopes.call_keyword_arguments(mount).get("app")]
    for argument in arguments:
        if argument is not None and argument.type == "call":
            function = argument.child_by_field_name("function")
            if function is not None and function.text.endswith(b"StaticFiles") and function.text != b"StaticFiles":
                return argument
    return None


def _url_pattern_report(ctx: CheckContext, call: Node) -> Report | None:
    positional = scopes.call_positional_arguments(call)
    view = scopes.call_keyword_arguments(call).get("view") or (positional[1] if len(positional) > 1 else None)
    if view is None or view.type not in ("identifier", "attribute"):
        return None  # `login_required(serve)` and other wrapped views are access-controlled downloads
    view_name = ctx.file.qualname(view)
    if view_name == STATICFILES_SERVE:
        options = positional[2] if len(positional) > 2 else scopes.call_keyword_arguments(call).get("kwargs")
        if options is None or not re.search(r"[\"']insecure[\"']\s*:\s*True", ctx.file.text(options)):
            return None  # refuses to serve unless DEBUG or insecure=True
    elif view_name != DJANGO_SERVE:
        return None
    route = re.split(r"[(<]", (_first_string(call) or "").lstrip("^"))[0]
    where = f"`{route}`" if route else "files"
    return Report(call, f"`django.views.static.serve` serves {where} through Django, which its docs call "
                        f"inefficient and insecure for production; {SUGGESTION}")


def _tornado_report(ctx: CheckContext, call: Node) -> Report | None:
    handlers = q.first_argument(call) or scopes.call_keyword_arguments(call).get("handlers")
    if handlers is None:
        return None
    if handlers.type == "identifier":
        handlers = q.local_value(ctx, handlers) or _module_value(ctx, handlers) or handlers
    if handlers.type != "list":
        return None
    for route in handlers.named_children:
        if route.type == "tuple" and len(route.named_children) > 1:
            target = ctx.file.qualname(route.named_children[1]) or ""
            if target.endswith("StaticFileHandler"):
                return Report(route, "`StaticFileHandler` makes Tornado serve static files from the "
                                     f"application process; {SUGGESTION}")
    return None


def _module_value(ctx: CheckContext, identifier: Node) -> Node | None:
    found = ctx.file.assignments_in(None).get(identifier.text.decode())
    return found[-1].value if found else None


def _receiver_is_route_table(ctx: CheckContext, call: Node) -> bool:
    """`routes.static(...)` on an aiohttp `web.RouteTableDef()`."""
    function = call.child_by_field_name("function")
    receiver = function.child_by_field_name("object") if function is not None and function.type == "attribute" \
        else None
    if receiver is None or receiver.type != "identifier":
        return False
    value = q.local_value(ctx, receiver) or _module_value(ctx, receiver)
    return value is not None and value.type == "call" and (ctx.file.call_name(value) or "").endswith(
        "RouteTableDef")


def _receiver_is_app(call: Node) -> bool:
    function = call.child_by_field_name("function")
    receiver = function.child_by_field_name("object") if function is not None and function.type == "attribute" \
        else None
    return receiver is not None and receiver.type in ("identifier", "attribute") and bool(
        re.search(r"(?i)app|bp|blueprint", receiver.text.decode()))


def _first_string(call: Node) -> str | None:
    for argument in scopes.call_positional_arguments(call):
        if argument.type == "string":
            value = string_value(argument)
            if value:
                return value
    return None


def _path_words(ctx: CheckContext, node: Node, depth: int = 2) -> set[str]:
    """Lower-cased words of the strings and names an expression is built from, following local
    and module-level names (`STATIC_DIR = BASE_DIR / "static"`) a couple of levels."""
    words: set[str] = set()
    pending = [node]
    visited = 0
    while pending and visited < 200:
        current = pending.pop()
        visited += 1
        kind = current.type
        if kind == "string_content":
            words.update(_words(current.text.decode("utf-8", "replace")))
        elif kind == "identifier":
            words.update(_words(current.text.decode()))
            parent = current.parent
            is_attribute_name = parent is not None and parent.type == "attribute" and parent.child_by_field_name(
                "attribute") == current
            is_keyword = parent is not None and parent.type == "keyword_argument" and parent.child_by_field_name(
                "name") == current
            if depth > 0 and not is_attribute_name and not is_keyword:
                value = q.local_value(ctx, current) or _module_value(ctx, current)
                if value is not None and value != node:
                    words |= _path_words(ctx, value, depth - 1)
        else:
            pending.extend(current.children)
    return words


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD_SPLIT.split(text) if w}


def _auth_gated(ctx: CheckContext, node: Node) -> bool:
    """The function around `node` requires a logged-in user or a permission. Functions further
    out count by their decorators only: an app factory's other routes say nothing about this one."""
    function = scopes.enclosing_def(node)
    innermost = True
    while function is not None:
        if any(_AUTH_DECORATOR.search(ctx.file.text(d)) for d in scopes.decorator_expressions(function)):
            return True
        if innermost and _AUTH_IN_FUNCTION.search(ctx.file.text(function)):
            return True
        innermost = False
        owner = scopes.method_class(function)
        if owner is not None:
            superclasses = owner.child_by_field_name("superclasses")
            body = owner.child_by_field_name("body")
            if superclasses is not None and _AUTH_IN_CLASS.search(ctx.file.text(superclasses)):
                return True
            if body is not None and re.search(r"permission_classes|authentication_classes",
                                              ctx.file.text(body)):
                return True
        function = scopes.enclosing_def(function)
    return False


def _under_debug_guard(node: Node) -> bool:
    """Inside `if settings.DEBUG:` (or a development check), also around the function that holds
    `node`, in the `else` of `if not DEBUG:`, or after an early `if not app.debug: abort(404)` in an
    enclosing function."""
    for parent in scopes.ancestors(node):
        if parent.type in ("if_statement", "elif_clause"):
            condition = parent.child_by_field_name("condition")
            consequence = parent.child_by_field_name("consequence")
            if condition is not None and consequence is not None and scopes.contains(consequence, node):
                if _is_debug_condition(condition, negated=False):
                    return True
        elif parent.type == "else_clause" and parent.parent is not None:
            condition = parent.parent.child_by_field_name("condition")
            if condition is not None and _is_debug_condition(condition, negated=True):
                return True
        elif parent.type == "function_definition" and _early_exit_unless_debug(parent, node):
            return True
    return False


def _is_debug_condition(condition: Node, negated: bool) -> bool:
    is_not = condition.type == "not_operator"
    if is_not:
        argument = condition.child_by_field_name("argument")
        if argument is None:
            return False
        condition = argument
    text = condition.text.decode("utf-8", "replace")
    if not _DEBUG_CONDITION.search(text):
        return False
    if re.search(r"(?i)\bis\s+False\b|==\s*False\b|!=\s*[\"'](?:dev|development|local)", text):
        is_not = not is_not
    return is_not == negated


def _early_exit_unless_debug(function: Node, node: Node) -> bool:
    body = function.child_by_field_name("body")
    if body is None:
        return False
    for statement in body.named_children:
        if statement.start_byte >= node.start_byte:
            break
        if statement.type != "if_statement":
            continue
        condition = statement.child_by_field_name("condition")
        consequence = statement.child_by_field_name("consequence")
        if condition is None or consequence is None or not _is_debug_condition(condition, negated=True):
            continue
        if re.search(r"\b(?:abort|raise|return)\b", consequence.text.decode("utf-8", "replace")):
            return True
    return False
