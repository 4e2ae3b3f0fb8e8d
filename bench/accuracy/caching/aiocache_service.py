"""aiocache: cached lookups of the shipping quote service (aiohttp client)."""

from __future__ import annotations

import aiohttp
from aiocache import Cache, cached
from aiocache.serializers import JsonSerializer

quotes_cache = Cache(Cache.REDIS, endpoint="redis", port=6379, namespace="quotes", serializer=JsonSerializer())


@cached(ttl=900, cache=Cache.REDIS, key_builder=lambda f, origin, dest, weight: f"{origin}:{dest}:{weight}")
async def shipping_quote(origin: str, dest: str, weight: int) -> dict:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.get("https://quotes.example.com/v1", params={"o": origin, "d": dest, "w": weight}) as r:
            return await r.json()


@cached(cache=Cache.REDIS, key_builder=lambda f, carrier: f"carrier:{carrier}")  # expect: RB301
async def carrier_profile(carrier: str) -> dict:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.get(f"https://quotes.example.com/v1/carriers/{carrier}") as r:
            return await r.json()


async def remember_label(shipment_id: str, label_url: str) -> None:
    await quotes_cache.set(f"label:{shipment_id}", label_url, ttl=86400)


async def remember_tracking(shipment_id: str, tracking: dict) -> None:
    await quotes_cache.set(f"tracking:{shipment_id}", tracking)  # expect: RB301
