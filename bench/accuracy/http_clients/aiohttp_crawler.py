"""aiohttp client: crawler that checks partner product pages for broken links."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

logger = logging.getLogger(__name__)

PAGE_TIMEOUT = aiohttp.ClientTimeout(total=20, sock_connect=5)
FEED_TIMEOUT = aiohttp.ClientTimeout(total=None)  # expect: RB203


async def check_links(urls: list[str], concurrency: int = 20) -> dict[str, int]:
    limit = asyncio.Semaphore(concurrency)
    results: dict[str, int] = {}

    async def check(session: aiohttp.ClientSession, url: str) -> None:
        async with limit:
            try:
                async with session.head(url, allow_redirects=True) as response:
                    results[url] = response.status
            except (aiohttp.ClientError, asyncio.TimeoutError):
                results[url] = 0

    async with aiohttp.ClientSession(timeout=PAGE_TIMEOUT) as session:
        await asyncio.gather(*(check(session, url) for url in urls))
    return results


async def partner_pages(api_url: str, token: str) -> list[str]:
    pages: list[str] = []
    next_url: str | None = api_url
    async with aiohttp.ClientSession(timeout=FEED_TIMEOUT, headers={"Authorization": f"Bearer {token}"}) as session:
        while next_url:
            async with session.get(next_url) as response:
                body = await response.json()
            pages.extend(item["url"] for item in body["items"])
            next_url = body.get("next")
    return pages


async def main(api_url: str, token: str) -> None:
    urls = await partner_pages(api_url, token)
    broken = {url: status for url, status in (await check_links(urls)).items() if status >= 400 or status == 0}
    for url, status in sorted(broken.items()):
        logger.warning("broken link %s (%s)", url, status)
