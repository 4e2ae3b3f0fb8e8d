"""redis-py (sync): web session store and the maintenance switch."""

from __future__ import annotations

import json
import os
import secrets

import redis

SESSION_TTL = 60 * 60 * 24 * 14
r = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://localhost:6379/0"), decode_responses=True)


def create_session(user_id: int, data: dict) -> str:
    session_id = secrets.token_urlsafe(32)
    r.set(f"session:{session_id}", json.dumps({"user_id": user_id, **data}), ex=SESSION_TTL)
    r.sadd(f"user-sessions:{user_id}", session_id)  # expect: RB301
    return session_id


def load_session(session_id: str) -> dict | None:
    raw = r.get(f"session:{session_id}")
    return json.loads(raw) if raw else None


def touch_session(session_id: str) -> None:
    r.expire(f"session:{session_id}", SESSION_TTL)


def save_flash(session_id: str, messages: list[str]) -> None:
    key = f"flash:{session_id}"
    with r.pipeline() as pipe:
        pipe.hset(key, mapping={str(i): m for i, m in enumerate(messages)})
        pipe.expire(key, 300)
        pipe.execute()


def enable_maintenance(reason: str) -> None:
    r.set("maintenance", reason)


def disable_maintenance() -> None:
    r.delete("maintenance")


def in_maintenance() -> str | None:
    return r.get("maintenance")


def logout_everywhere(user_id: int) -> int:
    session_ids = r.smembers(f"user-sessions:{user_id}")
    if session_ids:
        r.delete(*(f"session:{sid}" for sid in session_ids))
    return len(session_ids)
