"""RB502: uploads, request bodies and unbounded files read whole where streaming fits."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from reviewbot.checks import _pagination as q
from reviewbot.checks.helpers import role_of
from reviewbot.checks.registry import CallSite, CheckContext, Match, Report, Rule
from reviewbot.findings import Principle, Severity
from reviewbot.source import scopes

DJANGO = "django"
FLASK = "flask"
ASGI = "asgi"
AIOHTTP = "aiohttp"
STREAM_UPLOAD = {
    DJANGO: "iterate `.chunks()` or hand the file to `default_storage.save()`",
    FLASK: "save it with `.save(path)` or copy `.stream` in chunks with `shutil.copyfileobj`",
    ASGI: "read it in chunks (`await {name}.read(1024 * 1024)` in a loop) or copy `{name}.file` with "
          "`shutil.copyfileobj`",
    AIOHTTP: "read it with `read_chunk()` in a loop",
}
STREAM_BODY = {
    DJANGO: "read `request` in chunks (it is file-like) and write each chunk",
    FLASK: "copy `request.stream` to the destination in chunks",
    ASGI: "write each chunk of `async for chunk in request.stream()` instead",
    AIOHTTP: "write each chunk of `request.content.iter_chunked(...)` instead",
}
UPLOAD_ANNOTATIONS = re.compile(r"\b(?:UploadFile|UploadedFile|InMemoryUploadedFile|TemporaryUploadedFile|"
                                r"FileStorage|SpooledTemporaryFile)\b")
_REQUEST_FILES = re.compile(r"(?:^|\.)(?:request|req)\.(files|FILES)$")
# A form, serializer or DRF request field whose key names a file: `form.cleaned_data["csv_file"]`,
# `serializer.validated_data["upload"]`, `request.data.get("attachment")`.
_FILE_FORM_KEY = re.compile(r"(?i)(?:cleaned_data|validated_data|request\.data)\s*(?:\[|\.get\()\s*[\"'][^\"']*"
                            r"(?:file|upload|csv|attachment|document|import|image|photo|avatar|spreadsheet|xlsx|"
                            r"archive)[^\"']*[\"']\s*[\]),]")
OPENERS = frozenset({"open", "io.open", "codecs.open", "aiofiles.open", "gzip.open", "bz2.open"})
STORAGE_METHODS = frozenset({"write", "write_bytes", "put_object", "upload_blob", "upload_from_string", "save",
                             "create_blob_from_bytes", "store"})
BYTE_WRAPPERS = frozenset({"BytesIO", "StringIO", "ContentFile", "SimpleUploadedFile", "bytes", "bytearray"})
_READ_CALL = re.compile(r"\.(?:read|get_data|body|read_bytes|read_text)\(\s*\)")
PANDAS_READERS = frozenset({"pandas.read_csv", "pandas.read_table", "pd.read_csv", "pd.read_table"})
NOT_A_SOURCE = frozenset({"self", "cls"})


class WholeFileRead(Rule):
    """## What it does
    Checks for uploads, request bodies and unbounded files read whole into memory where reading
    in chunks would do.

    Reported: `.read()` with no size on an uploaded file (Flask `request.files[...]`, Django
    `request.FILES[...]`, FastAPI/Starlette `UploadFile`, aiohttp multipart parts), `.readlines()`
    on uploads and on files opened in request handlers or tasks, `.read()`, `Path.read_bytes()` and
    `Path.read_text()` of files whose path comes from the request, `pandas.read_csv` of uploads
    without `chunksize`, and request bodies (`await request.body()`, `request.get_data()`,
    `request.body`) read whole only to be written to a file or object storage. `read(n)`, `for line
    in f`, `.chunks()`, `shutil.copyfileobj`, streaming responses, reads at import time, reads in
    tests, files shipped with the application (templates, static files, paths built from
    `__file__` or `BASE_DIR`), uploads whose size is compared with a limit first and uploads parsed
    as one document (`json.loads(upload.read())`, which builds the whole document anyway) are not
    reported.

    ## Why is this bad?
    A whole-file read holds the entire file in the worker's memory, often twice (bytes, then a
    decoded string or a parsed list). One large upload, or a handful of concurrent ones, can
    exhaust a worker's memory; the request also waits for the last byte before doing anything.
    Reading in fixed-size chunks keeps memory flat whatever the file size. Small request bodies
    (JSON webhooks) are not reported unless they are stored as files.

    ## Example
    ```python
    @app.post("/avatars")
    async def upload_avatar(file: UploadFile):
        contents = await file.read()
        storage.put(f"avatars/{file.filename}", contents)
    ```

    ## Use instead
    ```python
    @app.post("/avatars")
    async def upload_avatar(file: UploadFile):
        with open(destination(file.filename), "wb") as out:
            while chunk := await file.read(1024 * 1024):
                out.write(chunk)
    ```

    ## References
    - Django: Handling uploaded files (https://docs.djangoproject.com/en/stable/topics/http/file-uploads/)
    - FastAPI: Request files, `UploadFile` (https://fastapi.tiangolo.com/tutorial/request-files/)
    - Flask: Uploading files (https://flask.palletsprojects.com/en/stable/patterns/fileuploads/)
    - pandas: Iterating through files chunk by chunk (https://pandas.pydata.org/docs/user_guide/io.html#io-chunking)
    """

    code = "RB502"
    name = "whole-file-read"
    category = "whole-file-read"
    principle = Principle.PAGINATION_LAZY_LOADING
    severity = Severity.WARNING

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterator[Report]:
        if ctx.file.path_context == "test":
            return
        methods = {"read", "readlines", "read_bytes", "read_text", "read_csv", "read_table", "body", "get_data"}
        # Import-time reads (configuration files) are never reported: they are in no handler or
        # task, and no parameter or request chose their path.
        for site in ctx.calls_to(methods | STORAGE_METHODS):
            if site.method in STORAGE_METHODS:
                yield from _django_body_stored(ctx, site.node)
            else:
                yield from _read_report(ctx, site)


def _read_report(ctx: CheckContext, site: CallSite) -> Iterator[Report]:
    call = site.node
    method = site.method
    name = site.name or ""
    if method in ("read_csv", "read_table"):
        yield from _dataframe_report(ctx, call, name)
        return
    if method in ("body", "get_data"):
        yield from _body_report(ctx, call, method, name)
        return
    function = call.child_by_field_name("function")
    receiver = function.child_by_field_name("object") if function is not None and function.type == "attribute" \
        else None
    if receiver is None:
        return
    if method in ("read", "readlines") and _reads_everything(call):
        upload = _upload_kind(ctx, receiver)
        if upload:
            if _size_checked_before(ctx, call) or _parsed_as_one_document(ctx, call):
                return
            what = "every line of the upload into a list" if method == "readlines" else "the whole upload into memory"
            name = _upload_name(receiver)
            yield Report(call, f"`{q.short_code(call)}` reads {what}; {STREAM_UPLOAD[upload].format(name=name)}")
            return
        if method == "read" and _is_request_stream(ctx, receiver):
            yield from _body_report(ctx, call, method, name)
            return
        path = _opened_path(ctx, receiver)
        if path is None:
            return
        if method == "readlines":
            # Only per request or per job: a helper reading a `.env` or a word list is usually fine.
            if role_of(ctx, call):
                yield Report(call, f"`{q.short_code(call)}` reads every line of the file into a list; iterate "
                                   "the file object (`for line in f`) instead")
            return
        if role_of(ctx, call) and _from_input(ctx, path) and not _is_application_file(ctx, path):
            yield Report(call, f"`{q.short_code(call)}` reads the whole file into memory; stream it "
                               "(`FileResponse`/`send_file`, or `read(CHUNK)` in a loop) instead")
        return
    if method in ("read_bytes", "read_text") and not scopes.call_positional_arguments(call):
        if role_of(ctx, call) and _from_input(ctx, receiver) and not _is_application_file(ctx, receiver):
            yield Report(call, f"`{q.short_code(call)}` reads the whole file into memory; stream it "
                               "(`FileResponse`/`send_file`, or `open()` and `read(CHUNK)` in a loop) instead")


# A comparison with a size limit; a limit that is only defined (`MAX_SIZE = 10 * MB`) bounds nothing.
_LIMIT = r"(?:\w+\.)*(?:\w*MAX_\w*(?:SIZE|BYTES|LENGTH)\w*|max_\w*size\w*)"
_SIZE_CHECK = re.compile(r"\.size\s*[<>]|content_length\s*[<>]|[<>]=?\s*" + _LIMIT + r"\b|\b" + _LIMIT
                         + r"\s*[<>]|MAX_CONTENT_LENGTH|DATA_UPLOAD_MAX_MEMORY_SIZE")


def _size_checked_before(ctx: CheckContext, call: Node) -> bool:
    """The function checks the upload's size before reading it: the read is bounded."""
    function = scopes.enclosing_def(call)
    if function is None:
        return False
    before = ctx.file.source[function.start_byte : call.start_byte].decode("utf-8", "replace")
    return bool(_SIZE_CHECK.search(before))


# Parsers that build the whole document in memory anyway: reading in chunks first saves nothing.
_DOCUMENT_PARSER = rb"(?:json|orjson|ujson|simplejson|yaml|toml|tomllib|tomli)\.(?:loads|load|safe_load|full_load)"


def _parsed_as_one_document(ctx: CheckContext, call: Node) -> bool:
    """`json.loads(upload.read())`, or `data = upload.read()` followed by `json.loads(data)` (maybe
    through `str(data, "utf-8")` or `.decode()`)."""
    parent = call.parent
    while parent is not None and parent.type in ("await", "parenthesized_expression"):
        parent = parent.parent
    function = scopes.enclosing_def(call)
    if function is None or parent is None:
        return False
    if parent.type == "argument_list":
        consumer = parent.parent
        name = ctx.file.call_name(consumer) if consumer is not None and consumer.type == "call" else None
        return name is not None and re.fullmatch(_DOCUMENT_PARSER.decode(), name) is not None
    if parent.type != "assignment" or parent.child_by_field_name("left") is None:
        return False
    target = parent.child_by_field_name("left")
    if target.type != "identifier":
        return False
    later = ctx.file.source[call.end_byte:function.end_byte]
    variable = re.escape(target.text)
    return re.search(rb"\b" + _DOCUMENT_PARSER + rb"\(\s*(?:str\(\s*)?" + variable + rb"\b", later) is not None


def _upload_name(receiver: Node) -> str:
    """`file` for `file.read()` and `file.file.read()`; `file` when the receiver is no plain name."""
    node = q.unwrap(receiver)
    while node.type == "attribute" and node.child_by_field_name("attribute") is not None and (
            node.child_by_field_name("attribute").text in (b"file", b"stream")):
        node = node.child_by_field_name("object")
    return node.text.decode() if node.type == "identifier" else "file"


def _reads_everything(call: Node) -> bool:
    """`read()`, `read(-1)`, `read(None)`: no size limit."""
    arguments = scopes.call_positional_arguments(call)
    keywords = scopes.call_keyword_arguments(call)
    size = arguments[0] if arguments else keywords.get("size") or keywords.get("n")
    if size is None:
        return not keywords or set(keywords) <= {"decode"}
    return size.type == "none" or size.text in (b"-1",)


# --- uploads ----------------------------------------------------------------------------------------

def _upload_kind(ctx: CheckContext, node: Node, depth: int = 3) -> str:
    """The framework whose upload object `node` holds, or "" when it is not an upload."""
    node = q.unwrap(node)
    kind = node.type
    if kind == "attribute":
        attribute = node.child_by_field_name("attribute")
        obj = node.child_by_field_name("object")
        if attribute is not None and obj is not None and attribute.text in (b"file", b"stream"):
            return _upload_kind(ctx, obj, depth)
        return ""
    if kind == "subscript":
        value = node.child_by_field_name("value")
        if value is None:
            return ""
        if _FILE_FORM_KEY.search(ctx.file.text(node)):
            return DJANGO
        found = _request_files(ctx, value)
        if found:
            return found
        if value.type == "call" and value.child_by_field_name("function") is not None:
            return _upload_kind(ctx, value, depth)  # request.FILES.getlist("f")[0]
        return _form_kind(ctx, value, depth)
    if kind == "call":
        function = node.child_by_field_name("function")
        if function is None or function.type != "attribute":
            return ""
        method = function.child_by_field_name("attribute")
        obj = function.child_by_field_name("object")
        if method is None or obj is None:
            return ""
        if method.text in (b"get", b"getlist", b"getone"):
            if _FILE_FORM_KEY.search(ctx.file.text(node)):
                return DJANGO
            return _request_files(ctx, obj) or _form_kind(ctx, obj, depth)
        if method.text in (b"next", b"next_part") and _is_multipart_reader(ctx, obj, depth):
            return AIOHTTP
        return ""
    if kind == "identifier" and depth > 0:
        name = node.text.decode()
        function = scopes.enclosing_def(node)
        if function is not None and name in scopes.parameter_names(function):
            annotation = scopes.parameter_annotation(function, name)
            if annotation is not None and UPLOAD_ANNOTATIONS.search(ctx.file.text(annotation)):
                return DJANGO if "Uploaded" in ctx.file.text(annotation) else (
                    FLASK if "FileStorage" in ctx.file.text(annotation) else ASGI)
            return ""
        value = q.local_value(ctx, node)
        if value is not None:
            return _upload_kind(ctx, value, depth - 1)
        iterable = _loop_iterable(node, name)
        if iterable is not None:
            return _upload_collection_kind(ctx, iterable, depth - 1)
    return ""


def _request_files(ctx: CheckContext, node: Node) -> str:
    node = q.unwrap(node)
    text = ctx.file.text(node)
    if node.type == "attribute" and not text.endswith(("files", "FILES")):
        return ""
    match = _REQUEST_FILES.search(text) or _REQUEST_FILES.search(ctx.file.qualname(node) or "")
    if match is None:
        return ""
    return DJANGO if match.group(1) == "FILES" else FLASK


def _form_kind(ctx: CheckContext, node: Node, depth: int) -> str:
    """A form read from the request body: Starlette `await request.form()` or aiohttp
    `await request.post()`; its file fields are uploads."""
    node = q.unwrap(node)
    if node.type == "identifier" and depth > 0:
        value = q.local_value(ctx, node)
        return _form_kind(ctx, value, depth - 1) if value is not None else ""
    if node.type != "call":
        return ""
    function = node.child_by_field_name("function")
    if function is None or function.type != "attribute":
        return ""
    method = function.child_by_field_name("attribute")
    obj = function.child_by_field_name("object")
    if method is None or obj is None or not _is_request(obj):
        return ""
    if method.text == b"form":
        return ASGI
    if method.text == b"post":
        return AIOHTTP
    return ""


def _is_multipart_reader(ctx: CheckContext, node: Node, depth: int) -> bool:
    node = q.unwrap(node)
    if node.type == "identifier" and depth > 0:
        value = q.local_value(ctx, node)
        return value is not None and _is_multipart_reader(ctx, value, depth - 1)
    if node.type != "call":
        return False
    function = node.child_by_field_name("function")
    return function is not None and function.type == "attribute" and function.text.endswith(b".multipart") and (
        _is_request(function.child_by_field_name("object")))


def _is_request(node: Node | None) -> bool:
    return node is not None and node.text in (b"request", b"req", b"self.request")


def _loop_iterable(node: Node, name: str) -> Node | None:
    """The iterable of the innermost enclosing `for name in ...`."""
    for parent in scopes.ancestors(node):
        if parent.type in ("function_definition", "lambda", "class_definition"):
            return None
        if parent.type == "for_statement":
            target, iterable = scopes.loop_target_and_iterable(parent)
            if name in scopes.bound_names(target):
                return iterable
    return None


def _upload_collection_kind(ctx: CheckContext, iterable: Node, depth: int) -> str:
    """`request.files.getlist("docs")`, `request.FILES.values()`, a `list[UploadFile]` parameter."""
    iterable = q.unwrap(iterable)
    if iterable.type == "call":
        function = iterable.child_by_field_name("function")
        if function is not None and function.type == "attribute":
            obj = function.child_by_field_name("object")
            if obj is not None:
                return _request_files(ctx, obj)
        return ""
    if iterable.type == "identifier":
        function = scopes.enclosing_def(iterable)
        name = iterable.text.decode()
        if function is not None and name in scopes.parameter_names(function):
            annotation = scopes.parameter_annotation(function, name)
            if annotation is not None and UPLOAD_ANNOTATIONS.search(ctx.file.text(annotation)):
                return DJANGO if "Uploaded" in ctx.file.text(annotation) else ASGI
        elif depth > 0:
            value = q.local_value(ctx, iterable)
            if value is not None:
                return _upload_collection_kind(ctx, value, depth - 1)
    return ""


# --- files opened from request data --------------------------------------------------------------

def _opened_path(ctx: CheckContext, receiver: Node, depth: int = 2) -> Node | None:
    """The path expression of the file object `receiver` holds, when it was opened here."""
    receiver = q.unwrap(receiver)
    if receiver.type == "identifier" and depth > 0:
        value = q.local_value(ctx, receiver)
        return _opened_path(ctx, value, depth - 1) if value is not None else None
    if receiver.type != "call":
        return None
    name = ctx.file.call_name(receiver) or ""
    if name in OPENERS:
        return q.first_argument(receiver) or scopes.call_keyword_arguments(receiver).get("file")
    function = receiver.child_by_field_name("function")
    if function is not None and function.type == "attribute":
        attribute = function.child_by_field_name("attribute")
        if attribute is not None and attribute.text == b"open" and name not in ("", "open"):
            obj = function.child_by_field_name("object")
            if obj is not None and not name.startswith(("gzip.", "zipfile.", "tarfile.", "Image.", "PIL.")):
                return obj  # Path(...).open()
    return None


def _from_input(ctx: CheckContext, node: Node, depth: int = 2) -> bool:
    """Whether an expression is built from the request or the function's parameters (a path the
    caller chose), following local names a couple of levels."""
    function = scopes.enclosing_def(node)
    parameters = set(scopes.parameter_names(function)) - NOT_A_SOURCE if function is not None else set()
    pending = [node]
    visited = 0
    while pending and visited < 200:
        current = pending.pop()
        visited += 1
        if current.type == "identifier":
            parent = current.parent
            if parent is not None and parent.type == "attribute" and parent.child_by_field_name(
                    "attribute") == current:
                continue
            if parent is not None and parent.type == "keyword_argument" and parent.child_by_field_name(
                    "name") == current:
                continue
            name = current.text.decode()
            if name in ("request", "req") or name in parameters:
                return True
            if depth > 0:
                value = q.local_value(ctx, current)
                if value is not None and _from_input(ctx, value, depth - 1):
                    return True
        elif current.type == "string":
            pending.extend(c for c in current.named_children if c.type == "interpolation")  # f"{media_id}.jpg"
        elif current.type != "integer":
            pending.extend(current.named_children)
    return False


# Files shipped with the application (templates, static assets, files next to the module): small,
# versioned with the code, and often transformed before they are sent.
_APPLICATION_FILE = re.compile(r"__file__|\bBASE_DIR\b|\bPROJECT_ROOT\b|[\"'/]templates?\b|[\"'/]static\b")


def _is_application_file(ctx: CheckContext, path: Node, depth: int = 2) -> bool:
    """`settings.BASE_DIR / f"templates/docs/{name}.html"`, `os.path.join(os.path.dirname(__file__),
    "static", ...)`, following local names a couple of levels."""
    path = q.unwrap(path)
    if _APPLICATION_FILE.search(ctx.file.text(path)):
        return True
    if depth == 0:
        return False
    if path.type == "identifier":
        value = q.local_value(ctx, path)
        return value is not None and _is_application_file(ctx, value, depth - 1)
    if path.type == "call":
        function = path.child_by_field_name("function")
        if function is not None and function.type == "attribute":  # `path.open()`
            obj = function.child_by_field_name("object")
            return obj is not None and _is_application_file(ctx, obj, depth - 1)
    if path.type == "binary_operator":
        left = path.child_by_field_name("left")
        return left is not None and _is_application_file(ctx, left, depth - 1)
    return False


# --- pandas ------------------------------------------------------------------------------------

def _dataframe_report(ctx: CheckContext, call: Node, name: str) -> Iterator[Report]:
    if name not in PANDAS_READERS:
        return
    keywords = scopes.call_keyword_arguments(call)
    if keywords.keys() & {"chunksize", "iterator", "nrows"} or scopes.call_has_splat(call):
        return
    source = keywords.get("filepath_or_buffer") or q.first_argument(call)
    if source is None or _READ_CALL.search(ctx.file.text(source)):
        return  # `read_csv(io.BytesIO(await file.read()))`: the read itself is reported
    upload = _upload_kind(ctx, source) or _wraps_upload(ctx, source)
    if not upload and not (role_of(ctx, call) and _from_input(ctx, source)):
        return
    yield Report(call, f"`{q.short_code(call)}` loads the whole file into one DataFrame; pass `chunksize=` and "
                       "process it chunk by chunk")


def _wraps_upload(ctx: CheckContext, node: Node) -> str:
    """`io.BytesIO(...)`/`TextIOWrapper(...)` around an upload."""
    node = q.unwrap(node)
    if node.type == "call":
        argument = q.first_argument(node)
        if argument is not None:
            return _upload_kind(ctx, argument)
    return ""


# --- request bodies stored as files -------------------------------------------------------------

def _is_request_stream(ctx: CheckContext, receiver: Node) -> bool:
    """aiohttp `request` / `request.content`, Falcon `req.stream` / `req.bounded_stream`, Flask
    `request.stream`."""
    receiver = q.unwrap(receiver)
    if receiver.type == "identifier":
        return receiver.text in (b"request", b"req") and role_of(ctx, receiver) == "handler"
    if receiver.type == "attribute":
        attribute = receiver.child_by_field_name("attribute")
        return _is_request(receiver.child_by_field_name("object")) and attribute is not None and (
            attribute.text in (b"content", b"stream", b"bounded_stream"))
    return False


def _body_report(ctx: CheckContext, call: Node, method: str, name: str) -> Iterator[Report]:
    function = call.child_by_field_name("function")
    receiver = function.child_by_field_name("object") if function is not None and function.type == "attribute" \
        else None
    if receiver is None:
        return
    if method in ("body", "get_data") and not _is_request(q.unwrap(receiver)):
        return
    if method == "get_data":
        framework = FLASK
    elif method == "body":
        framework = ASGI
    elif q.unwrap(receiver).type == "attribute" and q.unwrap(receiver).text.endswith(b"stream"):
        framework = FLASK
    else:
        framework = AIOHTTP
    if not _stored_as_file(ctx, call) or _size_checked_before(ctx, call):
        return
    yield Report(call, f"`{q.short_code(call)}` reads the whole request body into memory to store it; "
                       f"{STREAM_BODY[framework]}")


def _stored_as_file(ctx: CheckContext, read: Node) -> bool:
    """The value read is written to a file or object storage in the same function."""
    expression = _outer_value(read)
    parent = expression.parent
    if parent is not None and parent.type in ("argument_list", "keyword_argument"):
        return _is_storage_call(ctx, _call_of_argument(parent))
    if parent is not None and parent.type == "assignment" and parent.child_by_field_name("right") == expression:
        target = parent.child_by_field_name("left")
        if target is None or target.type != "identifier":
            return False
        name = target.text
        function = scopes.enclosing_function(read)
        for site in ctx.calls_to(STORAGE_METHODS):
            call = site.node
            if call.start_byte <= parent.end_byte or scopes.enclosing_function(call) != function:
                continue
            if _is_storage_call(ctx, call) and any(_names_value(argument, name)
                                                   for argument in _argument_values(call)):
                return True
    return False


def _outer_value(node: Node) -> Node:
    """Climb through `await`, parentheses and byte wrappers (`BytesIO(...)`, `ContentFile(...)`)."""
    current = node
    while current.parent is not None:
        parent = current.parent
        if parent.type in ("await", "parenthesized_expression"):
            current = parent
        elif parent.type == "argument_list" and parent.parent is not None and _is_byte_wrapper(parent.parent):
            current = parent.parent
        else:
            break
    return current


def _is_byte_wrapper(call: Node) -> bool:
    function = call.child_by_field_name("function")
    return function is not None and function.text.decode().rsplit(".", 1)[-1] in BYTE_WRAPPERS


def _call_of_argument(node: Node) -> Node | None:
    if node.type == "keyword_argument":
        node = node.parent
    return node.parent if node is not None and node.type == "argument_list" else None


def _is_storage_call(ctx: CheckContext, call: Node | None) -> bool:
    if call is None or call.type != "call":
        return False
    function = call.child_by_field_name("function")
    if function is None or function.type != "attribute":
        return False
    attribute = function.child_by_field_name("attribute")
    return attribute is not None and attribute.text.decode() in STORAGE_METHODS


def _argument_values(call: Node) -> list[Node]:
    return scopes.call_positional_arguments(call) + list(scopes.call_keyword_arguments(call).values())


def _names_value(argument: Node, name: bytes) -> bool:
    argument = q.unwrap(argument)
    if argument.type == "identifier":
        return argument.text == name
    if argument.type == "call" and _is_byte_wrapper(argument):
        inner = q.first_argument(argument)
        return inner is not None and _names_value(inner, name)
    return False


def _django_body_stored(ctx: CheckContext, call: Node) -> Iterator[Report]:
    """`default_storage.save(name, ContentFile(request.body))` and `f.write(request.body)`."""
    if not _is_storage_call(ctx, call):
        return
    for argument in _argument_values(call):
        value = q.unwrap(argument)
        if value.type == "call" and _is_byte_wrapper(value):
            inner = q.first_argument(value)
            if inner is None:
                continue
            value = q.unwrap(inner)
        if value.type == "identifier":
            bound = q.local_value(ctx, value)
            if bound is None:
                continue
            value = q.unwrap(bound)
        if value.type == "attribute" and value.text in (b"request.body", b"self.request.body") and (
                role_of(ctx, call) == "handler"):
            yield Report(value, f"`{ctx.file.text(value)}` reads the whole request body into memory to store it; "
                                f"{STREAM_BODY[DJANGO]}")
            return
