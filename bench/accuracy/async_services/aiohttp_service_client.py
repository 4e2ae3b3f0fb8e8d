"""aiohttp client: status aggregation across the company's internal services."""

from __future__ import annotations

import asyncio

import aiohttp

SERVICES = {
    "orders": "http://orders.internal/health",
    "billing": "http://billing.internal/health",
    "search": "http://search.internal/health",
    "media": "http://media.internal/health",
}


class StatusClient:
    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def health(self, url: str) -> str:
        try:
            async with self.session.get(url) as response:
                return "up" if response.status == 200 else f"degraded ({response.status})"
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return "down"

    async def overview(self) -> dict[str, str]:
        names = list(SERVICES)
        states = await asyncio.gather(*(self.health(SERVICES[name]) for name in names))
        return dict(zip(names, states))

    async def instance_report(self, instance_urls: list[str]) -> dict[str, str]:
        report = {}
        for url in instance_urls:
            report[url] = await self.health(url)  # expect: RB202
        return report

    async def versions(self, instance_urls: list[str]) -> dict[str, str]:
        versions = {}
        for url in instance_urls:
            async with self.session.get(f"{url}/version") as response:  # expect: RB202
                versions[url] = (await response.json())["version"]
        return versions
