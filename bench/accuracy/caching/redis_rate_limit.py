"""redis.asyncio: sliding-window rate limiting for the public API (Starlette middleware)."""

from __future__ import annotations

import time

import redis.asyncio as aioredis
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import JSONResponse

WINDOW_SECONDS = 60
LIMIT = 120


class RateLimiter:
    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client

    async def hit(self, client_id: str) -> int:
        bucket = int(time.time() // WINDOW_SECONDS)
        key = f"rl:{client_id}:{bucket}"
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS * 2)
            count, _ = await pipe.execute()
        return count

    async def record_request(self, client_id: str, request_id: str) -> None:
        key = f"rl-log:{client_id}"
        now = time.time()
        await self.client.zadd(key, {request_id: now})
        await self.client.zremrangebyscore(key, 0, now - WINDOW_SECONDS)
        await self.client.expire(key, WINDOW_SECONDS)

    async def usage(self, client_ids: list[str]) -> dict[str, int]:
        bucket = int(time.time() // WINDOW_SECONDS)
        values = await self.client.mget([f"rl:{cid}:{bucket}" for cid in client_ids])
        return {cid: int(v or 0) for cid, v in zip(client_ids, values)}

    async def note_blocked(self, client_id: str) -> None:
        await self.client.hincrby("rl:blocked-totals", client_id, 1)


class RateLimitMiddleware(BaseHTTPMiddleware):
    def __init__(self, app, client: aioredis.Redis) -> None:
        super().__init__(app)
        self.limiter = RateLimiter(client)

    async def dispatch(self, request, call_next):
        client_id = request.headers.get("x-api-key") or request.client.host
        if await self.limiter.hit(client_id) > LIMIT:
            await self.limiter.note_blocked(client_id)
            return JSONResponse({"error": "rate limited"}, status_code=429)
        return await call_next(request)
