"""aiohttp web handlers over an asyncpg pool: the product catalogue."""

from __future__ import annotations

import os

import asyncpg
from aiohttp import web

routes = web.RouteTableDef()
DSN = os.environ.get("CATALOG_DSN", "postgresql://catalog@db/catalog")


@routes.get("/products")
async def list_products(request: web.Request) -> web.Response:
    pool: asyncpg.Pool = request.app["pool"]
    limit = min(int(request.query.get("limit", 50)), 200)
    after = int(request.query.get("after", 0))
    rows = await pool.fetch("SELECT id, name, price FROM products WHERE id > $1 ORDER BY id LIMIT $2", after, limit)
    return web.json_response([dict(row) for row in rows])


@routes.get("/brands")
async def list_brands(request: web.Request) -> web.Response:
    pool: asyncpg.Pool = request.app["pool"]
    rows = await pool.fetch("SELECT id, name FROM brands ORDER BY name")  # expect: RB501
    return web.json_response([dict(row) for row in rows])


@routes.get("/products/count")
async def count_products(request: web.Request) -> web.Response:
    total = await request.app["pool"].fetchval("SELECT count(*) FROM products")
    return web.json_response({"count": total})


@routes.get("/reports/margins")
async def margin_report(request: web.Request) -> web.Response:
    pool = await asyncpg.create_pool(os.environ["REPORTING_DSN"], min_size=1, max_size=2)  # expect: RB303
    try:
        rows = await pool.fetch(
            "SELECT category, avg(margin) AS margin FROM product_margins GROUP BY category ORDER BY category"
        )
    finally:
        await pool.close()
    return web.json_response({row["category"]: float(row["margin"]) for row in rows})


async def open_pool(app: web.Application) -> None:
    app["pool"] = await asyncpg.create_pool(DSN, min_size=2, max_size=10)


async def close_pool(app: web.Application) -> None:
    await app["pool"].close()


def build_app() -> web.Application:
    app = web.Application()
    app.add_routes(routes)
    app.on_startup.append(open_pool)
    app.on_cleanup.append(close_pool)
    return app
