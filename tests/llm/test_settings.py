"""Endpoint settings come from the environment, and explanations are off unless configured."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reviewbot.llm import LlmSettings


def test_settings_are_read_from_the_given_environment_only(monkeypatch):
    monkeypatch.setenv("REVIEWBOT_LLM_MODEL", "from-process-env")
    settings = LlmSettings.from_environ({
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1",
        "REVIEWBOT_LLM_MODEL": "qwen2.5-coder",
        "REVIEWBOT_LLM_CONCURRENCY": "4",
        "REVIEWBOT_LLM_DEADLINE": "45",
        "REVIEWBOT_LLM_LINK_HOSTS": "Wiki.Example.com, docs.internal",
        "REVIEWBOT_LLM_STRUCTURED_OUTPUT": "none",
        "UNRELATED": "x",
    })
    assert settings.configured
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "sk-test"
    assert (settings.base_url, settings.model, settings.concurrency) == ("http://127.0.0.1:11434/v1",
                                                                         "qwen2.5-coder", 4)
    assert settings.deadline == 45.0 and settings.structured_output == "none"
    assert settings.link_hosts == ("wiki.example.com", "docs.internal")
    assert "sk-test" not in repr(settings)
    assert LlmSettings().model is None  # the class itself never reads the process environment


def test_the_process_environment_is_the_default(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("REVIEWBOT_LLM_MODEL", "gpt-test")
    assert LlmSettings.from_environ().configured


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({}, "OPENAI_API_KEY and REVIEWBOT_LLM_MODEL not set"),
        ({"OPENAI_API_KEY": "sk"}, "REVIEWBOT_LLM_MODEL not set"),
        ({"REVIEWBOT_LLM_MODEL": "m", "OPENAI_API_KEY": "  "}, "OPENAI_API_KEY not set"),
    ],
)
def test_explanations_are_off_without_a_key_and_a_model(environ, reason):
    settings = LlmSettings.from_environ(environ)
    assert not settings.configured
    assert settings.unconfigured_reason == reason


def test_defaults_bound_a_review():
    settings = LlmSettings()
    assert settings.concurrency == 30
    assert settings.max_attempts == 3 and settings.max_retry_wait == 10.0
    assert settings.call_timeout == 30.0 and settings.deadline == 90.0


@pytest.mark.parametrize("environ", [{"REVIEWBOT_LLM_CONCURRENCY": "0"}, {"REVIEWBOT_LLM_TIMEOUT": "-1"},
                                     {"REVIEWBOT_LLM_STRUCTURED_OUTPUT": "xml"}])
def test_invalid_values_are_refused_naming_the_variable(environ):
    with pytest.raises(ValidationError, match=next(iter(environ))):
        LlmSettings.from_environ(environ)
