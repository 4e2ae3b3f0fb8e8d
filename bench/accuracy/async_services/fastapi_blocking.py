"""FastAPI: pricing endpoints that call the legacy quote service."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import requests
import yaml
from fastapi import FastAPI, HTTPException
from starlette.concurrency import run_in_threadpool

app = FastAPI()
LEGACY_URL = "http://legacy-quotes.internal/quote"
RULES: dict = {}


@app.on_event("startup")
async def load_rules() -> None:
    with open(Path(__file__).with_name("pricing_rules.yaml"), encoding="utf-8") as handle:
        RULES.update(yaml.safe_load(handle))


def legacy_quote(sku: str, quantity: int) -> dict:
    response = requests.get(LEGACY_URL, params={"sku": sku, "qty": quantity}, timeout=5)
    response.raise_for_status()
    return response.json()


@app.get("/quote/{sku}")
async def quote(sku: str, quantity: int = 1):
    response = requests.get(LEGACY_URL, params={"sku": sku, "qty": quantity}, timeout=5)  # expect: RB201
    if response.status_code == 404:
        raise HTTPException(404, "unknown sku")
    return response.json()


@app.get("/quote/{sku}/threaded")
async def quote_threaded(sku: str, quantity: int = 1):
    return await asyncio.to_thread(legacy_quote, sku, quantity)


@app.get("/quote/{sku}/pool")
async def quote_pool(sku: str, quantity: int = 1):
    return await run_in_threadpool(legacy_quote, sku, quantity)


@app.get("/quote/{sku}/sync")
def quote_sync(sku: str, quantity: int = 1):
    return legacy_quote(sku, quantity)


@app.post("/quote/{sku}/retry")
async def quote_with_backoff(sku: str, quantity: int = 1):
    for attempt in range(3):
        try:
            return await asyncio.to_thread(legacy_quote, sku, quantity)
        except requests.RequestException:
            time.sleep(0.5 * (attempt + 1))  # expect: RB201
    raise HTTPException(502, "legacy quote service unavailable")


@app.get("/rules")
async def rules():
    return {"rules": sorted(RULES)}
