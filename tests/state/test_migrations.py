"""Explanation stats in the run record, and state databases created before that column existed."""

from __future__ import annotations

from sqlalchemy import inspect, text

from reviewbot.state import migrations
from reviewbot.state.migrations import add_missing_columns, missing_columns
from reviewbot.state.records import RunRequest
from reviewbot.state.store import StateStore

STATS = {"model": "local-model", "tokens_in": 1834, "tokens_out": 212, "cache_hits": 1, "cache_misses": 2,
         "llm_calls": 2, "rule_card_errors": []}


def queue_run(store: StateStore, delivery: str = "d-1", number: int = 7) -> int:
    request = RunRequest(installation_id=42, repository="acme/shop", number=number, head_sha="a" * 40,
                         trigger="opened", requested_by="alice")
    return store.record_delivery(delivery, "pull_request", "opened", request).run_id


def columns(store: StateStore) -> set[str]:
    return {column["name"] for column in inspect(store.engine).get_columns("review_runs")}


def test_explanation_stats_are_kept_per_run(store):
    first, second = queue_run(store, "d-1", 7), queue_run(store, "d-2", 8)
    store.save_progress(first, explanation_stats=STATS)
    assert store.get_run(first).explanation_stats == STATS
    assert store.get_run(second).explanation_stats is None
    store.save_progress(first, api_calls=3)  # other progress leaves them alone
    assert store.get_run(first).explanation_stats == STATS


def test_a_database_from_before_the_column_gains_it_and_keeps_its_runs(store):
    run_id = queue_run(store)
    with store.engine.begin() as connection:
        connection.execute(text("ALTER TABLE review_runs DROP COLUMN explanation_stats"))
    assert "explanation_stats" not in columns(store)
    url = store.engine.url.render_as_string(hide_password=False)

    reopened = StateStore.open(url)
    try:
        assert "explanation_stats" in columns(reopened)
        old = reopened.get_run(run_id)
        assert old.explanation_stats is None and old.repository == "acme/shop"
        reopened.save_progress(run_id, explanation_stats=STATS)
        assert reopened.get_run(run_id).explanation_stats == STATS
        assert add_missing_columns(reopened.engine) == []  # the next start-up has nothing to do
    finally:
        reopened.close()


def test_a_column_another_process_added_first_is_not_an_error(store, monkeypatch):
    assert missing_columns(store.engine) == []
    real = migrations.missing_columns
    calls = []

    def stale_then_real(engine):
        calls.append(1)
        # The first look predates the other process's ALTER TABLE; the second sees its column.
        return [("review_runs", "explanation_stats")] if len(calls) == 1 else real(engine)

    monkeypatch.setattr(migrations, "missing_columns", stale_then_real)
    assert add_missing_columns(store.engine) == []
    assert len(calls) == 2 and "explanation_stats" in columns(store)
