"""FastAPI + motor (async MongoDB): the activity feed."""

from __future__ import annotations

import os

from fastapi import FastAPI, Query
from motor.motor_asyncio import AsyncIOMotorClient

app = FastAPI()
mongo = AsyncIOMotorClient(os.environ.get("MONGO_URL", "mongodb://mongo:27017"))
db = mongo.activity


@app.get("/feed/{user_id}")
async def feed(user_id: str, limit: int = Query(50, le=200)):
    cursor = db.events.find({"audience": user_id}).sort("created_at", -1).limit(limit)
    events = await cursor.to_list(length=limit)
    actor_ids = list({event["actor_id"] for event in events})
    actors = {a["_id"]: a async for a in db.users.find({"_id": {"$in": actor_ids}}, {"name": 1})}
    return [
        {"text": event["text"], "actor": actors.get(event["actor_id"], {}).get("name")} for event in events
    ]


@app.get("/feed/{user_id}/mentions")
async def mentions(user_id: str):
    events = await db.events.find({"mentions": user_id}).sort("created_at", -1).to_list(length=None)  # expect: RB501
    return [{"id": str(e["_id"]), "text": e["text"]} for e in events]


@app.get("/threads/{thread_id}")
async def thread(thread_id: str):
    replies = await db.replies.find({"thread_id": thread_id}).sort("created_at", 1).to_list(length=500)
    result = []
    for reply in replies:
        author = await db.users.find_one({"_id": reply["author_id"]}, {"name": 1})  # expect: RB101
        result.append({"text": reply["text"], "author": author["name"] if author else None})
    return result


@app.post("/events/seen")
async def mark_seen(user_id: str, event_ids: list[str]):
    result = await db.events.update_many({"_id": {"$in": event_ids}}, {"$addToSet": {"seen_by": user_id}})
    return {"updated": result.modified_count}
