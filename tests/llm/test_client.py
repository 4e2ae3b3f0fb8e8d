"""The chat-completions adapter: typed failures and its own bounded retries (the SDK's are off)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from reviewbot.llm.client import LlmCallError, OpenAIChatClient, retry_after_seconds
from tests.llm.conftest import COMPLETIONS, answer, completion, settings

MESSAGES = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]


class RecordedSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def run(client: OpenAIChatClient):
    async def go():
        try:
            return await client.complete(MESSAGES, max_output_tokens=300)
        finally:
            await client.aclose()
    return asyncio.run(go())


def test_a_completion_carries_text_and_usage(llm_mock):
    route = llm_mock.post(COMPLETIONS).respond(200, json=completion(answer(), tokens_in=1234, tokens_out=56))
    result = run(OpenAIChatClient(settings()))
    assert json.loads(result.text)["replacement"] is None
    assert (result.tokens_in, result.tokens_out, result.retries) == (1234, 56, 0)
    request = json.loads(route.calls.last.request.content)
    assert request["model"] == "test-model"
    assert request["max_completion_tokens"] == 300
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["schema"]["required"] == ["explanation", "replacement"]
    assert route.calls.last.request.headers["authorization"] == "Bearer test-key"


def test_a_429_waits_for_retry_after_then_succeeds(llm_mock):
    route = llm_mock.post(COMPLETIONS).mock(side_effect=[
        httpx.Response(429, headers={"retry-after": "2"}, json={"error": {"message": "slow down"}}),
        httpx.Response(200, json=completion(answer())),
    ])
    sleep = RecordedSleep()
    result = run(OpenAIChatClient(settings(), sleep=sleep))
    assert route.call_count == 2
    assert sleep.waits == [2.0]
    assert result.retries == 1


def test_a_429_asking_for_longer_than_the_bound_gives_up_at_once(llm_mock):
    route = llm_mock.post(COMPLETIONS).respond(429, headers={"retry-after": "120"}, json={"error": {"message": "x"}})
    sleep = RecordedSleep()
    with pytest.raises(LlmCallError) as error:
        run(OpenAIChatClient(settings(max_retry_wait=5), sleep=sleep))
    assert error.value.kind == "rate_limited"
    assert "retry-after 120 s is longer than the 5 s bound" in error.value.detail
    assert route.call_count == 1 and sleep.waits == []


def test_server_errors_are_retried_a_bounded_number_of_times(llm_mock):
    route = llm_mock.post(COMPLETIONS).respond(500, json={"error": {"message": "boom"}})
    sleep = RecordedSleep()
    with pytest.raises(LlmCallError) as error:
        run(OpenAIChatClient(settings(max_attempts=3), sleep=sleep))
    assert error.value.kind == "server_error"
    assert error.value.retries == 2
    assert route.call_count == 3  # ours only: the SDK's own retries are off
    assert sleep.waits == [0.5, 1.0]


def test_a_timeout_is_reported_as_such(llm_mock):
    llm_mock.post(COMPLETIONS).mock(side_effect=httpx.ReadTimeout("read timed out"))
    with pytest.raises(LlmCallError) as error:
        run(OpenAIChatClient(settings(max_attempts=1, call_timeout=7)))
    assert error.value.kind == "timeout"
    assert error.value.detail == "no answer within 7 s"


def test_a_slow_answer_is_cut_at_the_call_timeout(llm_mock):
    async def never_answers(request):
        await asyncio.sleep(30)

    llm_mock.post(COMPLETIONS).mock(side_effect=never_answers)
    with pytest.raises(LlmCallError) as error:
        run(OpenAIChatClient(settings(max_attempts=1, call_timeout=0.05)))
    assert error.value.kind == "timeout"


def test_an_endpoint_that_is_down_is_a_connection_error(llm_mock):
    llm_mock.post(COMPLETIONS).mock(side_effect=httpx.ConnectError("connection refused"))
    sleep = RecordedSleep()
    with pytest.raises(LlmCallError) as error:
        run(OpenAIChatClient(settings(max_attempts=2), sleep=sleep))
    assert error.value.kind == "connection"
    assert sleep.waits == [0.5]


def test_a_refusal_is_not_retried(llm_mock):
    route = llm_mock.post(COMPLETIONS).respond(200, json=completion(None, refusal="I can't help with that."))
    with pytest.raises(LlmCallError) as error:
        run(OpenAIChatClient(settings()))
    assert error.value.kind == "refused"
    assert error.value.tokens_in == 1000
    assert route.call_count == 1


def test_a_content_filter_stop_is_a_refusal(llm_mock):
    llm_mock.post(COMPLETIONS).respond(200, json=completion("", finish_reason="content_filter"))
    with pytest.raises(LlmCallError, match="refused"):
        run(OpenAIChatClient(settings()))


def test_authentication_failures_are_not_retried(llm_mock):
    route = llm_mock.post(COMPLETIONS).respond(401, json={"error": {"message": "bad key"}})
    with pytest.raises(LlmCallError) as error:
        run(OpenAIChatClient(settings()))
    assert error.value.kind == "auth"
    assert route.call_count == 1


def test_an_endpoint_without_structured_output_gets_prompt_only_json(llm_mock):
    def respond(request):
        body = json.loads(request.content)
        if "response_format" in body:
            return httpx.Response(400, json={"error": {"message": "response_format is not supported"}})
        return httpx.Response(200, json=completion(answer()))

    route = llm_mock.post(COMPLETIONS).mock(side_effect=respond)
    client = OpenAIChatClient(settings())

    async def twice():
        try:
            return [await client.complete(MESSAGES, max_output_tokens=100) for _ in range(2)]
        finally:
            await client.aclose()

    first, second = asyncio.run(twice())
    assert first.format_downgraded and not second.format_downgraded
    assert route.call_count == 3  # one refused request, then prompt-only for the rest of the run


def test_the_token_limit_parameter_can_be_the_older_name(llm_mock):
    route = llm_mock.post(COMPLETIONS).respond(200, json=completion(answer()))
    run(OpenAIChatClient(settings(token_limit_parameter="max_tokens", structured_output="none", temperature=0.1)))
    body = json.loads(route.calls.last.request.content)
    assert body["max_tokens"] == 300 and "max_completion_tokens" not in body
    assert "response_format" not in body and body["temperature"] == 0.1


def test_an_unconfigured_client_cannot_be_built():
    with pytest.raises(ValueError, match="REVIEWBOT_LLM_MODEL not set"):
        OpenAIChatClient(settings(model=None))


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "Thu, 01 Jan 2026 00:00:10 GMT"}, 10.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-1"}, None),
        ({}, None),
    ],
)
def test_retry_after_forms(headers, seconds):
    now = 1767225600.0  # 2026-01-01T00:00:00Z
    assert retry_after_seconds(headers, now) == seconds
