"""`reviewbot check --explain`: explanations for a local run, with a cache on this machine."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from reviewbot.config import Config
from reviewbot.findings import AnalysisResult
from reviewbot.llm.cache import ExplanationCache
from reviewbot.llm.cards import builtin_rule_cards, load_rule_card_dir
from reviewbot.llm.explainer import explain_findings
from reviewbot.llm.settings import LlmSettings
from reviewbot.llm.stats import ExplanationStats

SETUP_HINT = "set OPENAI_API_KEY and REVIEWBOT_LLM_MODEL (and OPENAI_BASE_URL for another endpoint)"


def default_cache_url(environ: Mapping[str, str]) -> str:
    base = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "reviewbot"
    base.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{base / 'llm-explanations.sqlite3'}"


def explain_for_cli(
    result: AnalysisResult,
    files: Mapping[str, bytes],
    config: Config,
    *,
    environ: Mapping[str, str] | None = None,
    root: Path | None = None,
    stderr: TextIO | None = None,
) -> AnalysisResult:
    """The analysis result with explanations (and verified suggestions) added where the endpoint
    answered. Raises `RuleCardError` (a `ConfigError`) for a malformed team rule card."""
    environ = os.environ if environ is None else environ
    stderr = stderr or sys.stderr
    settings = LlmSettings.from_environ(environ)
    if not config.llm.enabled:
        print("reviewbot: --explain: explanations are turned off by [tool.reviewbot.llm] enabled = false",
              file=stderr)
        return result
    if not settings.configured:
        print(f"reviewbot: --explain: explanations are off: {SETUP_HINT}", file=stderr)
        return result
    prompts_rules = settings.prompts_dir / "rules" if settings.prompts_dir else None
    cards = builtin_rule_cards(prompts_rules)
    if config.llm.rule_cards_dir:
        directory = Path(config.llm.rule_cards_dir)
        if not directory.is_absolute():
            directory = (root or Path.cwd()) / directory
        cards = cards.merged(load_rule_card_dir(directory), config.llm.rule_cards_mode)
    cache = ExplanationCache(settings.cache_url or default_cache_url(environ))
    try:
        outcome = explain_findings(result.findings, files, config, settings, cache, cards=cards)
    finally:
        cache.engine.dispose()
    summary = summarize(outcome.stats)
    if summary:
        print(summary, file=stderr)
    return AnalysisResult(findings=outcome.findings, errors=list(result.errors))


def summarize(stats: ExplanationStats) -> str:
    """One line about what the explanation step did, or "" when there was nothing to explain."""
    if not stats.enabled or stats.selected == 0:
        return ""
    parts = [f"reviewbot: explained {stats.explained} of {stats.findings} findings"]
    if stats.cache_hits:
        parts.append(f"{stats.cache_hits} from cache")
    if stats.suggestions_offered:
        parts.append(f"{stats.verified} of {stats.suggestions_offered} suggested fixes verified")
    line = ", ".join(parts)
    left = stats.findings - stats.explained
    if left:
        reasons = _reasons(stats)
        line += f"; {left} kept the checker's message" + (f" ({reasons})" if reasons else "")
    return line


def _reasons(stats: ExplanationStats) -> str:
    counted = [
        (stats.skipped_max_findings + stats.skipped_token_budget, "over budget"),
        (stats.deadline_missed, "past the deadline"),
        (stats.timeouts, "timed out"),
        (stats.rate_limited, "rate limited"),
        (stats.server_errors, "server errors"),
        (stats.connection_errors, "endpoint unreachable"),
        (stats.refusals, "refused"),
        (stats.malformed + stats.off_schema, "unusable answers"),
        (stats.bad_requests + stats.auth_errors, "rejected requests"),
    ]
    return ", ".join(f"{label}: {count}" for count, label in counted if count)
