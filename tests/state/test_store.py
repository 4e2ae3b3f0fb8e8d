"""The state database's rules, on SQLite and (marker `postgres`) on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import update

from reviewbot.state.models import RunRow
from reviewbot.state.records import HeadClaim, IntakeOutcome, RunRequest, RunStatus
from reviewbot.state.store import utcnow

HEAD_A = "a" * 40
HEAD_B = "b" * 40
HEAD_C = "c" * 40


def pr_request(head=HEAD_A, number=7, trigger="synchronize"):
    return RunRequest(installation_id=42, repository="acme/shop", number=number, head_sha=head, trigger=trigger,
                      requested_by="alice")


def command_request(number=7):
    return RunRequest(installation_id=42, repository="acme/shop", number=number, head_sha=None, trigger="command",
                      requested_by="bob", comment_id=5)


def test_a_delivery_is_recorded_with_its_run(store):
    result = store.record_delivery("d-1", "pull_request", "opened", pr_request())
    assert result.outcome is IntakeOutcome.QUEUED
    run = store.get_run(result.run_id)
    assert (run.status, run.head_sha, run.attempts, run.findings) == (RunStatus.QUEUED, HEAD_A, 0, None)
    delivery = store.get_delivery("d-1")
    assert (delivery.event, delivery.action, delivery.outcome, delivery.run_id) == (
        "pull_request", "opened", "queued", result.run_id)


def test_a_delivery_id_is_recorded_once(store):
    store.record_delivery("d-1", "pull_request", "opened", pr_request())
    again = store.record_delivery("d-1", "pull_request", "opened", pr_request(HEAD_B))
    assert again.outcome is IntakeOutcome.DUPLICATE_DELIVERY and again.run_id is None
    assert len(store.all_runs()) == 1


def test_concurrent_copies_of_one_delivery_make_one_run(store):
    results = []
    barrier = threading.Barrier(8)

    def deliver():
        barrier.wait()
        results.append(store.record_delivery("d-same", "pull_request", "opened", pr_request()).outcome)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == sorted([IntakeOutcome.QUEUED] + [IntakeOutcome.DUPLICATE_DELIVERY] * 7)
    assert len(store.all_runs()) == 1


def test_ignored_deliveries_are_recorded_without_a_run(store):
    result = store.record_delivery("d-2", "push", "", None, "event 'push' is not handled")
    assert result.outcome is IntakeOutcome.IGNORED
    assert store.get_delivery("d-2").detail == "event 'push' is not handled"
    assert store.all_runs() == []


def test_an_active_run_for_the_same_head_is_not_duplicated(store):
    first = store.record_delivery("d-1", "pull_request", "opened", pr_request())
    second = store.record_delivery("d-2", "pull_request", "reopened", pr_request(trigger="reopened"))
    assert second.outcome is IntakeOutcome.DUPLICATE_RUN and second.run_id == first.run_id
    store.start_attempt(first.run_id)
    store.finish(first.run_id, RunStatus.SUCCEEDED)
    third = store.record_delivery("d-3", "pull_request", "reopened", pr_request(trigger="reopened"))
    assert third.outcome is IntakeOutcome.QUEUED


def test_a_newer_head_supersedes_queued_and_running_runs_of_the_same_pull_request(store):
    queued = store.record_delivery("d-1", "pull_request", "opened", pr_request(HEAD_A)).run_id
    other_pr = store.record_delivery("d-2", "pull_request", "opened", pr_request(HEAD_A, number=8)).run_id
    store.start_attempt(queued)
    newer = store.record_delivery("d-3", "pull_request", "synchronize", pr_request(HEAD_B)).run_id
    assert store.superseding_run(queued) == newer
    assert store.superseding_run(other_pr) is None
    assert store.superseding_run(newer) is None


def test_a_queued_run_superseded_at_intake_ends_there_and_a_running_one_is_only_flagged(store):
    queued = store.record_delivery("d-1", "pull_request", "opened", pr_request(HEAD_A)).run_id
    running = store.record_delivery("d-2", "pull_request", "opened", pr_request(HEAD_A, number=8)).run_id
    store.start_attempt(running)
    newer = store.record_delivery("d-3", "pull_request", "synchronize", pr_request(HEAD_B)).run_id
    newer_8 = store.record_delivery("d-4", "pull_request", "synchronize", pr_request(HEAD_B, number=8)).run_id
    ended = store.get_run(queued)
    assert (ended.status, ended.detail, ended.superseded_by) == (RunStatus.SUPERSEDED, f"superseded by run {newer}",
                                                                 newer)
    assert ended.finished_at is not None and ended.started_at is None
    flagged = store.get_run(running)
    assert (flagged.status, flagged.superseded_by, flagged.finished_at) == (RunStatus.RUNNING, newer_8, None)


def test_forgetting_a_delivery_revives_the_runs_it_superseded(store):
    older = store.record_delivery("d-1", "pull_request", "opened", pr_request(HEAD_A)).run_id
    newer = store.record_delivery("d-2", "pull_request", "synchronize", pr_request(HEAD_B)).run_id
    assert store.get_run(older).status is RunStatus.SUPERSEDED
    store.forget_delivery("d-2", "the queue was unavailable at intake")
    revived = store.get_run(older)
    assert (revived.status, revived.superseded_by, revived.finished_at, revived.detail) == (
        RunStatus.QUEUED, None, None, "")
    assert store.get_run(newer).status is RunStatus.FAILED
    # Its queue message may be gone: the next sweep for orphaned runs queues it again.
    assert older in store.orphaned_runs()


def test_a_run_that_supersedes_a_queued_run_takes_over_its_queue_message(store):
    first = store.record_delivery("d-1", "pull_request", "opened", pr_request(HEAD_A)).run_id
    second = store.record_delivery("d-2", "pull_request", "synchronize", pr_request(HEAD_B))
    assert (second.outcome, second.carried_by, second.detail) == (
        IntakeOutcome.QUEUED, first, f"takes the place of run {first} in the queue")
    third = store.record_delivery("d-3", "pull_request", "synchronize", pr_request(HEAD_C))
    assert third.carried_by == second.run_id
    # The message queued for the first run starts the last one; the others are spare.
    assert store.current_run(first).id == store.current_run(second.run_id).id == third.run_id
    assert store.current_run(third.run_id).status is RunStatus.QUEUED
    assert store.current_run(404) is None


def test_a_run_gets_its_own_queue_message_unless_the_superseded_run_is_due_in_the_queue(store):
    running = store.record_delivery("d-1", "pull_request", "opened", pr_request(HEAD_A, number=1)).run_id
    store.start_attempt(running)
    retrying = store.record_delivery("d-2", "pull_request", "opened", pr_request(HEAD_A, number=2)).run_id
    store.start_attempt(retrying)
    store.requeue(retrying, 600, error="attempt 1: GithubException: 502")  # its message waits 10 minutes
    revived = store.record_delivery("d-3", "pull_request", "opened", pr_request(HEAD_A, number=3)).run_id
    store.record_delivery("d-4", "pull_request", "synchronize", pr_request(HEAD_B, number=3))
    store.forget_delivery("d-4", "the queue was unavailable at intake")  # no message until the sweep
    assert store.get_run(revived).status is RunStatus.QUEUED
    for number in (1, 2, 3):
        newer = store.record_delivery(f"d-new-{number}", "pull_request", "synchronize",
                                      pr_request(HEAD_C, number=number))
        assert (newer.outcome, newer.carried_by, newer.detail) == (IntakeOutcome.QUEUED, None, "")
    assert store.current_run(running).status is RunStatus.QUEUED  # the newer run, not started yet


def test_a_superseded_run_that_fails_or_dies_ends_instead_of_queueing_again(store):
    failed = store.record_delivery("d-1", "pull_request", "opened", pr_request(HEAD_A, number=1)).run_id
    died = store.record_delivery("d-2", "pull_request", "opened", pr_request(HEAD_A, number=2)).run_id
    store.start_attempt(failed)
    store.start_attempt(died)
    newer = store.record_delivery("d-3", "pull_request", "synchronize", pr_request(HEAD_B, number=1)).run_id
    newer_2 = store.record_delivery("d-4", "pull_request", "synchronize", pr_request(HEAD_B, number=2)).run_id
    store.requeue(failed, 10, error="attempt 1: GithubException: 502")
    assert store.orphaned_runs() == []  # the dead run has no lock, but a newer run took its place
    for run_id, superseding in ((failed, newer), (died, newer_2)):
        run = store.get_run(run_id)
        assert (run.status, run.detail) == (RunStatus.SUPERSEDED, f"superseded by run {superseding}")
        assert run.finished_at is not None
    assert store.get_run(failed).errors == ["attempt 1: GithubException: 502"]


def test_the_sweep_ends_a_queued_run_that_a_newer_head_superseded(store):
    older = store.record_delivery("d-1", "pull_request", "opened", pr_request(HEAD_A)).run_id
    store.start_attempt(older)
    newer = store.record_delivery("d-2", "pull_request", "synchronize", pr_request(HEAD_B)).run_id
    with store.engine.begin() as connection:  # as an earlier version's retry of a flagged run left it
        connection.execute(update(RunRow).where(RunRow.id == older).values(status=RunStatus.QUEUED.value))
    assert store.orphaned_runs(utcnow() + timedelta(hours=1)) == [newer]
    assert (store.get_run(older).status, store.get_run(older).detail) == (RunStatus.SUPERSEDED,
                                                                          f"superseded by run {newer}")


def test_going_back_to_a_superseded_head_queues_a_new_run(store):
    a = store.record_delivery("d-1", "pull_request", "opened", pr_request(HEAD_A)).run_id
    b = store.record_delivery("d-2", "pull_request", "synchronize", pr_request(HEAD_B)).run_id
    back = store.record_delivery("d-3", "pull_request", "synchronize", pr_request(HEAD_A))
    assert back.outcome is IntakeOutcome.QUEUED
    assert store.superseding_run(a) == b and store.superseding_run(b) == back.run_id


def test_a_command_claims_the_head_it_reads(store):
    command = store.record_delivery("d-1", "issue_comment", "created", command_request()).run_id
    older = store.record_delivery("d-0", "pull_request", "opened", pr_request(HEAD_A, number=9)).run_id
    assert store.claim_head(command, HEAD_B) is HeadClaim.PROCEED
    assert store.get_run(command).head_sha == HEAD_B
    assert store.superseding_run(older) is None  # another pull request


def test_a_command_for_an_already_queued_head_stands_down(store):
    queued = store.record_delivery("d-1", "pull_request", "opened", pr_request(HEAD_A)).run_id
    command = store.record_delivery("d-2", "issue_comment", "created", command_request()).run_id
    assert store.claim_head(command, HEAD_A) is HeadClaim.DUPLICATE
    assert store.superseding_run(queued) is None


def test_a_command_for_a_new_head_supersedes_older_runs(store):
    queued = store.record_delivery("d-1", "pull_request", "opened", pr_request(HEAD_A)).run_id
    command = store.record_delivery("d-2", "issue_comment", "created", command_request()).run_id
    assert store.claim_head(command, HEAD_B) is HeadClaim.PROCEED
    assert store.superseding_run(queued) == command


def test_a_push_after_a_command_supersedes_the_command(store):
    command = store.record_delivery("d-1", "issue_comment", "created", command_request()).run_id
    push = store.record_delivery("d-2", "pull_request", "synchronize", pr_request(HEAD_B)).run_id
    assert store.superseding_run(command) == push
    assert store.claim_head(command, HEAD_B) is HeadClaim.SUPERSEDED


def test_an_attempt_starts_once(store):
    run_id = store.record_delivery("d-1", "pull_request", "opened", pr_request()).run_id
    started = store.start_attempt(run_id)
    assert started.status is RunStatus.RUNNING and started.attempts == 1
    assert store.start_attempt(run_id) is None
    store.requeue(run_id, 0, error="attempt 1: GithubException: 502")
    again = store.start_attempt(run_id)
    assert again.attempts == 2 and again.errors == ["attempt 1: GithubException: 502"]


def test_progress_and_the_final_status_are_recorded(store):
    run_id = store.record_delivery("d-1", "pull_request", "opened", pr_request()).run_id
    store.start_attempt(run_id)
    findings = [{"rule": "RB203", "path": "app/views.py", "line": 3}]
    store.save_progress(run_id, timings={"fetch": 0.2, "analyze": 0.1}, api_calls=9, findings=findings,
                        file_errors=[{"path": "x.py", "kind": "syntax", "message": "bad"}],
                        publication={"review_id": 12})
    store.finish(run_id, RunStatus.FAILED, "GithubException: 404", error="attempt 1: GithubException: 404")
    run = store.get_run(run_id)
    assert run.status is RunStatus.FAILED and run.status.is_final
    assert run.timings == {"fetch": 0.2, "analyze": 0.1}
    assert (run.api_calls, run.findings, run.publication) == (9, findings, {"review_id": 12})
    assert run.errors == ["attempt 1: GithubException: 404"] and run.detail == "GithubException: 404"
    assert run.finished_at is not None


def test_the_pull_request_lock_admits_one_run_at_a_time(store):
    first = store.get_run(store.record_delivery("d-1", "pull_request", "opened", pr_request(HEAD_A)).run_id)
    second = store.get_run(store.record_delivery("d-2", "pull_request", "synchronize", pr_request(HEAD_B)).run_id)
    other = store.get_run(store.record_delivery("d-3", "pull_request", "opened", pr_request(number=8)).run_id)
    assert store.acquire_lock(first)
    assert not store.acquire_lock(second)
    assert store.acquire_lock(other)
    assert store.acquire_lock(first)  # the holder may take it again (a retry)
    store.release_lock(first)
    assert store.acquire_lock(second)


def test_an_expired_lock_can_be_taken_over(store):
    first = store.get_run(store.record_delivery("d-1", "pull_request", "opened", pr_request(HEAD_A)).run_id)
    second = store.get_run(store.record_delivery("d-2", "pull_request", "synchronize", pr_request(HEAD_B)).run_id)
    assert store.acquire_lock(first, lease=timedelta(seconds=-1))
    assert store.acquire_lock(second)
    store.release_lock(first)  # releasing a lock one no longer holds changes nothing
    assert not store.acquire_lock(first)


def test_concurrent_lock_attempts_admit_exactly_one(store):
    runs = [store.get_run(store.record_delivery(f"d-{i}", "pull_request", "opened",
                                                pr_request("%040x" % (i + 1))).run_id) for i in range(6)]
    won = []
    barrier = threading.Barrier(len(runs))

    def take(run):
        barrier.wait()
        if store.acquire_lock(run):
            won.append(run.id)

    threads = [threading.Thread(target=take, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1


def test_orphaned_runs_are_found_for_requeueing(store):
    dead = store.record_delivery("d-1", "pull_request", "opened", pr_request(HEAD_A, number=1)).run_id
    alive = store.record_delivery("d-2", "pull_request", "opened", pr_request(HEAD_A, number=2)).run_id
    waiting = store.record_delivery("d-3", "pull_request", "opened", pr_request(HEAD_A, number=3)).run_id
    store.start_attempt(dead)  # its worker died: no lock
    store.acquire_lock(store.get_run(alive))
    store.start_attempt(alive)
    assert store.orphaned_runs() == [dead]
    assert store.get_run(dead).status is RunStatus.QUEUED
    later = utcnow() + timedelta(hours=1)
    assert store.orphaned_runs(later) == sorted([alive, dead, waiting])  # alive's lease lapsed too by then


def test_ping_answers(store):
    store.ping()


def test_reads_do_not_wait_for_a_writer(store):
    run_id = store.record_delivery("d-1", "pull_request", "opened", pr_request()).run_id
    with store.engine.connect() as writer:
        writer.exec_driver_sql("SELECT 1")  # BEGIN (IMMEDIATE on SQLite): the write lock is held
        writer.exec_driver_sql("UPDATE review_runs SET detail = 'busy'")
        assert store.get_run(run_id).detail == ""  # the committed state, without waiting
        writer.rollback()
