"""Messages and building blocks of RB401 (static files), RB501 (unbounded queries) and RB502
(whole-file reads). Which lines are reported is specified by the fixtures; this file pins the
texts users read and the helpers' edge cases."""

from __future__ import annotations

import textwrap

import pytest
from tree_sitter import QueryCursor

from reviewbot import Config, analyze
from reviewbot.checks import _pagination as q
from reviewbot.findings import Severity
from reviewbot.source.parsing import compile_query, parse


def findings(code: str, source: str, path: str = "app/views.py"):
    result = analyze({path: textwrap.dedent(source).encode()}, config=Config(select=frozenset({code})))
    assert not result.errors, result.errors
    return result.findings


def only_message(code: str, source: str) -> str:
    found = findings(code, source)
    assert len(found) == 1, [f.message for f in found]
    return found[0].message


# --- RB501 -------------------------------------------------------------------------------------

def test_queryset_serialized_in_a_view_names_the_query_and_how_to_page_it():
    message = only_message("RB501", """
        from rest_framework.views import APIView

        class OrderList(APIView):
            def get(self, request):
                orders = Order.objects.filter(customer=request.user)
                return Response(OrderSerializer(orders, many=True).data)
    """)
    assert message == (
        "`Order.objects.filter(customer=request.user)` loads every matching row into this endpoint; paginate it "
        "(`Paginator`, a slice such as `[:50]`, or keyset pagination)"
    )


def test_drf_list_override_suggests_the_view_pagination():
    message = only_message("RB501", """
        from rest_framework import viewsets

        class OrderViewSet(viewsets.ModelViewSet):
            pagination_class = CursorPagination

            def list(self, request):
                return Response(self.get_serializer(self.get_queryset(), many=True).data)
    """)
    assert message == (
        "`self.get_queryset()` loads every matching row into this endpoint; paginate it "
        "(`self.paginate_queryset()` and `self.get_paginated_response()`, as the default `list()` does)"
    )


def test_sqlalchemy_result_names_the_select_it_runs():
    message = only_message("RB501", """
        @router.get("/orders")
        async def list_orders(session: AsyncSession):
            stmt = select(Order).where(Order.status == "open")
            result = await session.execute(stmt)
            return result.scalars().all()
    """)
    assert message == (
        "`result.scalars().all()` loads every matching row of `select(Order).where(Order.status == \"open\")` "
        "into this endpoint; paginate it (`.limit()` on the select, or keyset pagination)"
    )


def test_sql_fetchall_spans_from_the_execute_to_the_fetch_and_quotes_the_sql():
    found = findings("RB501", """
        @app.route("/orders")
        def orders():
            cur = g.db.cursor()
            cur.execute("SELECT id, total FROM orders ORDER BY id")
            return jsonify(cur.fetchall())
    """)
    assert [(f.line, f.end_line) for f in found] == [(5, 6)]
    assert found[0].message == (
        "`cur.fetchall()` loads every row of `SELECT id, total FROM orders ORDER BY id` into this endpoint; "
        "add `LIMIT` and page through the rows (keyset or offset pagination)"
    )


def test_drf_view_without_pagination_class_is_info_because_settings_may_page_it():
    found = findings("RB501", """
        from rest_framework import viewsets

        class OrderViewSet(viewsets.ModelViewSet):
            queryset = Order.objects.all()
            serializer_class = OrderSerializer
    """)
    # from the class line to the `queryset` line: either may carry the review comment
    assert [(f.line, f.end_line, f.severity) for f in found] == [(4, 5, Severity.INFO)]
    assert found[0].message == (
        "`OrderViewSet` lists `Order.objects.all()` without a `pagination_class`: every row is returned unless "
        "the settings set `DEFAULT_PAGINATION_CLASS`"
    )


def test_drf_view_disabling_pagination_is_a_warning():
    found = findings("RB501", """
        from rest_framework import generics

        class OrderList(generics.ListAPIView):
            queryset = Order.objects.all()
            pagination_class = None
    """)
    assert [(f.line, f.end_line, f.severity) for f in found] == [(4, 6, Severity.WARNING)]
    assert found[0].message == (
        "`OrderList` sets `pagination_class = None`: its list action returns every row of `Order.objects.all()`; "
        "use a pagination class"
    )


def test_list_view_without_paginate_by():
    message = only_message("RB501", """
        from django.views.generic import ListView

        class OrderListView(ListView):
            model = Order
    """)
    assert message == (
        "`OrderListView` is a `ListView` without `paginate_by`: it renders every row of `Order`; "
        "set `paginate_by` to page it"
    )


def test_handler_findings_are_raised_to_error_by_context():
    found = findings("RB501", """
        def order_list(request):
            return JsonResponse({"orders": list(Order.objects.values("id"))})
    """)
    assert [(f.severity, f.context) for f in found] == [(Severity.ERROR, "handler")]


@pytest.mark.parametrize("sql, every_row", [
    ("SELECT * FROM orders", True),
    ("select id from orders where customer_id = %s order by id", True),
    ("WITH recent AS (SELECT * FROM orders) SELECT * FROM recent", True),
    ("SELECT * FROM orders LIMIT 50", False),
    ("SELECT * FROM orders ORDER BY id FETCH FIRST 10 ROWS ONLY", False),
    ("SELECT * FROM orders WHERE id = %s", False),
    ("SELECT * FROM orders o WHERE o.id = $1", False),
    ("SELECT * FROM orders WHERE id IN (1, 2, 3)", False),
    ("SELECT * FROM orders WHERE id = ANY(%s)", False),
    ("SELECT o.* FROM orders o, customers c WHERE c.id = o.customer_id", True),
    ("SELECT COUNT(*) FROM orders", False),
    ("SELECT status, COUNT(*) FROM orders GROUP BY status", False),
    ("SELECT 1", False),
    ("UPDATE orders SET paid = true", False),
])
def test_sql_reads_every_row(sql, every_row):
    assert q.sql_reads_every_row(sql) is every_row


@pytest.mark.parametrize("source, expected", [
    ("Order.objects.filter(customer=request.user)", "Order.objects.filter(customer=request.user)"),
    ('app.mount("/static", StaticFiles(directory=BASE_DIR / "static"), name="static")',
     'app.mount("/static", StaticFiles(...), ...)'),
    ("db.query(Order).filter(Order.user_id == user_id).order_by(Order.created_at.desc()).all()",
     "db.query(Order).filter(...).order_by(Order.created_at.desc()).all()"),
])
def test_short_code_keeps_short_expressions_and_abbreviates_long_arguments(source, expected):
    node = parse(source.encode()).root_node.named_children[0].named_children[0]
    assert q.short_code(node) == expected


def test_function_index_finds_the_innermost_def_without_walking_up():
    tree = parse(textwrap.dedent("""
        def outer():
            def inner():
                return 1
            value = 2
            return value

        def other():
            return 3
    """).encode())
    functions = [n for n in QueryCursor(compile_query("(function_definition) @f")).captures(tree.root_node)["f"]]
    index = q.FunctionIndex(functions)
    integers = QueryCursor(compile_query("(integer) @i")).captures(tree.root_node)["i"]
    names = {i.text.decode(): [q.scopes.function_name(f) for f in index.enclosing(i)] for i in integers}
    assert names == {"1": ["inner", "outer"], "2": ["outer"], "3": ["other"]}


# --- RB401 -------------------------------------------------------------------------------------

def test_flask_asset_directory_message():
    message = only_message("RB401", """
        from flask import send_from_directory

        @app.route("/assets/<path:name>")
        def assets(name):
            return send_from_directory("static/assets", name)
    """)
    assert message == (
        "`send_from_directory(\"static/assets\", name)` serves static assets from the application process; serve "
        "static files from a CDN or the web server (nginx), or with WhiteNoise and far-future cache headers"
    )


def test_static_files_mount_message_names_the_prefix():
    message = only_message("RB401", """
        from fastapi.staticfiles import StaticFiles

        app.mount("/static", StaticFiles(directory="static"), name="static")
    """)
    assert message == (
        "`app.mount(\"/static\", StaticFiles(...), ...)` serves `/static` from the application process; serve "
        "static files from a CDN or the web server (nginx) with far-future cache headers"
    )


def test_django_serve_message_names_the_route():
    message = only_message("RB401", """
        from django.urls import re_path
        from django.views.static import serve

        urlpatterns = [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": MEDIA_ROOT})]
    """)
    assert message == (
        "`django.views.static.serve` serves `media/` through Django, which its docs call inefficient and insecure "
        "for production; serve static files from a CDN or the web server (nginx), or with WhiteNoise and "
        "far-future cache headers"
    )


def test_aiohttp_static_message():
    message = only_message("RB401", """
        def setup_routes(app):
            app.router.add_static("/static/", path="static")
    """)
    assert message == (
        "`app.router.add_static(\"/static/\", path=\"static\")` makes aiohttp serve static files, which its docs "
        "advise against in production; serve them from nginx or a CDN"
    )


@pytest.mark.parametrize("guard", ["if settings.DEBUG:", "if app.debug:", "if DEBUG:",
                                   'if settings.ENVIRONMENT == "development":'])
def test_development_guards_silence_static_serving(guard):
    assert not findings("RB401", f"""
        from fastapi.staticfiles import StaticFiles

        {guard}
            app.mount("/static", StaticFiles(directory="static"), name="static")
    """)


def test_production_branch_of_a_debug_check_is_reported():
    found = findings("RB401", """
        from fastapi.staticfiles import StaticFiles

        if not settings.DEBUG:
            app.mount("/static", StaticFiles(directory="static"), name="static")
    """)
    assert [f.line for f in found] == [5]


# --- RB502 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, advice", [
    ("""
        def upload(request):
            data = request.FILES["doc"].read()
     """, "iterate `.chunks()` or hand the file to `default_storage.save()`"),
    ("""
        from flask import request

        def upload():
            data = request.files["doc"].read()
     """, "save it with `.save(path)` or copy `.stream` in chunks with `shutil.copyfileobj`"),
    ("""
        async def upload(doc: UploadFile):
            data = await doc.read()
     """, "read it in chunks (`await doc.read(1024 * 1024)` in a loop) or copy `doc.file` with `shutil.copyfileobj`"),
    ("""
        async def upload(request):
            reader = await request.multipart()
            part = await reader.next()
            data = await part.read()
     """, "read it with `read_chunk()` in a loop"),
])
def test_upload_read_advice_fits_the_framework(source, advice):
    message = only_message("RB502", source)
    assert message.endswith("reads the whole upload into memory; " + advice), message


def test_body_stored_as_a_file_message():
    message = only_message("RB502", """
        async def put_blob(request: Request, key: str):
            body = await request.body()
            with open(key, "wb") as out:
                out.write(body)
    """)
    assert message == (
        "`request.body()` reads the whole request body into memory to store it; write each chunk of "
        "`async for chunk in request.stream()` instead"
    )


def test_readlines_and_read_csv_messages():
    found = findings("RB502", """
        import pandas as pd

        @shared_task
        def import_rows(path):
            with open(path) as handle:
                lines = handle.readlines()
            return pd.read_csv(path)
    """)
    assert [f.message for f in found] == [
        "`handle.readlines()` reads every line of the file into a list; iterate the file object (`for line in f`) "
        "instead",
        "`pd.read_csv(path)` loads the whole file into one DataFrame; pass `chunksize=` and process it chunk by "
        "chunk",
    ]


def test_downloaded_file_read_whole_message():
    message = only_message("RB502", """
        def download(request, name):
            with open(os.path.join(MEDIA_ROOT, name), "rb") as fh:
                return HttpResponse(fh.read())
    """)
    assert message == (
        "`fh.read()` reads the whole file into memory; stream it (`FileResponse`/`send_file`, or `read(CHUNK)` "
        "in a loop) instead"
    )


def test_reads_in_tests_are_not_reported():
    assert not findings("RB502", """
        def test_upload(client):
            assert client.files["doc"].read()
            data = request.FILES["doc"].read()
    """, path="tests/test_upload.py")
