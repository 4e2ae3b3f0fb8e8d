"""The webhook endpoint through FastAPI's TestClient: status codes, records and queue messages."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewbot.state.records import IntakeOutcome, RunStatus
from reviewbot.webhooks.app import create_app
from reviewbot.webhooks.intake import MAX_BODY_BYTES, WebhookIntake
from reviewbot.webhooks.signature import sign
from tests.webhooks.payloads import (
    HEAD,
    HEAD_2,
    SECRET,
    comment_payload,
    encode,
    pull_request_payload,
    signed_headers,
)


class RecordingQueue:
    def __init__(self) -> None:
        self.run_ids: list[int] = []
        self.fail = False

    def enqueue(self, run_id: int) -> None:
        if self.fail:
            raise ConnectionError("queue is down")
        self.run_ids.append(run_id)

    def ping(self) -> None:
        if self.fail:
            raise ConnectionError("queue is down")


@pytest.fixture
def queue():
    return RecordingQueue()


@pytest.fixture
def client(store, queue):
    app = create_app(WebhookIntake(SECRET, store, queue.enqueue), {"database": store.ping, "queue": queue.ping})
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def post(client, payload, event="pull_request", **kwargs):
    body = encode(payload) if isinstance(payload, dict) else payload
    return client.post("/webhook", content=body, headers=signed_headers(body, event, **kwargs))


def test_a_pull_request_event_is_recorded_and_queued(client, store, queue):
    response = post(client, pull_request_payload("opened"), delivery="d-1")
    assert response.status_code == 202
    assert response.json() == {"status": "queued", "delivery": "d-1", "run": 1}
    assert queue.run_ids == [1]
    run = store.get_run(1)
    assert (run.repository, run.number, run.head_sha, run.trigger, run.status) == (
        "acme/shop", 7, HEAD, "opened", RunStatus.QUEUED)
    assert store.get_delivery("d-1").outcome == "queued"


def test_a_redelivery_never_makes_a_second_job(client, store, queue):
    first = post(client, pull_request_payload("opened"), delivery="d-1")
    again = post(client, pull_request_payload("opened"), delivery="d-1")
    assert first.status_code == again.status_code == 202
    assert again.json()["status"] == IntakeOutcome.DUPLICATE_DELIVERY
    assert queue.run_ids == [1]
    assert len(store.all_runs()) == 1


def test_a_second_event_for_a_queued_head_is_not_queued_again(client, store, queue):
    post(client, pull_request_payload("opened"), delivery="d-1")
    response = post(client, pull_request_payload("reopened"), delivery="d-2")
    assert response.json() == {"status": "duplicate", "delivery": "d-2", "run": 1,
                               "detail": f"run 1 for {HEAD[:7]} is already queued"}
    assert queue.run_ids == [1]


def test_a_newer_head_supersedes_the_queued_run_and_takes_its_queue_message(client, store, queue):
    post(client, pull_request_payload("opened", head=HEAD), delivery="d-1")
    response = post(client, pull_request_payload("synchronize", head=HEAD_2), delivery="d-2")
    assert response.json() == {"status": "queued", "delivery": "d-2", "run": 2,
                               "detail": "takes the place of run 1 in the queue"}
    assert queue.run_ids == [1]
    assert (store.get_run(1).status, store.get_run(1).superseded_by) == (RunStatus.SUPERSEDED, 2)
    assert store.current_run(1).id == 2


def test_a_newer_head_queues_its_own_message_when_the_older_run_is_running(client, store, queue):
    post(client, pull_request_payload("opened", head=HEAD), delivery="d-1")
    store.start_attempt(1)
    response = post(client, pull_request_payload("synchronize", head=HEAD_2), delivery="d-2")
    assert response.json() == {"status": "queued", "delivery": "d-2", "run": 2}
    assert queue.run_ids == [1, 2]
    assert (store.get_run(1).status, store.get_run(1).superseded_by) == (RunStatus.RUNNING, 2)


def test_a_perfcheck_comment_is_queued_without_a_head(client, store, queue):
    response = post(client, comment_payload("/perfcheck"), event="issue_comment", delivery="d-3")
    assert response.status_code == 202
    run = store.get_run(response.json()["run"])
    assert (run.trigger, run.head_sha, run.requested_by, run.comment_id) == ("command", None, "bob", 9001)


@pytest.mark.parametrize(
    ("event", "payload", "reason"),
    [
        ("push", {"ref": "refs/heads/main"}, "event 'push' is not handled"),
        ("ping", {"zen": "Keep it logically awesome.", "hook_id": 1}, "event 'ping' is not handled"),
        ("pull_request", pull_request_payload("closed"), "pull_request action 'closed' needs no review"),
        ("issue_comment", comment_payload("nice"), "the comment is not a /perfcheck command"),
        ("issue_comment", comment_payload("/perfcheck", user_type="Bot"), "/perfcheck from a bot is ignored"),
    ],
)
def test_events_that_need_no_review_are_acknowledged_and_ignored(client, store, queue, event, payload, reason):
    response = post(client, payload, event=event, delivery="d-9")
    assert response.status_code == 202
    assert response.json() == {"status": "ignored", "delivery": "d-9", "detail": reason}
    assert queue.run_ids == []
    assert store.get_delivery("d-9").outcome == "ignored"


def test_an_unsigned_request_is_refused(client, queue):
    body = encode(pull_request_payload())
    headers = signed_headers(body, "pull_request")
    del headers["X-Hub-Signature-256"]
    response = client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "missing X-Hub-Signature-256 header"}
    assert queue.run_ids == []


def test_a_forged_request_is_refused(client, store, queue):
    body = encode(pull_request_payload())
    response = client.post("/webhook", content=body, headers=signed_headers(body, "pull_request", secret="guess"))
    assert response.status_code == 401
    assert response.json() == {"error": "X-Hub-Signature-256 does not match the request body"}
    assert queue.run_ids == [] and store.all_runs() == []


def test_the_signature_is_checked_before_the_body_is_parsed(client):
    body = b"{not json"
    headers = signed_headers(body, "pull_request", secret="guess")
    assert client.post("/webhook", content=body, headers=headers).status_code == 401


def test_a_body_declared_larger_than_25_mb_is_refused_unread(client):
    headers = signed_headers(b"{}", "pull_request")
    headers["Content-Length"] = str(MAX_BODY_BYTES + 1)
    response = client.post("/webhook", content=b"{}", headers=headers)
    assert response.status_code == 413
    assert response.json() == {"error": "payload larger than 25 MB"}


def test_a_streamed_body_over_25_mb_is_refused(client, queue):
    chunk = b" " * (1024 * 1024)

    def body():
        for _ in range(26):
            yield chunk

    headers = signed_headers(b"", "pull_request")
    response = client.post("/webhook", content=body(), headers=headers)
    assert response.status_code == 413
    assert queue.run_ids == []


def test_a_non_numeric_content_length_is_a_bad_request(client):
    headers = signed_headers(b"{}", "pull_request")
    headers["Content-Length"] = "lots"
    assert client.post("/webhook", content=b"{}", headers=headers).status_code == 400


def test_malformed_json_is_a_bad_request(client, queue):
    response = post(client, b'{"action": "opened",')
    assert response.status_code == 400
    assert response.json() == {"error": "the body is not valid JSON"}


def test_a_payload_missing_a_field_is_a_bad_request(client):
    payload = pull_request_payload()
    del payload["installation"]
    response = post(client, payload)
    assert response.status_code == 400
    assert response.json() == {"error": "installation.id is missing"}


def test_a_delivery_without_an_event_header_is_a_bad_request(client):
    body = encode(pull_request_payload())
    headers = signed_headers(body, "pull_request")
    del headers["X-GitHub-Event"]
    assert client.post("/webhook", content=body, headers=headers).json() == {"error": "missing X-GitHub-Event header"}


def test_an_unreachable_database_is_a_503_not_a_500(client, store, queue):
    store.engine.dispose()
    store.engine.pool._creator = _refuse  # type: ignore[attr-defined]
    response = post(client, pull_request_payload())
    assert response.status_code == 503
    assert response.json() == {"error": "the state database is unavailable; redeliver later"}


def _refuse():
    raise ConnectionError("database is down")


def test_an_unreachable_queue_is_a_503_and_the_redelivery_is_accepted(client, store, queue):
    queue.fail = True
    response = post(client, pull_request_payload(), delivery="d-1")
    assert response.status_code == 503
    assert response.json() == {"error": "the queue is unavailable; redeliver later"}
    assert store.get_delivery("d-1") is None
    assert store.get_run(1).status is RunStatus.FAILED
    queue.fail = False
    again = post(client, pull_request_payload(), delivery="d-1")
    assert again.json()["status"] == "queued"
    assert queue.run_ids == [again.json()["run"]]


def test_healthz_answers_while_the_process_is_up(client, queue):
    queue.fail = True
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_the_queue_and_the_database(client, queue):
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "queue": "ok"}}
    queue.fail = True
    unavailable = client.get("/readyz")
    assert unavailable.status_code == 503
    assert unavailable.json() == {"status": "unavailable",
                                  "checks": {"database": "ok", "queue": "unreachable: ConnectionError"}}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)


def _mutated_payload(draw_payload, overrides):
    payload = draw_payload
    for key, value in overrides.items():
        payload[key] = value
    return payload


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=st.sampled_from(["pull_request", "issue_comment", "push"]),
       overrides=st.dictionaries(st.sampled_from(["action", "pull_request", "issue", "comment", "repository",
                                                  "installation", "sender"]), json_values, max_size=3),
       raw=st.one_of(st.none(), st.binary(max_size=64)))
def test_signed_garbage_never_causes_a_server_error(client, event, overrides, raw):
    base = pull_request_payload() if event == "pull_request" else comment_payload()
    body = raw if raw is not None else json.dumps(_mutated_payload(base, overrides)).encode()
    response = client.post("/webhook", content=body, headers=signed_headers(body, event))
    assert response.status_code in (202, 400)


def test_the_signature_covers_the_exact_bytes(client, queue):
    body = encode(pull_request_payload())
    headers = signed_headers(body, "pull_request")
    headers["X-Hub-Signature-256"] = sign(body + b"\n", SECRET)
    assert client.post("/webhook", content=body, headers=headers).status_code == 401


def test_other_methods_on_the_webhook_path_are_not_allowed(client, queue):
    response = client.get("/webhook")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert client.get("/no-such-page").status_code == 404
    assert queue.run_ids == []
