"""requests and urllib: small synchronous helpers used by the import jobs."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlencode

import requests

EXCHANGE_RATES_URL = "https://rates.example.com/latest"
HOLIDAYS_URL = "https://calendar.example.com/holidays"


def exchange_rates(base: str = "EUR") -> dict[str, float]:
    response = requests.get(EXCHANGE_RATES_URL, params={"base": base}, timeout=10)
    response.raise_for_status()
    return response.json()["rates"]


def public_holidays(country: str, year: int) -> list[str]:
    response = requests.get(f"{HOLIDAYS_URL}/{country}/{year}")  # expect: RB203
    response.raise_for_status()
    return [day["date"] for day in response.json()]


def sitemap(url: str) -> bytes:
    with urllib.request.urlopen(url) as response:  # expect: RB203
        return response.read()


def geocode(address: str) -> dict:
    query = urlencode({"q": address, "format": "json"})
    with urllib.request.urlopen(f"https://geo.example.com/search?{query}", timeout=5) as response:
        return json.load(response)


def head_ok(url: str, **kwargs) -> bool:
    try:
        return requests.head(url, allow_redirects=True, **kwargs).ok
    except requests.RequestException:
        return False
