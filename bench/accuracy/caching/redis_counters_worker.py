"""Celery tasks with redis-py: page-view counters and daily rollups."""

from __future__ import annotations

import datetime as dt
import os

import redis
from celery import shared_task

from analytics.storage import save_daily_views

r = redis.Redis.from_url(os.environ["REDIS_URL"])


@shared_task(ignore_result=True)
def record_view(page_id: int, visitor_id: str) -> None:
    today = dt.date.today().isoformat()
    r.incr(f"views:{page_id}")  # expect: RB301
    unique_key = f"uniques:{page_id}:{today}"
    with r.pipeline() as pipe:
        pipe.pfadd(unique_key, visitor_id)
        pipe.expire(unique_key, 60 * 60 * 48)
        pipe.execute()


@shared_task
def rollup(page_ids: list[int]) -> None:
    today = dt.date.today().isoformat()
    counts = {}
    for page_id in page_ids:
        counts[page_id] = r.pfcount(f"uniques:{page_id}:{today}")  # expect: RB102
    save_daily_views(today, counts)


@shared_task
def expire_uniques(page_ids: list[int], day: str) -> None:
    with r.pipeline(transaction=False) as pipe:
        for page_id in page_ids:
            pipe.expire(f"uniques:{page_id}:{day}", 3600)
        pipe.execute()


@shared_task
def top_pages(limit: int = 20) -> list[tuple[bytes, float]]:
    return r.zrevrange("leaderboard:pages", 0, limit - 1, withscores=True)


@shared_task(ignore_result=True)
def bump_leaderboard(page_id: int) -> None:
    r.zincrby("leaderboard:pages", 1, page_id)
