"""SQLAlchemy Core (engine.connect + text): daily statistics for the analytics dashboard."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine

SIGNUPS_PER_DAY = text(
    """
    SELECT date_trunc('day', created_at)::date AS day, count(*) AS signups
    FROM users
    WHERE created_at >= :start AND created_at < :end
    GROUP BY 1
    ORDER BY 1
    """
)

ACTIVE_ON_DAY = text("SELECT count(DISTINCT user_id) FROM events WHERE created_at::date = :day")

UPSERT_STAT = text(
    """
    INSERT INTO daily_stats (day, metric, value) VALUES (:day, :metric, :value)
    ON CONFLICT (day, metric) DO UPDATE SET value = EXCLUDED.value
    """
)


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days)]


def signups(engine: Engine, start: date, end: date) -> dict[date, int]:
    with engine.connect() as conn:
        rows = conn.execute(SIGNUPS_PER_DAY, {"start": start, "end": end}).all()
    return {row.day: row.signups for row in rows}


def active_users(engine: Engine, start: date, end: date) -> dict[date, int]:
    result = {}
    with engine.connect() as conn:
        for day in days_between(start, end):
            result[day] = conn.execute(ACTIVE_ON_DAY, {"day": day}).scalar_one()  # expect: RB102
    return result


def store(engine: Engine, metric: str, values: dict[date, int]) -> None:
    params = [{"day": day, "metric": metric, "value": value} for day, value in values.items()]
    with engine.begin() as conn:
        conn.execute(UPSERT_STAT, params)


def churned(engine: Engine, user_ids: list[int]) -> list[int]:
    stmt = text("SELECT id FROM users WHERE id IN :ids AND deleted_at IS NOT NULL").bindparams(
        bindparam("ids", expanding=True)
    )
    with engine.connect() as conn:
        return [row.id for row in conn.execute(stmt, {"ids": user_ids})]
