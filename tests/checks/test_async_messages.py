"""The messages of the async-processing rules (RB201, RB202, RB203), word for word."""

from __future__ import annotations

import textwrap

import pytest

from reviewbot import Config, analyze
from reviewbot.findings import Severity


def findings(code: str, source: str, path: str = "app/service.py"):
    config = Config(select=frozenset({code}), context_severity=False)
    result = analyze({path: textwrap.dedent(source).encode()}, config=config)
    assert not [e for e in result.errors if e.kind == "internal"], result.errors
    return result.findings


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            """
            from time import sleep as nap

            async def handler():
                nap(1)
            """,
            "`time.sleep` blocks the event loop in `async def handler`; use `await asyncio.sleep(...)`",
        ),
        (
            """
            import requests

            async def rates():
                return requests.get("https://rates.example.com", timeout=5)
            """,
            "`requests.get` blocks the event loop in `async def rates`; use an async client "
            "(`httpx.AsyncClient`, `aiohttp`)",
        ),
        (
            """
            import redis

            cache = redis.Redis()

            async def product(key):
                return cache.get(key)
            """,
            "`cache.get` on a sync `redis.Redis` blocks the event loop in `async def product`; "
            "use `redis.asyncio.Redis`",
        ),
        (
            """
            from django.http import JsonResponse
            from shop.models import Order

            async def detail(request, pk):
                return JsonResponse({"id": Order.objects.get(pk=pk).id})
            """,
            "`Order.objects.get` (a database query) blocks the event loop in `async def detail`; "
            "use `await Order.objects.aget(...)`",
        ),
        (
            """
            from django.http import JsonResponse
            from shop.models import Order

            async def listing(request):
                return JsonResponse({"ids": [o.id for o in Order.objects.filter(paid=True)]})
            """,
            "`for ... in Order.objects.filter(paid=True)` runs a database query that blocks the event loop "
            "in `async def listing`; use `async for`",
        ),
        (
            """
            import subprocess

            async def version():
                return subprocess.check_output(["git", "rev-parse", "HEAD"])
            """,
            "`subprocess.check_output` blocks the event loop in `async def version`; "
            "use `asyncio.create_subprocess_exec(...)`",
        ),
    ],
)
def test_blocking_call_messages(source, message):
    assert [f.message for f in findings("RB201", source)] == [message]


def test_blocking_file_access_is_reported_with_lower_severity():
    source = """
        import os

        async def upload(path, data):
            if os.path.exists(path):
                return
            with open(path, "wb") as target:
                target.write(data)
        """
    reported = {(f.line, f.severity) for f in findings("RB201", source)}
    assert reported == {(5, Severity.INFO), (7, Severity.WARNING)}


def test_blocking_call_in_thread_or_nested_def_is_not_reported():
    source = """
        import asyncio
        import time

        import requests

        async def handler(url):
            def work():
                time.sleep(1)
                return requests.get(url, timeout=5)

            await asyncio.to_thread(work)
            return await asyncio.get_running_loop().run_in_executor(None, lambda: requests.get(url, timeout=5))
        """
    assert findings("RB201", source) == []


def test_sequential_await_message_names_call_and_iterable():
    source = """
        async def fetch_profiles(client, user_ids):
            profiles = []
            for user_id in user_ids:
                response = await client.get(f"/users/{user_id}")
                profiles.append(response.json())
            return profiles
        """
    [finding] = findings("RB202", source)
    assert finding.line == 5
    assert finding.message == (
        "awaits `client.get(...)` once per item of `user_ids` sequentially; gather them "
        "(`asyncio.gather`, a TaskGroup) with a concurrency limit"
    )


def test_sequential_await_is_reported_once_per_loop():
    source = """
        async def sync_all(client, accounts):
            for account in accounts:
                await client.post(f"/accounts/{account.id}/sync")
                await client.post(f"/accounts/{account.id}/notify")
        """
    assert [f.line for f in findings("RB202", source)] == [4]


def test_sequential_await_skips_cursor_pagination():
    source = """
        async def all_items(client, pages):
            token = None
            items = []
            for page in pages:
                body = (await client.get("/items", params={"page": page, "token": token})).json()
                items += body["items"]
                token = body["next"]
            return items
        """
    assert findings("RB202", source) == []


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            """
            import aiohttp

            def session():
                return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
            """,
            "`aiohttp.ClientTimeout` without any limit disables aiohttp's default 5-minute timeout",
        ),
        (
            """
            import urllib3

            def fetch(url):
                return urllib3.request("GET", url)
            """,
            "`urllib3.request` has no timeout: it waits for the socket default (forever)",
        ),
        (
            """
            import httpx

            async def fetch(client: httpx.AsyncClient, url):
                return await client.get(url, timeout=None)
            """,
            "`client.get` with `timeout=None` disables the httpx client's timeout",
        ),
        (
            """
            import httpx

            async def startup(app):
                app.state.ledger = httpx.AsyncClient(timeout=10)

            async def close_day(request):
                return await request.app.state.ledger.post("/close", timeout=None)
            """,
            "`request.app.state.ledger.post` with `timeout=None` disables the httpx client's timeout",
        ),
        (
            """
            from functools import cached_property

            import requests

            class Catalog:
                @cached_property
                def http(self):
                    return requests.Session()

                def item(self, sku):
                    return self.http.get(f"https://catalog.example.com/{sku}")
            """,
            "`self.http.get` on a `requests.Session` has no timeout: sessions have no default timeout",
        ),
    ],
)
def test_http_timeout_messages(source, message):
    assert [f.message for f in findings("RB203", source)] == [message]
