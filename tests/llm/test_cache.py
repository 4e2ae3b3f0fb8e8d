"""The explanation cache: one SQLAlchemy table, in SQLite by default or shared in PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from reviewbot.llm.answer import ModelAnswer, Replacement
from reviewbot.llm.cache import TABLE_NAME, CachedAnswer, ExplanationCache, explanations

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def exercise(cache: ExplanationCache) -> list[str]:
    with_fix = CachedAnswer(ModelAnswer("Why.", Replacement(0, 1, "x = 1\ny = 2")), 1200, 90)
    prose_only = CachedAnswer(ModelAnswer("Only prose."), 800, 40)
    first, second, missing = (uuid.uuid4().hex + uuid.uuid4().hex for _ in range(3))
    cache.put_many({first: ("model-a", "RB203", with_fix), second: ("model-a", "RB101", prose_only)})
    found = cache.get_many([first, second, missing])
    assert found == {first: with_fix, second: prose_only}
    # A key written twice (two workers answering the same prompt) keeps the first answer.
    cache.put_many({first: ("model-a", "RB203", prose_only)})
    assert cache.get_many([first])[first] == with_fix
    assert cache.get_many([]) == {}
    return [first, second]


def test_sqlite_cache_round_trip(tmp_path):
    cache = ExplanationCache(f"sqlite:///{tmp_path / 'explanations.sqlite3'}")
    exercise(cache)
    assert cache.count() == 2
    cache.engine.dispose()


def test_the_cache_survives_a_new_process(tmp_path):
    url = f"sqlite:///{tmp_path / 'explanations.sqlite3'}"
    key = "k" * 64
    first = ExplanationCache(url)
    first.put_many({key: ("m", "RB203", CachedAnswer(ModelAnswer("Kept."), 1, 1))})
    first.engine.dispose()
    second = ExplanationCache(url)
    assert second.get_many([key])[key].answer == ModelAnswer("Kept.")
    second.engine.dispose()


def test_the_cache_uses_a_given_engine_and_its_own_table(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE runs (id INTEGER PRIMARY KEY)"))
    cache = ExplanationCache(engine)
    assert cache.engine is engine
    exercise(cache)
    assert set(sa.inspect(engine).get_table_names()) == {"runs", TABLE_NAME}
    engine.dispose()


@pytest.mark.postgres
def test_postgres_cache_is_shared_between_instances():
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        engine.dispose()
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    writer, reader = ExplanationCache(engine), ExplanationCache(POSTGRES_URL)
    keys = [uuid.uuid4().hex * 2]
    try:
        keys += exercise(writer)
        writer.put_many({keys[0]: ("model-b", "RB203", CachedAnswer(ModelAnswer("Shared."), 5, 6))})
        assert reader.get_many([keys[0]])[keys[0]] == CachedAnswer(ModelAnswer("Shared."), 5, 6)
    finally:
        with engine.begin() as connection:  # leave the shared table as it was
            connection.execute(sa.delete(explanations).where(explanations.c.key.in_(keys)))
        reader.engine.dispose()
        engine.dispose()
