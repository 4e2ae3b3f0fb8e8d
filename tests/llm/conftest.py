"""Shared pieces of the explanation tests: a sample review, settings, and OpenAI answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx

import tests.llm.respx_httpx2  # noqa: F401 - registers respx's "httpx2" mocker
from reviewbot import Config, analyze
from reviewbot.findings import Finding
from reviewbot.llm import ExplanationCache, LlmSettings

BASE_URL = "http://llm.test/v1"
COMPLETIONS = f"{BASE_URL}/chat/completions"

RATES_PY = b'''import json

import requests

RATES_URL = "https://rates.example.com/latest"


def fetch_rates(currency):
    response = requests.get(f"{RATES_URL}?base={currency}")
    return response.json()


def fetch_history(currency, days):
    response = requests.get(f"{RATES_URL}/history", params={"base": currency, "days": days})
    return json.loads(response.text)
'''


def settings(**overrides: Any) -> LlmSettings:
    values: dict[str, Any] = {"api_key": "test-key", "model": "test-model", "base_url": BASE_URL,
                              "max_retry_wait": 5.0}
    values.update(overrides)
    return LlmSettings(**values)


def completion(content: str | None, *, tokens_in: int = 1000, tokens_out: int = 80,
               refusal: str | None = None, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [{
            "index": 0,
            "finish_reason": finish_reason,
            "message": {"role": "assistant", "content": content, "refusal": refusal},
        }],
        "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out,
                  "total_tokens": tokens_in + tokens_out},
    }


def answer(explanation: str = "A stalled upstream holds the worker; pass a `timeout`.",
           replacement: dict[str, Any] | None = None) -> str:
    return json.dumps({"explanation": explanation, "replacement": replacement})


# The sample code is about RB203; other rules stay out of the expected findings (verification still
# runs every rule, as a review does).
RB203_ONLY = Config(select=frozenset({"RB203"}))


def analysed(files: dict[str, bytes], config: Config | None = None) -> list[Finding]:
    return analyze(files, config=config or RB203_ONLY).findings


@pytest.fixture
def rates_files() -> dict[str, bytes]:
    return {"app/rates.py": RATES_PY}


@pytest.fixture
def rates_findings(rates_files) -> list[Finding]:
    findings = analysed(rates_files)
    assert [(f.rule, f.line) for f in findings] == [("RB203", 9), ("RB203", 14)]
    return findings


@pytest.fixture
def llm_mock():
    """respx on the openai SDK's transport; any request to another URL fails the test."""
    with respx.mock(using="httpx2", assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture
def cache(tmp_path) -> ExplanationCache:
    cache = ExplanationCache(f"sqlite:///{tmp_path / 'cache.sqlite3'}")
    yield cache
    cache.engine.dispose()
