"""FastAPI + httpx.AsyncClient: the API gateway to the internal services."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.upstream = httpx.AsyncClient(base_url="http://orders.internal", timeout=httpx.Timeout(5.0, connect=2.0))
    yield
    await app.state.upstream.aclose()


app = FastAPI(lifespan=lifespan)


@app.get("/orders/{order_id}")
async def order(order_id: int, request: Request):
    response = await request.app.state.upstream.get(f"/orders/{order_id}")
    response.raise_for_status()
    return response.json()


@app.post("/reports")
async def generate_report(request: Request):
    payload = await request.json()
    response = await request.app.state.upstream.post("/reports", json=payload, timeout=None)  # expect: RB203
    return response.json()


@app.get("/events")
async def event_stream(request: Request):
    async def relay():
        async with request.app.state.upstream.stream("GET", "/events", timeout=None) as upstream:
            async for chunk in upstream.aiter_bytes():
                yield chunk

    return StreamingResponse(relay(), media_type="text/event-stream")


@app.get("/weather/{city}")
async def weather(city: str):
    async with httpx.AsyncClient(timeout=5) as client:  # expect: RB303
        response = await client.get("https://weather.example.com/v2/current", params={"city": city})
    return response.json()
