"""WriterLock: writers of one SQLite file queue in order across threads and processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from reviewbot.jobs.queue import open_huey
from reviewbot.state.writer_lock import ThreadWriterGate, WriterLock, writer_priority

HOLD_IN_CHILD = """
import sys
from reviewbot.state.writer_lock import WriterLock
with WriterLock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()
"""


def wait_for_waiters(gate: ThreadWriterGate, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(gate._priority) + len(gate._others) < count:
        assert time.monotonic() < deadline, "the waiters never queued"
        time.sleep(0.001)


def test_the_lock_goes_to_waiting_threads_in_order_priority_writers_first():
    gate = ThreadWriterGate()
    order: list[str] = []

    def take(name: str, priority: bool) -> None:
        if priority:
            with writer_priority(), gate:
                order.append(name)
        else:
            with gate:
                order.append(name)

    gate.acquire()
    threads = []
    for number, (name, priority) in enumerate([("worker-1", False), ("worker-2", False), ("webhook", True)]):
        thread = threading.Thread(target=take, args=(name, priority))
        thread.start()
        wait_for_waiters(gate, number + 1)
        threads.append(thread)
    gate.release()
    for thread in threads:
        thread.join(timeout=10)
    assert order == ["webhook", "worker-1", "worker-2"]


def test_a_released_lock_is_handed_over_not_taken_back():
    """The releasing thread asking again at once queues behind the thread that was waiting."""
    gate = ThreadWriterGate()
    order: list[str] = []
    gate.acquire()
    waiter = threading.Thread(target=lambda: (gate.acquire(), order.append("waiter"), gate.release()))
    waiter.start()
    wait_for_waiters(gate, 1)
    gate.release()
    with gate:
        order.append("releaser")
    waiter.join(timeout=10)
    assert order == ["waiter", "releaser"]


def test_a_writer_in_another_process_holds_the_lock_until_it_releases_it(tmp_path):
    path = tmp_path / "state.db.writer-lock"
    child = subprocess.Popen([sys.executable, "-c", HOLD_IN_CHILD, str(path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "held"
        acquired = threading.Event()
        lock = WriterLock(path)

        def take() -> None:
            with lock:
                acquired.set()

        thread = threading.Thread(target=take)
        thread.start()
        assert not acquired.wait(0.3)  # the child still holds it
        child.stdin.write("release\n")
        child.stdin.flush()
        assert acquired.wait(10)
        thread.join(timeout=10)
        lock.close()
    finally:
        child.kill()
        child.wait()


def test_the_embedded_queue_orders_its_writers_with_the_same_lock(tmp_path):
    huey = open_huey(f"sqlite:///{tmp_path / 'queue.db'}")
    assert isinstance(huey.storage.lock, WriterLock)
    assert huey.storage.lock.path == tmp_path / "queue.db.writer-lock"
