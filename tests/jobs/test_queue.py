"""The huey queue: SQLite by default, Redis behind the same setting; jobs survive a restart."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest
from huey import RedisHuey, SqliteHuey

from reviewbot.jobs.queue import ReviewQueue, create_consumer, open_huey
from tests.state.databases import REDIS_URL, require_redis


class Recorder:
    def __init__(self, expected: int = 1, delays: list[float | None] | None = None) -> None:
        self.run_ids: list[int] = []
        self.delays = list(delays or [])
        self.done = threading.Event()
        self.expected = expected

    def __call__(self, run_id: int) -> float | None:
        self.run_ids.append(run_id)
        if len(self.run_ids) >= self.expected:
            self.done.set()
        return self.delays.pop(0) if self.delays else None


def run_consumer_until(huey, recorder: Recorder, timeout: float = 30.0) -> None:
    consumer = create_consumer(huey, workers=1, embedded=True)
    consumer.start()
    try:
        assert recorder.done.wait(timeout), "the consumer did not run the job"
    finally:
        consumer.stop(graceful=True)


def test_the_default_queue_is_sqlite_in_a_file(tmp_path):
    huey = open_huey(f"sqlite:///{tmp_path / 'nested' / 'queue.db'}")
    assert isinstance(huey, SqliteHuey)
    assert (tmp_path / "nested").is_dir()


def test_a_redis_url_selects_redis():
    assert isinstance(open_huey(REDIS_URL), RedisHuey)


def test_an_unsupported_url_is_refused():
    with pytest.raises(ValueError, match="unsupported queue URL 'amqp://localhost'"):
        open_huey("amqp://localhost")


def test_a_queued_job_survives_a_restart(tmp_path):
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    web = ReviewQueue(open_huey(url))
    web.enqueue(41)
    web.enqueue(42)
    web.huey.storage.close()
    del web

    recorder = Recorder(expected=2)
    restarted = ReviewQueue(open_huey(url), recorder)
    assert restarted.huey.pending_count() == 2
    run_consumer_until(restarted.huey, recorder)
    assert recorder.run_ids == [41, 42]


def test_a_delay_returned_by_the_handler_queues_the_run_again(tmp_path):
    recorder = Recorder(expected=2, delays=[0.01, None])
    queue = ReviewQueue(open_huey(f"sqlite:///{tmp_path / 'queue.db'}"), recorder)
    queue.enqueue(7)
    run_consumer_until(queue.huey, recorder)
    assert recorder.run_ids == [7, 7]


def test_a_delayed_enqueue_waits_in_the_schedule(tmp_path):
    queue = ReviewQueue(open_huey(f"sqlite:///{tmp_path / 'queue.db'}"), Recorder())
    queue.enqueue(7, delay=600)
    task = queue.huey.dequeue()
    assert task.args == (7,)
    assert (task.eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds() > 590
    queue.huey.execute(task)  # not due: it goes to the schedule instead of running
    assert queue.huey.scheduled_count() == 1


def test_a_process_without_a_worker_refuses_to_run_reviews(tmp_path):
    queue = ReviewQueue(open_huey(f"sqlite:///{tmp_path / 'queue.db'}"))
    queue.enqueue(3)
    task = queue.huey.dequeue()
    with pytest.raises(RuntimeError, match="start `reviewbot worker` to run them"):
        task.execute()


def test_recover_enqueues_the_orphaned_runs(tmp_path):
    queue = ReviewQueue(open_huey(f"sqlite:///{tmp_path / 'queue.db'}"), Recorder(), recover=lambda: [4, 9])
    queue.recover()
    assert queue.huey.pending_count() == 2


def test_ping_fails_when_the_queue_is_unreachable():
    queue = ReviewQueue(open_huey("redis://127.0.0.1:1/0"))
    with pytest.raises(Exception):  # noqa: B017 - whatever redis raises for a refused connection
        queue.ping()


@pytest.mark.redis
def test_redis_queue_runs_jobs_and_keeps_them_across_instances():
    require_redis()
    name = f"reviewbot-test-{uuid.uuid4().hex[:8]}"
    web = ReviewQueue(open_huey(REDIS_URL, name=name))
    try:
        web.enqueue(11)
        web.ping()
        recorder = Recorder()
        worker = ReviewQueue(open_huey(REDIS_URL, name=name), recorder)
        assert worker.huey.pending_count() == 1
        run_consumer_until(worker.huey, recorder)
        assert recorder.run_ids == [11]
    finally:
        web.huey.flush()
