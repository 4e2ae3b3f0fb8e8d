"""Wiring: which explainer the worker gets from the environment."""

from __future__ import annotations

import pytest

from reviewbot.app.runtime import explainer_from_environment
from reviewbot.settings import SettingsError


def test_no_endpoint_means_no_explanations(store):
    assert explainer_from_environment(store, {}) is None
    assert explainer_from_environment(store, {"OPENAI_API_KEY": "sk-test"}) is None


def test_an_endpoint_plugs_the_explainer_in_between_analysis_and_publishing(store):
    from reviewbot.llm.worker_support import ReviewExplainer

    explainer = explainer_from_environment(store, {"OPENAI_API_KEY": "sk-test", "REVIEWBOT_LLM_MODEL": "gpt-test"})
    assert isinstance(explainer, ReviewExplainer) and explainer.configured


def test_a_malformed_explanation_setting_names_its_variable(store):
    with pytest.raises(SettingsError, match="REVIEWBOT_LLM_CONCURRENCY"):
        explainer_from_environment(store, {"OPENAI_API_KEY": "sk-test", "REVIEWBOT_LLM_MODEL": "m",
                                           "REVIEWBOT_LLM_CONCURRENCY": "lots"})
