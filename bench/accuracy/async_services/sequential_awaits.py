"""asyncio service layer (httpx.AsyncClient): profile and pricing aggregation for the storefront."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx


@dataclass
class CartLine:
    sku: str
    quantity: int


class ProfileClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def fetch(self, user_id: int) -> dict:
        response = await self.client.get(f"/profiles/{user_id}")
        response.raise_for_status()
        return response.json()


async def profiles(client: ProfileClient, user_ids: list[int]) -> list[dict]:
    result = []
    for user_id in user_ids:
        result.append(await client.fetch(user_id))  # expect: RB202
    return result


async def quote_cart(pricing: httpx.AsyncClient, lines: list[CartLine]) -> int:
    total = 0
    for line in lines:
        response = await pricing.get("/price", params={"sku": line.sku, "qty": line.quantity})  # expect: RB202
        total += response.json()["amount"]
    return total


async def quote_cart_concurrently(pricing: httpx.AsyncClient, lines: list[CartLine]) -> int:
    limit = asyncio.Semaphore(8)

    async def price(line: CartLine) -> int:
        async with limit:
            response = await pricing.get("/price", params={"sku": line.sku, "qty": line.quantity})
            return response.json()["amount"]

    return sum(await asyncio.gather(*(price(line) for line in lines)))


async def first_available(inventory: httpx.AsyncClient, warehouses: list[str], sku: str) -> str | None:
    for warehouse in warehouses:
        response = await inventory.get(f"/warehouses/{warehouse}/stock/{sku}")
        if response.json()["available"] > 0:
            return warehouse
    return None


async def all_pages(client: httpx.AsyncClient, path: str) -> list[dict]:
    items: list[dict] = []
    cursor = None
    for _ in range(100):
        response = await client.get(path, params={"cursor": cursor} if cursor else None)
        body = response.json()
        items.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            break
    return items


async def refresh_all(client: httpx.AsyncClient, user_ids: list[int]) -> None:
    async with asyncio.TaskGroup() as group:
        for user_id in user_ids:
            group.create_task(client.post(f"/profiles/{user_id}/refresh"))
