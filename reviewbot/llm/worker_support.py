"""The explanation step as the review worker calls it (`reviewbot.jobs.ports.FindingExplainer`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reviewbot.config import Config
from reviewbot.findings import Finding
from reviewbot.jobs.ports import ExplainedFindings
from reviewbot.llm.cache import ExplanationCache
from reviewbot.llm.cards import (
    RuleCard,
    RuleCardError,
    RuleCardSet,
    builtin_rule_cards,
    parse_rule_card,
    parse_rule_cards,
)
from reviewbot.llm.explainer import explain_findings
from reviewbot.llm.settings import LlmSettings
from reviewbot.llm.stats import ExplanationStats


def cards_for_review(config: Config, team_cards: Mapping[str, str] | None = None,
                     builtin: RuleCardSet | None = None) -> RuleCardSet:
    """Our cards merged with a repository's (`{path: text}` of `rule-cards-dir/*.md`). Read the
    repository's cards from its default branch: a pull request must not rewrite its own rules.
    Strict: a malformed card raises `RuleCardError` (see `usable_team_cards` for the App)."""
    cards = builtin or builtin_rule_cards()
    if not team_cards:
        return cards
    return cards.merged(parse_rule_cards(team_cards), config.llm.rule_cards_mode)


@dataclass(frozen=True)
class TeamCards:
    """A repository's cards that can be used, and one message per file that cannot."""

    cards: dict[str, RuleCard]
    errors: list[str]


def usable_team_cards(files: Mapping[str, bytes]) -> TeamCards:
    """Parse a repository's card files one by one: a malformed card (or one reusing another's id)
    is left out with an error naming the file, and the others are used. Lenient where
    `cards_for_review` is strict, because on the App a card error must not cost the review."""
    cards: dict[str, RuleCard] = {}
    errors: list[str] = []
    for source in sorted(files):
        try:
            text = files[source].decode("utf-8")
        except UnicodeDecodeError:
            errors.append(f"{source}: rule card is not UTF-8 text")
            continue
        try:
            card = parse_rule_card(text, source)
        except RuleCardError as error:
            errors.append(str(error))
            continue
        if card.id in cards:
            errors.append(f"{source}: rule card id {card.id!r} is also used by {cards[card.id].source}")
            continue
        cards[card.id] = card
    return TeamCards(cards, errors)


class ReviewExplainer:
    """Explains a review's findings. One instance serves every run and worker thread: it keeps
    nothing per run, and returns each run's counters with its findings for the run record.
    `on_stats`, when given, also receives them (e.g. for metrics)."""

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

    def __call__(self, findings: Sequence[Finding], sources: Mapping[str, bytes], config: Config, *,
                 team_cards: Mapping[str, bytes] | None = None,
                 model_sources: Mapping[str, bytes] | None = None) -> ExplainedFindings:
        team = usable_team_cards(team_cards or {})
        notes = [f"A rule card of this repository was not used: {error}" for error in team.errors]
        cards = self._base_cards(config) if team.cards or self._cards_for is not None else None
        if cards is not None and team.cards:
            cards = cards.merged(team.cards, config.llm.rule_cards_mode)
        outcome = explain_findings(findings, sources, config, self._settings, self._cache, cards=cards,
                                   model_sources=model_sources)
        if self._on_stats is not None:
            self._on_stats(outcome.stats)
        stats = outcome.stats.to_dict()
        stats["team_rule_cards"] = sorted(card.source for card in team.cards.values())
        stats["rule_card_errors"] = team.errors
        return ExplainedFindings(outcome.findings, stats, notes)

    def _base_cards(self, config: Config) -> RuleCardSet | None:
        """Our cards, for a repository's cards to extend. None when they cannot be loaded, which
        the explanation step reports (and then explains nothing)."""
        if self._cards_for is not None:
            return self._cards_for(config)
        prompts_dir = self._settings.prompts_dir
        try:
            return builtin_rule_cards(prompts_dir / "rules" if prompts_dir else None)
        except RuleCardError:
            return None
