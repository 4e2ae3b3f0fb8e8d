"""Optional explanations of findings by a language model: grounded in rule cards, cached, verified,
and never in charge of what is reported."""

from __future__ import annotations

from reviewbot.llm.answer import ANSWER_SCHEMA, AnswerError, ModelAnswer, Replacement, parse_answer
from reviewbot.llm.cache import ExplanationCache, cache_key
from reviewbot.llm.cards import (
    RuleCard,
    RuleCardError,
    RuleCardSet,
    builtin_rule_cards,
    load_rule_card_dir,
    parse_rule_cards,
)
from reviewbot.llm.client import ChatClient, Completion, LlmCallError, OpenAIChatClient
from reviewbot.llm.explainer import (
    ExplanationBudget,
    ExplanationOutcome,
    explain_findings,
    explain_findings_async,
    only_text_changed,
)
from reviewbot.llm.prompts import PROMPT_VERSION
from reviewbot.llm.sanitize import sanitize_explanation
from reviewbot.llm.settings import LlmSettings
from reviewbot.llm.stats import ExplanationStats
from reviewbot.llm.verify import SuggestionVerifier, Verdict
from reviewbot.llm.worker_support import ReviewExplainer, cards_for_review

__all__ = [
    "ANSWER_SCHEMA",
    "PROMPT_VERSION",
    "AnswerError",
    "ChatClient",
    "Completion",
    "ExplanationBudget",
    "ExplanationCache",
    "ExplanationOutcome",
    "ExplanationStats",
    "LlmCallError",
    "LlmSettings",
    "ModelAnswer",
    "OpenAIChatClient",
    "Replacement",
    "ReviewExplainer",
    "RuleCard",
    "RuleCardError",
    "RuleCardSet",
    "SuggestionVerifier",
    "Verdict",
    "builtin_rule_cards",
    "cache_key",
    "cards_for_review",
    "explain_findings",
    "explain_findings_async",
    "load_rule_card_dir",
    "only_text_changed",
    "parse_answer",
    "parse_rule_cards",
    "sanitize_explanation",
]
