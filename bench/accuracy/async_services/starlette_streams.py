"""Starlette: server-sent events and a websocket relay for live order tracking."""

from __future__ import annotations

import asyncio
import json

import httpx
from starlette.applications import Starlette
from starlette.responses import StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

TRACKING_UPSTREAM = "http://tracking.internal"
subscribers: dict[str, set[asyncio.Queue]] = {}


async def order_events(request):
    order_id = request.path_params["order_id"]
    queue: asyncio.Queue = asyncio.Queue(maxsize=100)
    subscribers.setdefault(order_id, set()).add(queue)

    async def stream():
        try:
            while True:
                event = await queue.get()
                yield f"data: {json.dumps(event)}\n\n"
        finally:
            subscribers[order_id].discard(queue)

    return StreamingResponse(stream(), media_type="text/event-stream")


async def relay_positions(websocket: WebSocket):
    await websocket.accept()
    courier_id = websocket.path_params["courier_id"]
    async with httpx.AsyncClient(base_url=TRACKING_UPSTREAM) as client:  # expect: RB303
        async with client.stream("GET", f"/couriers/{courier_id}/positions", timeout=None) as upstream:
            async for line in upstream.aiter_lines():
                if line:
                    await websocket.send_text(line)


async def replay(websocket: WebSocket):
    await websocket.accept()
    history = websocket.app.state.history.get(websocket.path_params["order_id"], [])
    for event in history:
        await websocket.send_json(event)
    await websocket.close()


async def publish(order_id: str, event: dict) -> None:
    for queue in list(subscribers.get(order_id, ())):
        await queue.put(event)


app = Starlette(
    routes=[
        Route("/orders/{order_id}/events", order_events),
        WebSocketRoute("/couriers/{courier_id}/live", relay_positions),
        WebSocketRoute("/orders/{order_id}/replay", replay),
    ]
)
