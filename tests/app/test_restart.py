"""A review queued before a restart is run after it: the queue and the state live in files."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from reviewbot.app.runtime import build_runtime
from reviewbot.github import ClientOptions
from reviewbot.jobs.github_client import github_client_factory
from reviewbot.settings import Settings
from reviewbot.state.records import RunStatus
from tests.app.processes import wait_until
from tests.app.test_processes import SECRET, pull_request_payload, signed

pytestmark = pytest.mark.slow


def test_a_review_queued_before_a_restart_runs_after_it(tmp_path, fake_github, app_key, example):
    pull = fake_github.add_repo("acme/shop").add_pull(1, example.base, example.head, title=example.title)
    settings = Settings(app_id="4242", private_key=app_key.private_pem, webhook_secret=SECRET,
                        api_url=fake_github.base_url, data_dir=tmp_path / "data", _env_file=None)

    before = build_runtime(settings, worker=False)
    with TestClient(before.web_app()) as client:
        body, headers = signed(pull_request_payload(pull))
        assert client.post("/webhook", content=body, headers=headers).json()["status"] == "queued"
    before.huey.storage.close()
    before.close()

    unpaced = ClientOptions(seconds_between_requests=0, seconds_between_writes=0)
    after = build_runtime(settings, worker=True, github=github_client_factory(settings, unpaced))
    consumer = after.consumer(embedded=True)
    consumer.start()
    try:
        wait_until(lambda: after.store.all_runs()[0].status.is_final, "the queued review to run")
    finally:
        consumer.stop(graceful=True)
        after.close()
    [run] = after.store.all_runs()
    assert run.status is RunStatus.SUCCEEDED, run.errors
    assert [review["state"] for review in pull.reviews] == ["COMMENTED"]


def test_a_run_whose_worker_died_is_queued_again_on_start(tmp_path, fake_github, app_key, example):
    pull = fake_github.add_repo("acme/shop").add_pull(1, example.base, example.head, title=example.title)
    settings = Settings(app_id="4242", private_key=app_key.private_pem, webhook_secret=SECRET,
                        api_url=fake_github.base_url, data_dir=tmp_path / "data", _env_file=None)
    crashed = build_runtime(settings, worker=False)
    with TestClient(crashed.web_app()) as client:
        body, headers = signed(pull_request_payload(pull))
        run_id = client.post("/webhook", content=body, headers=headers).json()["run"]
    crashed.huey.dequeue()  # a worker took the message ...
    crashed.store.start_attempt(run_id)  # ... started the run, and died without a lock
    crashed.close()

    unpaced = ClientOptions(seconds_between_requests=0, seconds_between_writes=0)
    restarted = build_runtime(settings, worker=True, github=github_client_factory(settings, unpaced))
    consumer = restarted.consumer(embedded=True)
    restarted.recover_orphans()
    consumer.start()
    try:
        wait_until(lambda: restarted.store.get_run(run_id).status.is_final, "the orphaned run to finish")
    finally:
        consumer.stop(graceful=True)
        restarted.close()
    run = restarted.store.get_run(run_id)
    assert run.status is RunStatus.SUCCEEDED and run.attempts == 2
    assert len(pull.reviews) == 1
