"""The explanation step as the review worker calls it (`reviewbot.jobs.ports.FindingExplainer`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from reviewbot.config import Config
from reviewbot.findings import Finding
from reviewbot.llm.cache import ExplanationCache
from reviewbot.llm.cards import RuleCardSet, builtin_rule_cards, parse_rule_cards
from reviewbot.llm.explainer import explain_findings
from reviewbot.llm.settings import LlmSettings
from reviewbot.llm.stats import ExplanationStats


def cards_for_review(config: Config, team_cards: Mapping[str, str] | None = None,
                     builtin: RuleCardSet | None = None) -> RuleCardSet:
    """Our cards merged with a repository's (`{path: text}` of `rule-cards-dir/*.md`). Read the
    repository's cards from its default branch: a pull request must not rewrite its own rules."""
    cards = builtin or builtin_rule_cards()
    if not team_cards:
        return cards
    return cards.merged(parse_rule_cards(team_cards), config.llm.rule_cards_mode)


class ReviewExplainer:
    """Explains a review's findings; `on_stats` receives each run's counters for storage."""

    def __init__(
        self,
        settings: LlmSettings,
        cache: ExplanationCache | None = None,
        *,
        cards_for: Callable[[Config], RuleCardSet] | None = None,
        on_stats: Callable[[ExplanationStats], None] | None = None,
    ) -> None:
        self._settings = settings
        self._cache = cache
        self._cards_for = cards_for
        self._on_stats = on_stats

    @property
    def configured(self) -> bool:
        return self._settings.configured

    def __call__(self, findings: Sequence[Finding], sources: Mapping[str, bytes], config: Config) -> list[Finding]:
        cards = self._cards_for(config) if self._cards_for is not None else None
        outcome = explain_findings(findings, sources, config, self._settings, self._cache, cards=cards)
        if self._on_stats is not None:
            self._on_stats(outcome.stats)
        return outcome.findings
