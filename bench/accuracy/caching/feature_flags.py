"""redis-py (sync): feature flags with per-user overrides."""

from __future__ import annotations

import os

import redis

FLAGS_KEY = "feature-flags"
r = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://localhost:6379/3"), decode_responses=True)


def set_flag(flag: str, enabled: bool) -> None:
    r.hset(FLAGS_KEY, flag, "1" if enabled else "0")


def flags() -> dict[str, bool]:
    return {name: value == "1" for name, value in r.hgetall(FLAGS_KEY).items()}


def override_for_user(user_id: int, flag: str, enabled: bool) -> None:
    r.set(f"flag-override:{user_id}:{flag}", "1" if enabled else "0")  # expect: RB301


def is_enabled(flag: str, user_id: int | None = None) -> bool:
    if user_id is not None:
        override = r.get(f"flag-override:{user_id}:{flag}")
        if override is not None:
            return override == "1"
    return r.hget(FLAGS_KEY, flag) == "1"


def beta_rollout(flag: str, user_ids: list[int]) -> None:
    key = f"beta:{flag}"
    r.sadd(key, *user_ids)
    r.expire(key, 60 * 60 * 24 * 30)
