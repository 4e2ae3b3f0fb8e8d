"""The explanation step of a review: what it adds, what it never changes, and how it fails."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket

import httpx

from reviewbot import Config
from reviewbot.config import LlmOptions
from reviewbot.findings import Severity
from reviewbot.llm import ExplanationBudget, explain_findings, only_text_changed
from tests.llm.conftest import COMPLETIONS, RATES_PY, analysed, answer, completion, settings

FIX_9 = {"start_line": 9, "end_line": 9,
         "code": '    response = requests.get(f"{RATES_URL}?base={currency}", timeout=10)'}


def by_line(request: httpx.Request) -> int:
    """The first flagged line number of the prompt a request carries."""
    user = next(m["content"] for m in json.loads(request.content)["messages"] if m["role"] == "user")
    return int(user.split("flagged lines ", 1)[1].split("-", 1)[0])


def good_answers(request: httpx.Request) -> httpx.Response:
    line = by_line(request)
    replacement = FIX_9 if line == 9 else None
    return httpx.Response(200, json=completion(answer(f"Explanation for line {line}.", replacement)))


def assert_untouched(before, after):
    assert after == before
    assert all(f.explanation is None and f.suggestion is None for f in after)


def test_findings_get_an_explanation_and_a_verified_suggestion(llm_mock, rates_files, rates_findings, cache):
    llm_mock.post(COMPLETIONS).mock(side_effect=good_answers)
    outcome = explain_findings(rates_findings, rates_files, Config(), settings(), cache)
    first, second = outcome.findings
    assert first.explanation == "Explanation for line 9."
    assert first.suggestion == FIX_9["code"]
    assert second.explanation == "Explanation for line 14." and second.suggestion is None
    assert only_text_changed(rates_findings, outcome.findings)
    stats = outcome.stats
    assert (stats.enabled, stats.model, stats.prompt_version) == (True, "test-model", "explain.v1")
    assert (stats.selected, stats.explained, stats.kept_checker_text) == (2, 2, 0)
    assert (stats.cache_hits, stats.cache_misses, stats.llm_calls) == (0, 2, 2)
    assert (stats.tokens_in, stats.tokens_out) == (2000, 160)
    assert (stats.suggestions_offered, stats.verified) == (1, 1)
    assert stats.errors == []


def test_a_repeated_review_is_answered_from_the_cache_without_any_call(llm_mock, rates_files, rates_findings, cache):
    route = llm_mock.post(COMPLETIONS).mock(side_effect=good_answers)
    first = explain_findings(rates_findings, rates_files, Config(), settings(), cache)
    assert route.call_count == 2
    route.mock(side_effect=AssertionError("the cache should have answered"))
    second = explain_findings(rates_findings, rates_files, Config(), settings(), cache)
    assert route.call_count == 2
    assert second.findings == first.findings
    assert (second.stats.cache_hits, second.stats.cache_misses, second.stats.llm_calls) == (2, 0, 0)
    assert (second.stats.tokens_in, second.stats.tokens_out) == (0, 0)
    assert second.stats.cache_hit_rate == 1.0
    assert second.stats.verified == 1  # cached suggestions are verified again


def test_the_same_code_moved_down_is_still_a_cache_hit(llm_mock, rates_files, rates_findings, cache):
    route = llm_mock.post(COMPLETIONS).mock(side_effect=good_answers)
    explain_findings(rates_findings, rates_files, Config(), settings(), cache)
    moved_files = {"other/service.py": b'"""Rates."""\n\n' + RATES_PY}
    moved = analysed(moved_files)
    outcome = explain_findings(moved, moved_files, Config(), settings(), cache)
    assert route.call_count == 2
    assert outcome.stats.cache_hits == 2
    assert outcome.findings[0].line == 11
    assert outcome.findings[0].explanation == "Explanation for line 9."
    assert outcome.findings[0].suggestion == FIX_9["code"]  # the stored fix follows the code


def test_another_model_does_not_reuse_the_cache(llm_mock, rates_files, rates_findings, cache):
    route = llm_mock.post(COMPLETIONS).mock(side_effect=good_answers)
    explain_findings(rates_findings, rates_files, Config(), settings(), cache)
    explain_findings(rates_findings, rates_files, Config(), settings(model="other-model"), cache)
    assert route.call_count == 4


def test_identical_prompts_in_one_review_are_asked_once(llm_mock, cache):
    files = {"a/rates.py": RATES_PY, "b/rates.py": RATES_PY}
    findings = analysed(files)
    route = llm_mock.post(COMPLETIONS).mock(side_effect=good_answers)
    outcome = explain_findings(findings, files, Config(), settings(), cache)
    assert route.call_count == 2
    assert [f.explanation is not None for f in outcome.findings] == [True] * 4
    assert outcome.stats.verified == 2


def test_a_malformed_answer_is_asked_again_once(llm_mock, rates_files, rates_findings):
    route = llm_mock.post(COMPLETIONS).mock(side_effect=[
        httpx.Response(200, json=completion("Sure! The explanation is that it is slow.")),
        httpx.Response(200, json=completion(answer("Fixed on the second try."))),
    ])
    outcome = explain_findings(rates_findings[:1], rates_files, Config(), settings())
    assert outcome.findings[0].explanation == "Fixed on the second try."
    assert route.call_count == 2
    retry = json.loads(route.calls[1].request.content)["messages"]
    assert retry[-2] == {"role": "assistant", "content": "Sure! The explanation is that it is slow."}
    assert retry[-1]["content"].startswith("Your previous answer could not be used: no JSON object in the answer.")
    assert outcome.stats.malformed == 0 and outcome.stats.llm_calls == 2


def test_answers_that_stay_malformed_or_off_schema_leave_the_checker_text(llm_mock, rates_files, rates_findings):
    def respond(request):
        if by_line(request) == 9:
            return httpx.Response(200, json=completion("not json at all"))
        return httpx.Response(200, json=completion(json.dumps({"explanation": "x", "severity": "info"})))

    llm_mock.post(COMPLETIONS).mock(side_effect=respond)
    outcome = explain_findings(rates_findings, rates_files, Config(), settings())
    assert_untouched(rates_findings, outcome.findings)
    assert (outcome.stats.malformed, outcome.stats.off_schema, outcome.stats.llm_calls) == (1, 1, 4)
    assert "RB203 app/rates.py:14: off_schema answer: unknown fields: severity" in outcome.stats.errors


def test_rate_limits_server_errors_and_timeouts_leave_the_checker_text(llm_mock, rates_files, rates_findings):
    def respond(request):
        if by_line(request) == 9:
            return httpx.Response(429, headers={"retry-after": "600"}, json={"error": {"message": "quota"}})
        return httpx.Response(503, json={"error": {"message": "overloaded"}})

    llm_mock.post(COMPLETIONS).mock(side_effect=respond)
    outcome = explain_findings(rates_findings, rates_files, Config(), settings(max_attempts=2, max_retry_wait=0.01))
    assert_untouched(rates_findings, outcome.findings)
    stats = outcome.stats
    assert (stats.rate_limited, stats.server_errors, stats.retries, stats.llm_calls) == (1, 1, 1, 3)
    assert stats.kept_checker_text == 2
    assert any(e.startswith("RB203 app/rates.py:9: rate_limited: HTTP 429") for e in stats.errors)
    assert any(e.startswith("RB203 app/rates.py:14: server_error: HTTP 503") for e in stats.errors)


def test_a_429_with_a_short_retry_after_is_retried(llm_mock, rates_files, rates_findings):
    route = llm_mock.post(COMPLETIONS).mock(side_effect=[
        httpx.Response(429, headers={"retry-after": "0"}, json={"error": {"message": "quota"}}),
        httpx.Response(200, json=completion(answer("After waiting."))),
    ])
    outcome = explain_findings(rates_findings[:1], rates_files, Config(), settings())
    assert outcome.findings[0].explanation == "After waiting."
    assert route.call_count == 2 and outcome.stats.retries == 1 and outcome.stats.rate_limited == 0


def test_a_timeout_leaves_the_checker_text(llm_mock, rates_files, rates_findings):
    llm_mock.post(COMPLETIONS).mock(side_effect=httpx.ReadTimeout("timed out"))
    outcome = explain_findings(rates_findings, rates_files, Config(), settings(max_attempts=1))
    assert_untouched(rates_findings, outcome.findings)
    assert outcome.stats.timeouts == 2


def test_an_endpoint_that_is_down_leaves_the_checker_text(rates_files, rates_findings):
    with socket.socket() as probe:  # a port on which nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = settings(base_url=f"http://127.0.0.1:{port}/v1", max_attempts=1)
    outcome = explain_findings(rates_findings, rates_files, Config(), down)
    assert_untouched(rates_findings, outcome.findings)
    assert outcome.stats.connection_errors == 2
    assert outcome.stats.errors[0].endswith("connection: cannot reach the endpoint")


def test_a_refusal_leaves_the_checker_text(llm_mock, rates_files, rates_findings):
    llm_mock.post(COMPLETIONS).respond(200, json=completion(None, refusal="I won't."))
    outcome = explain_findings(rates_findings, rates_files, Config(), settings())
    assert_untouched(rates_findings, outcome.findings)
    assert outcome.stats.refusals == 2


def test_what_is_not_answered_by_the_deadline_keeps_the_checker_text(llm_mock, rates_files, rates_findings):
    async def respond(request):
        if by_line(request) == 14:
            await asyncio.sleep(30)
        return httpx.Response(200, json=completion(answer("In time.")))

    llm_mock.post(COMPLETIONS).mock(side_effect=respond)
    budget = ExplanationBudget(deadline=0.5)
    outcome = explain_findings(rates_findings, rates_files, Config(), settings(), budget=budget)
    assert outcome.findings[0].explanation == "In time."
    assert outcome.findings[1] == rates_findings[1]
    assert outcome.stats.deadline_missed == 1 and outcome.stats.explained == 1
    assert "RB203 app/rates.py:14: no answer before the review's deadline of 0.5 s" in outcome.stats.errors


def test_the_most_severe_findings_are_explained_first_within_max_findings(llm_mock, rates_files, rates_findings):
    findings = [rates_findings[0], rates_findings[1].with_severity(Severity.ERROR)]
    route = llm_mock.post(COMPLETIONS).mock(side_effect=good_answers)
    config = Config(llm=LlmOptions(max_findings=1))
    outcome = explain_findings(findings, rates_files, config, settings())
    assert route.call_count == 1
    assert outcome.findings[0] == findings[0]
    assert outcome.findings[1].explanation == "Explanation for line 14."
    assert (outcome.stats.selected, outcome.stats.skipped_max_findings) == (1, 1)


def test_the_token_budget_stops_further_calls(llm_mock, rates_files, rates_findings):
    route = llm_mock.post(COMPLETIONS).respond(200, json=completion(answer(), tokens_in=19_000, tokens_out=500))
    outcome = explain_findings(rates_findings, rates_files, Config(llm=LlmOptions(max_tokens=20_000)),
                               settings(concurrency=1))
    assert route.call_count == 1
    assert [f.explanation is not None for f in outcome.findings] == [True, False]
    assert outcome.stats.skipped_token_budget == 1
    assert "RB203 app/rates.py:14: skipped, the review's token budget of 20000 is spent" in outcome.stats.errors


def test_a_budget_too_small_for_one_prompt_makes_no_call(llm_mock, rates_files, rates_findings):
    route = llm_mock.post(COMPLETIONS).mock(side_effect=good_answers)
    outcome = explain_findings(rates_findings, rates_files, Config(llm=LlmOptions(max_tokens=100)), settings())
    assert route.call_count == 0
    assert_untouched(rates_findings, outcome.findings)
    assert outcome.stats.skipped_token_budget == 2


def test_explanations_are_off_without_endpoint_settings_or_when_the_repository_says_so(
    llm_mock, rates_files, rates_findings
):
    route = llm_mock.post(COMPLETIONS).mock(side_effect=good_answers)
    unconfigured = explain_findings(rates_findings, rates_files, Config(), settings(api_key=None))
    assert unconfigured.findings == rates_findings
    assert not unconfigured.stats.enabled
    assert unconfigured.stats.disabled_reason == "OPENAI_API_KEY not set"
    turned_off = explain_findings(rates_findings, rates_files, Config(llm=LlmOptions(enabled=False)), settings())
    assert turned_off.findings == rates_findings
    assert turned_off.stats.disabled_reason == "turned off by [tool.reviewbot.llm] enabled = false"
    assert route.call_count == 0


def test_a_broken_cache_does_not_cost_the_review(llm_mock, rates_files, rates_findings, tmp_path):
    from reviewbot.llm import ExplanationCache

    (tmp_path / "not-a-db").mkdir()
    broken = ExplanationCache(f"sqlite:///{tmp_path / 'not-a-db'}")
    llm_mock.post(COMPLETIONS).mock(side_effect=good_answers)
    outcome = explain_findings(rates_findings, rates_files, Config(), settings(), broken)
    assert outcome.stats.explained == 2
    assert outcome.stats.cache_errors == 2
    assert outcome.stats.errors[0].startswith("cache lookup failed: OperationalError")
    broken.engine.dispose()


def test_a_rejected_suggestion_keeps_the_explanation(llm_mock, rates_files, rates_findings):
    unparsable = {**FIX_9, "code": "    response = requests.get(f\"{RATES_URL}\", timeout=10"}
    llm_mock.post(COMPLETIONS).respond(200, json=completion(answer("Why it matters.", unparsable)))
    outcome = explain_findings(rates_findings[:1], rates_files, Config(), settings())
    assert outcome.findings[0].explanation == "Why it matters."
    assert outcome.findings[0].suggestion is None
    assert (outcome.stats.suggestions_offered, outcome.stats.rejected_parse, outcome.stats.verified) == (1, 1, 0)
    assert any("suggestion rejected_parse" in e for e in outcome.stats.errors)


def test_only_text_changed_sees_every_other_field():
    finding = analysed({"app/rates.py": RATES_PY})[0]
    assert only_text_changed([finding], [dataclasses.replace(finding, explanation="x", suggestion="y")])
    for change in ({"severity": Severity.INFO}, {"line": 1}, {"rule": "RB101"}, {"message": "fine"},
                   {"path": "b.py"}, {"fingerprint": "0"}, {"end_line": 99}):
        assert not only_text_changed([finding], [dataclasses.replace(finding, **change)])
    assert not only_text_changed([finding], [])
    assert not only_text_changed([finding, finding], [finding])


def test_an_unusable_endpoint_url_leaves_the_checker_text(rates_files, rates_findings):
    outcome = explain_findings(rates_findings, rates_files, Config(), settings(base_url="::::"))
    assert_untouched(rates_findings, outcome.findings)
    assert outcome.stats.kept_checker_text == 2
    assert outcome.stats.errors == [
        "cannot create the endpoint client: InvalidURL: Relative URLs cannot have a path starting with ':'"
    ]


def test_concurrent_calls_are_bounded_by_the_configured_concurrency(llm_mock, cache):
    functions = "".join(
        f"\n\ndef pull_{i}(url):\n    return requests.get(url + '/{i}').json()\n" for i in range(6)
    )
    files = {"app/pull.py": ("import requests\n" + functions).encode()}
    findings = analysed(files)
    assert len(findings) == 6
    in_flight = []
    peak = []

    async def respond(request):
        in_flight.append(1)
        peak.append(len(in_flight))
        await asyncio.sleep(0.05)
        in_flight.pop()
        return httpx.Response(200, json=completion(answer()))

    llm_mock.post(COMPLETIONS).mock(side_effect=respond)
    outcome = explain_findings(findings, files, Config(), settings(concurrency=2), cache)
    assert outcome.stats.explained == 6
    assert max(peak) == 2


def test_the_synchronous_entry_point_refuses_to_run_inside_an_event_loop(rates_files, rates_findings):
    async def inside_a_loop():
        explain_findings(rates_findings, rates_files, Config(), settings())

    try:
        asyncio.run(inside_a_loop())
    except RuntimeError as error:
        assert str(error) == ("explain_findings() was called inside an event loop; "
                              "await explain_findings_async()")
    else:
        raise AssertionError("expected a RuntimeError")


def test_cached_answers_are_used_even_when_the_endpoint_client_cannot_be_built(
    llm_mock, rates_files, rates_findings, cache
):
    llm_mock.post(COMPLETIONS).mock(side_effect=good_answers)
    explain_findings(rates_findings[:1], rates_files, Config(), settings(), cache)
    outcome = explain_findings(rates_findings, rates_files, Config(), settings(base_url="::::"), cache)
    assert outcome.findings[0].explanation == "Explanation for line 9."
    assert outcome.findings[1] == rates_findings[1]
    assert (outcome.stats.cache_hits, outcome.stats.explained, outcome.stats.kept_checker_text) == (1, 1, 1)
