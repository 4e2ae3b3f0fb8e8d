"""FastAPI: shared HTTP and Redis clients created at startup (redis.asyncio, httpx)."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
import redis.asyncio as aioredis
from fastapi import Depends, FastAPI, Request

REDIS_URL = "redis://cache:6379/0"


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0))
    app.state.redis = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield
    await app.state.http.aclose()
    await app.state.redis.aclose()


app = FastAPI(lifespan=lifespan)


def http_client(request: Request) -> httpx.AsyncClient:
    return request.app.state.http


def redis_client(request: Request) -> aioredis.Redis:
    return request.app.state.redis


@app.get("/exchange/{currency}")
async def exchange(currency: str, http: httpx.AsyncClient = Depends(http_client),
                   cache: aioredis.Redis = Depends(redis_client)):
    key = f"fx:{currency}"
    cached = await cache.get(key)
    if cached is not None:
        return {"rate": float(cached)}
    response = await http.get("https://fx.example.com/latest", params={"symbol": currency})
    rate = response.json()["rate"]
    await cache.set(key, rate, ex=300)
    return {"rate": rate}


@app.get("/visits/{page}")
async def visits(page: str):
    cache = aioredis.Redis.from_url(REDIS_URL)  # expect: RB303
    try:
        return {"visits": int(await cache.get(f"visits:{page}") or 0)}
    finally:
        await cache.aclose()
