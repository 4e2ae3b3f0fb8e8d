"""`reviewbot serve` and `reviewbot worker` as the processes a deployment runs."""

from __future__ import annotations

import json
import uuid

import pytest

from reviewbot.sandbox.local_app import get_json, post_json
from reviewbot.webhooks.signature import sign
from tests.app.processes import app_environment, free_port, is_healthy, start, stop, wait_until

pytestmark = pytest.mark.slow

SECRET = "process-test-secret"


def pull_request_payload(pull, repository="acme/shop", installation=1):
    return {
        "action": "opened", "number": pull.number,
        "pull_request": {"number": pull.number, "draft": False, "head": {"sha": pull.head_sha}},
        "repository": {"full_name": repository}, "installation": {"id": installation},
        "sender": {"login": "alice", "type": "User"},
    }


def signed(payload):
    body = json.dumps(payload).encode()
    return body, {"Content-Type": "application/json", "X-GitHub-Event": "pull_request",
                  "X-GitHub-Delivery": str(uuid.uuid4()), "X-Hub-Signature-256": sign(body, SECRET)}


def test_serve_answers_health_checks_and_reviews_a_pull_request(tmp_path, fake_github, app_key, example):
    pull = fake_github.add_repo("acme/shop").add_pull(1, example.base, example.head, title=example.title)
    port = free_port()
    env = app_environment(private_pem=app_key.private_pem, secret=SECRET, api_url=fake_github.base_url,
                          data_dir=tmp_path / "data")
    server = start(["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: is_healthy(url), "the server to start", server)
        assert get_json(url + "/readyz") == (200, {"status": "ready", "checks": {"database": "ok", "queue": "ok"}})
        status, answer = post_json(url + "/webhook", *signed(pull_request_payload(pull)))
        assert (status, answer["status"]) == (202, "queued")
        wait_until(lambda: any(r["state"] == "COMMENTED" for r in pull.reviews), "the review", server)
        wait_until(lambda: len(fake_github.repos["acme/shop"].check_runs) == 1, "the check run", server)
    finally:
        code, output = stop(server)
    assert code == 0, output
    assert len(pull.reviews) == 1
    assert (tmp_path / "data" / "reviewbot.db").is_file() and (tmp_path / "data" / "queue.db").is_file()


@pytest.mark.postgres
@pytest.mark.redis
def test_a_separate_worker_runs_what_the_web_server_queued(tmp_path, fake_github, app_key, example):
    """The split deployment: the web server only enqueues (Redis) and records (PostgreSQL); a
    `reviewbot worker` process, started afterwards, posts the review."""
    from fastapi.testclient import TestClient

    from reviewbot.app.runtime import build_runtime
    from reviewbot.jobs.queue import open_huey
    from reviewbot.settings import Settings
    from tests.state.databases import postgres_schema, require_redis

    require_redis()
    pull = fake_github.add_repo("acme/shop").add_pull(1, example.base, example.head, title=example.title)
    queue_url = "redis://127.0.0.1:6379/14"
    open_huey(queue_url).flush()
    with postgres_schema() as database_url:
        settings = Settings(app_id="4242", private_key=app_key.private_pem, webhook_secret=SECRET,
                            api_url=fake_github.base_url, data_dir=tmp_path / "web", database_url_setting=database_url,
                            queue_url_setting=queue_url, _env_file=None)
        web = build_runtime(settings, worker=False)
        try:
            with TestClient(web.web_app()) as client:
                body, headers = signed(pull_request_payload(pull))
                response = client.post("/webhook", content=body, headers=headers)
                assert response.status_code == 202 and response.json()["status"] == "queued"
            assert pull.reviews == []

            env = app_environment(private_pem=app_key.private_pem, secret=SECRET, api_url=fake_github.base_url,
                                  data_dir=tmp_path / "worker", REVIEWBOT_DATABASE_URL=database_url,
                                  REVIEWBOT_QUEUE_URL=queue_url)
            worker = start(["worker"], env, tmp_path)
            try:
                wait_until(lambda: bool(web.store.all_runs()) and web.store.all_runs()[0].status.is_final,
                           "the worker to finish the run", worker)
            finally:
                code, output = stop(worker)
            assert code == 0, output
            [run] = web.store.all_runs()
            assert run.status == "succeeded", run.errors
            assert [r["state"] for r in pull.reviews] == ["COMMENTED"]
        finally:
            web.close()
            open_huey(queue_url).flush()
