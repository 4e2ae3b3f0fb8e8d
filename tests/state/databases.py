"""State stores for tests: SQLite in a temporary directory, or PostgreSQL on 127.0.0.1:5432 in a
schema of its own that is dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reviewbot.state.store import StateStore

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


REDIS_URL = "redis://127.0.0.1:6379/0"


def require_redis() -> None:
    """Skip the test when the Redis server of the test environment is not running."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable on 127.0.0.1:6379 ({error})")


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema; yields a database URL whose connections use it. Skips the test when the
    PostgreSQL server of the test environment is not running."""
    import psycopg

    schema = f"reviewbot_test_{uuid.uuid4().hex[:12]}"
    try:
        connection = psycopg.connect(POSTGRES_URL.replace("+psycopg", ""), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable on 127.0.0.1:5432 ({error})")
    with connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_URL.replace("+psycopg", ""), autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def state_store_for(kind: str, tmp_path: Path) -> Iterator[StateStore]:
    if kind == "sqlite":
        store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
        try:
            yield store
        finally:
            store.close()
        return
    with postgres_schema() as url:
        store = StateStore.open(url)
        try:
            yield store
        finally:
            store.close()
