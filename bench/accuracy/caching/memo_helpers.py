"""Plain Python memoization helpers of the pricing and geo services."""

from __future__ import annotations

import functools
from collections.abc import Callable

from cachetools import TTLCache, cached

from pricing.client import fetch_price
from pricing.geo import lookup_ip

_exporters: dict[str, Callable] = {}
_geo_by_ip: dict[str, dict] = {}
_pending_tokens: dict[str, str] = {}


def exporter(fmt: str):
    def register(func: Callable) -> Callable:
        _exporters[fmt] = func
        return func

    return register


@exporter("csv")
def export_csv(rows):
    return "\n".join(",".join(map(str, row)) for row in rows)


class PriceBook:
    def __init__(self, currency: str) -> None:
        self.currency = currency

    @functools.cache  # expect: RB302
    def price(self, sku: str) -> int:
        return fetch_price(sku, self.currency)


def geo_for(ip_address: str) -> dict:
    if ip_address not in _geo_by_ip:
        _geo_by_ip[ip_address] = lookup_ip(ip_address)  # expect: RB302
    return _geo_by_ip[ip_address]


@cached(TTLCache(maxsize=50_000, ttl=3600))
def country_for(ip_address: str) -> str:
    return lookup_ip(ip_address)["country"]


@functools.lru_cache(maxsize=2048)
def normalized_sku(raw: str) -> str:
    return raw.strip().upper().replace(" ", "-")


def remember_token(nonce: str, token: str) -> None:
    _pending_tokens[nonce] = token


def redeem_token(nonce: str) -> str | None:
    return _pending_tokens.pop(nonce, None)
