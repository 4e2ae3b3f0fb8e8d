"""The package's public names are deliberate."""

from __future__ import annotations

import reviewbot.llm


def test_public_names():
    assert sorted(reviewbot.llm.__all__) == sorted([
        "ANSWER_SCHEMA", "PROMPT_VERSION", "AnswerError", "ChatClient", "Completion", "ExplanationBudget",
        "ExplanationCache", "ExplanationOutcome", "ExplanationStats", "LlmCallError", "LlmSettings",
        "ModelAnswer", "OpenAIChatClient", "Replacement", "ReviewExplainer", "RuleCard", "RuleCardError",
        "RuleCardSet", "SuggestionVerifier", "Verdict", "builtin_rule_cards", "cache_key", "cards_for_review",
        "explain_findings", "explain_findings_async", "load_rule_card_dir", "only_text_changed",
        "parse_answer", "parse_rule_cards", "sanitize_explanation",
    ])
    for name in reviewbot.llm.__all__:
        assert getattr(reviewbot.llm, name) is not None
