"""The job queue: huey, on SQLite in the data directory by default or on Redis, behind one URL.

Queue messages hold only a run id; everything else is in the state database. A message starts
its run or, when newer pushes superseded that run before it started, the newest of them
(`StateStore.current_run`). Both the web server (which enqueues) and the worker (which runs)
build the queue the same way, so they agree on the task names. Runs are retried by enqueueing
their message again with a delay (see ReviewJob): huey's own retries use a fixed delay, and the
backoff here doubles.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from huey.storage import SqliteStorage

from reviewbot.state.writer_lock import WriterLock

logger = logging.getLogger(__name__)

QUEUE_NAME = "reviewbot"
REVIEW_TASK = "reviewbot.review"
RECOVER_TASK = "reviewbot.recover"

RunHandler = Callable[[int], float | None]  # run id -> delay before queueing it again, or None
RecoverHandler = Callable[[], list[int]]  # -> ids of runs to queue again


class WalSqliteStorage(SqliteStorage):
    """huey's SQLite storage with `synchronous=NORMAL`. In WAL mode that keeps every committed
    message across a crash or restart of the process; only a power loss or OS crash may drop the
    last few commits (never corrupt the file). huey's default (FULL) syncs the disk on every
    enqueue, which caps intake at a few hundred webhooks per second.

    huey holds `self.lock` around every transaction; here it also orders the processes sharing
    the file (the web server enqueueing, workers dequeueing) without SQLite's polling wait."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = WriterLock.beside(self.filename)

    def _create_connection(self) -> sqlite3.Connection:
        connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


class SqliteQueueHuey(SqliteHuey):
    storage_class = WalSqliteStorage


def open_huey(queue_url: str, *, name: str = QUEUE_NAME) -> Huey:
    """SQLite for sqlite:///PATH, Redis for redis://, rediss:// and unix:// URLs."""
    scheme = urlsplit(queue_url).scheme
    if scheme in ("redis", "rediss", "unix"):
        return RedisHuey(name, url=queue_url, results=False, utc=True)
    if scheme == "sqlite" and queue_url.startswith("sqlite:///"):
        path = Path(queue_url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteQueueHuey(name, filename=str(path), results=False, utc=True)
    raise ValueError(f"unsupported queue URL {queue_url!r}")


class ReviewQueue:
    """The review task on a huey instance. Without a `handler` it can only enqueue (the web
    server in a split deployment); with one, a consumer of `huey` runs the reviews."""

    def __init__(self, huey: Huey, handler: RunHandler | None = None,
                 recover: RecoverHandler | None = None) -> None:
        self.huey = huey
        self._handler = handler
        self._recover = recover
        self._review = huey.task(name=REVIEW_TASK)(self._run)
        if recover is not None:
            huey.periodic_task(crontab(minute="*/5"), name=RECOVER_TASK)(self.recover)

    def enqueue(self, run_id: int, delay: float = 0.0) -> None:
        if delay > 0:
            self._review.schedule(args=(run_id,), delay=delay)
        else:
            self._review(run_id)

    def ping(self) -> None:
        """Raise unless the queue's storage answers."""
        self.huey.pending_count()

    def recover(self) -> None:
        """Queue again the runs no message will start (see StateStore.orphaned_runs)."""
        if self._recover is None:
            return
        for run_id in self._recover():
            logger.warning("run %s had no live queue message; queueing it again", run_id)
            self.enqueue(run_id)

    def _run(self, run_id: int) -> None:
        if self._handler is None:
            raise RuntimeError("this process only enqueues reviews; start `reviewbot worker` to run them")
        delay = self._handler(run_id)
        if delay is not None:
            self.enqueue(run_id, delay)


class EmbeddedConsumer(Consumer):
    """A huey consumer that runs in threads inside another program (the web server), which
    keeps its own signal handling."""

    def _set_signal_handlers(self) -> None:
        pass


def create_consumer(huey: Huey, workers: int, *, embedded: bool) -> Consumer:
    # A short maximum poll interval: with SQLite the worker polls, and a review should start
    # within a fraction of a second of its webhook.
    # SIGTERM (what `docker stop` and systemd send) stops a standalone worker gracefully: running
    # reviews finish first. SIGINT stops it at once.
    consumer_class = EmbeddedConsumer if embedded else Consumer
    return consumer_class(huey, workers=workers, worker_type="thread", initial_delay=0.05, backoff=1.5,
                          max_delay=0.5, scheduler_interval=1, periodic=True, check_worker_health=True,
                          graceful_signal="TERM")
