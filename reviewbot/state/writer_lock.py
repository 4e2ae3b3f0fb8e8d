"""One writer at a time on an SQLite file, across the threads and the processes that share it.

SQLite admits one writer per database file. A writer that finds the file locked waits in
SQLite's busy handler, which sleeps and polls (up to 100 ms between tries): under load, the
webhook handler would wait behind a review worker far longer than the write takes. Writers that
queue here instead get the lock the moment the previous one is done: a gate hands it to the
threads of one process in order (the webhook handler's writes first, see `writer_priority`),
and an advisory lock (`flock`) on a file beside the database orders the processes.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # Windows: threads are still ordered; processes fall back to SQLite's wait
    fcntl = None  # type: ignore[assignment]


_PRIORITY: ContextVar[bool] = ContextVar("reviewbot_writer_priority", default=False)


@contextmanager
def writer_priority() -> Iterator[None]:
    """Writes made inside this block go before the writes of other threads of the process that
    are waiting for the same lock (the webhook handler, whose sender is waiting for the answer,
    before review workers)."""
    token = _PRIORITY.set(True)
    try:
        yield
    finally:
        _PRIORITY.reset(token)


class ThreadWriterGate:
    """A lock for the threads of one process, handed to waiters in order, priority writers first.

    A plain lock is not fair: a worker thread that releases it and asks again at once usually
    gets it back before a woken waiter runs (all the more as the waiter also needs the GIL), and
    a busy worker could keep the webhook handler waiting for many transactions in a row. Here a
    release hands the lock to the next waiter directly."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._priority: deque[threading.Lock] = deque()
        self._others: deque[threading.Lock] = deque()

    def acquire(self) -> None:
        with self._mutex:
            if not self._held:
                self._held = True
                return
            turn = threading.Lock()
            turn.acquire()
            waiters = self._priority if _PRIORITY.get() else self._others
            waiters.append(turn)
        try:
            turn.acquire()  # released by the holder that hands the lock over
        except BaseException:  # interrupted while waiting: leave the line, or pass the lock on
            with self._mutex:
                handed_over = turn not in waiters
                if not handed_over:
                    waiters.remove(turn)
            if handed_over:
                self.release()
            raise

    def release(self) -> None:
        with self._mutex:
            waiters = self._priority or self._others
            if waiters:
                waiters.popleft().release()  # still held: it now belongs to that waiter
            else:
                self._held = False

    def __enter__(self) -> ThreadWriterGate:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


class WriterLock:
    """The write lock of one SQLite file: the process's gate, then the file's flock."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._threads = ThreadWriterGate()
        self._fd: int | None = None
        self._pid = 0

    @classmethod
    def beside(cls, database: str | Path) -> WriterLock:
        """The lock of the SQLite file `database`, kept in a file next to it."""
        return cls(f"{database}.writer-lock")

    def __enter__(self) -> WriterLock:
        self._threads.acquire()
        try:
            if fcntl is not None:
                fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            if fcntl is not None and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _descriptor(self) -> int:
        # One descriptor per process (opened without inheritance): a flock belongs to the open
        # file, so a descriptor inherited across fork() would be shared with the parent.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None
