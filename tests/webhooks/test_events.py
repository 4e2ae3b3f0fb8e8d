from __future__ import annotations

import json

import pytest

from reviewbot.state.records import RunRequest
from reviewbot.webhooks.events import (
    CommandEvent,
    IgnoredEvent,
    MalformedPayload,
    PullRequestEvent,
    command_arguments,
    parse_event,
)
from reviewbot.webhooks.routing import run_request_for
from tests.webhooks.payloads import HEAD, comment_payload, encode, pull_request_payload

DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"


@pytest.mark.parametrize("action", ["opened", "synchronize", "reopened", "ready_for_review"])
def test_pull_request_review_actions_parse_to_an_event(action):
    event = parse_event("pull_request", DELIVERY, encode(pull_request_payload(action)))
    assert event == PullRequestEvent(
        delivery_id=DELIVERY, action=action, installation_id=42, repository="acme/shop", number=7,
        head_sha=HEAD, draft=False, sender_login="alice",
    )


def test_a_draft_is_parsed_with_its_draft_flag():
    event = parse_event("pull_request", DELIVERY, encode(pull_request_payload(draft=True)))
    assert isinstance(event, PullRequestEvent) and event.draft


@pytest.mark.parametrize("action", ["closed", "edited", "labeled", "converted_to_draft", "assigned"])
def test_other_pull_request_actions_are_ignored(action):
    event = parse_event("pull_request", DELIVERY, encode(pull_request_payload(action)))
    assert event == IgnoredEvent(DELIVERY, "pull_request", action, f"pull_request action '{action}' needs no review")


def test_unknown_events_are_ignored():
    event = parse_event("push", DELIVERY, b'{"ref": "refs/heads/main"}')
    assert event == IgnoredEvent(DELIVERY, "push", "", "event 'push' is not handled")


def test_perfcheck_comment_on_a_pull_request_is_a_command():
    event = parse_event("issue_comment", DELIVERY, encode(comment_payload("/perfcheck")))
    assert event == CommandEvent(
        delivery_id=DELIVERY, installation_id=42, repository="acme/shop", number=7, comment_id=9001,
        author_login="bob", arguments="",
    )


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (comment_payload("/perfcheck", on_pull_request=False), "/perfcheck on an issue, not a pull request"),
        (comment_payload("/perfcheck", user_type="Bot", login="ci[bot]"), "/perfcheck from a bot is ignored"),
        (comment_payload("looks good to me"), "the comment is not a /perfcheck command"),
        (comment_payload("/perfcheck", action="edited"), "issue_comment action 'edited' is not a command"),
        (comment_payload("/perfcheckers unite"), "the comment is not a /perfcheck command"),
    ],
)
def test_comments_that_are_not_commands_are_ignored(payload, reason):
    event = parse_event("issue_comment", DELIVERY, encode(payload))
    assert isinstance(event, IgnoredEvent)
    assert event.reason == reason


def test_a_bot_sender_is_ignored_even_when_the_comment_user_is_not_marked():
    payload = comment_payload("/perfcheck")
    payload["sender"]["type"] = "Bot"
    assert isinstance(parse_event("issue_comment", DELIVERY, encode(payload)), IgnoredEvent)


@pytest.mark.parametrize(
    ("body", "arguments"),
    [("/perfcheck", ""), ("  /perfcheck\n", ""), ("/perfcheck  full  \nthanks", "full"), ("/perfcheck\tnow", "now"),
     ("please /perfcheck", None), ("/PERFCHECK", None), ("/perfcheck-all", None), ("", None)],
)
def test_command_arguments(body, arguments):
    assert command_arguments(body) == arguments


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the body is not valid JSON"),
        (b"\xff\xfe", "the body is not valid JSON"),
        (b"[1, 2]", "the body is not a JSON object"),
        (b"", "the body is not valid JSON"),
    ],
)
def test_unreadable_bodies_are_malformed(body, message):
    with pytest.raises(MalformedPayload) as error:
        parse_event("pull_request", DELIVERY, body)
    assert str(error.value) == message


def _without(payload, path):
    *parents, last = path.split(".")
    node = payload
    for key in parents:
        node = node[key]
    del node[last]
    return payload


@pytest.mark.parametrize(
    "path",
    ["pull_request.head.sha", "pull_request.number", "installation.id", "repository.full_name", "sender.login",
     "pull_request"],
)
def test_a_pull_request_payload_without_a_needed_field_is_malformed(path):
    payload = _without(pull_request_payload(), path)
    with pytest.raises(MalformedPayload) as error:
        parse_event("pull_request", DELIVERY, encode(payload))
    assert str(error.value) == f"{path if path != 'pull_request' else 'pull_request.head.sha'} is missing"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p["pull_request"].update(number="7"), "pull_request.number must be a positive integer"),
        (lambda p: p["pull_request"].update(number=True), "pull_request.number must be a positive integer"),
        (lambda p: p["pull_request"]["head"].update(sha="main"), "pull_request.head.sha is not a commit SHA"),
        (lambda p: p["pull_request"].update(draft="no"), "pull_request.draft must be true or false"),
        (lambda p: p["repository"].update(full_name="shop"), "repository.full_name is not owner/name"),
        (lambda p: p.update(installation=[]), "installation.id is missing"),
    ],
)
def test_wrongly_typed_fields_are_malformed(mutate, message):
    payload = pull_request_payload()
    mutate(payload)
    with pytest.raises(MalformedPayload) as error:
        parse_event("pull_request", DELIVERY, encode(payload))
    assert str(error.value) == message


def test_a_command_without_its_comment_id_is_malformed():
    payload = comment_payload()
    del payload["comment"]["id"]
    with pytest.raises(MalformedPayload, match="comment.id is missing"):
        parse_event("issue_comment", DELIVERY, encode(payload))


@pytest.mark.parametrize(
    ("event", "delivery", "message"),
    [(None, DELIVERY, "missing X-GitHub-Event header"), ("pull_request", None, "missing X-GitHub-Delivery header"),
     ("pull_request", "../../etc", "X-GitHub-Delivery is not a delivery id")],
)
def test_missing_headers_are_malformed(event, delivery, message):
    with pytest.raises(MalformedPayload) as error:
        parse_event(event, delivery, encode(pull_request_payload()))
    assert str(error.value) == message


def test_events_are_frozen():
    event = parse_event("pull_request", DELIVERY, encode(pull_request_payload()))
    with pytest.raises(AttributeError):
        event.head_sha = "0" * 40  # type: ignore[misc]


def test_routing_turns_events_into_run_requests():
    pull = parse_event("pull_request", DELIVERY, encode(pull_request_payload("synchronize", draft=True)))
    assert run_request_for(pull) == RunRequest(42, "acme/shop", 7, HEAD, "synchronize", "alice", None, True)
    command = parse_event("issue_comment", DELIVERY, encode(comment_payload()))
    assert run_request_for(command) == RunRequest(42, "acme/shop", 7, None, "command", "bob", 9001, False)
    ignored = parse_event("issue_comment", DELIVERY, json.dumps(comment_payload("thanks")).encode())
    assert run_request_for(ignored) is None
