"""asyncio + httpx: notification fan-out with bounded concurrency."""

from __future__ import annotations

import asyncio
import logging

import httpx

logger = logging.getLogger(__name__)


class PushSender:
    def __init__(self, client: httpx.AsyncClient, concurrency: int = 16) -> None:
        self.client = client
        self.limit = asyncio.Semaphore(concurrency)

    async def send(self, token: str, payload: dict) -> bool:
        async with self.limit:
            try:
                response = await self.client.post("/push", json={"token": token, **payload})
                return response.status_code == 202
            except httpx.HTTPError:
                logger.warning("push to %s failed", token[:8])
                return False

    async def broadcast(self, tokens: list[str], payload: dict) -> int:
        results = await asyncio.gather(*(self.send(token, payload) for token in tokens))
        return sum(results)

    async def broadcast_progress(self, tokens: list[str], payload: dict) -> int:
        delivered = 0
        tasks = [asyncio.create_task(self.send(token, payload)) for token in tokens]
        for finished in asyncio.as_completed(tasks):
            delivered += await finished
        return delivered


async def drain(queue: asyncio.Queue, sender: PushSender) -> None:
    while True:
        token, payload = await queue.get()
        try:
            await sender.send(token, payload)
        finally:
            queue.task_done()


async def send_digest(sender: PushSender, batches: list[list[str]], payload: dict) -> int:
    delivered = 0
    for batch in batches:
        delivered += await sender.broadcast(batch, payload)
        await asyncio.sleep(1.0)
    return delivered
