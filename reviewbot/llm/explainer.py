"""Explain findings with a language model, within a budget, without ever letting it decide anything.

The deterministic checks decide what is reported, where and how severely. This module only fills two
fields of a finding, `explanation` and `suggestion`, and only through `_with_text`. Whatever the
model does not answer in time, within budget and on schema keeps the checker's own message.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reviewbot.config import Config
from reviewbot.findings import Finding
from reviewbot.llm.answer import AnswerError, ModelAnswer, Replacement, parse_answer
from reviewbot.llm.cache import CachedAnswer, ExplanationCache, cache_key
from reviewbot.llm.cards import RuleCardError, RuleCardSet, builtin_rule_cards
from reviewbot.llm.client import ChatClient, LlmCallError, OpenAIChatClient
from reviewbot.llm.context import build_context
from reviewbot.llm.prompts import PROMPT_VERSION, PromptParts, render_correction, render_messages, rule_doc
from reviewbot.llm.sanitize import allowed_link_hosts, sanitize_explanation
from reviewbot.llm.settings import LlmSettings
from reviewbot.llm.stats import ExplanationStats
from reviewbot.llm.verify import SuggestionVerifier, Verdict

CHARS_PER_TOKEN_ESTIMATE = 3  # code is token-dense; over-estimating keeps the budget a hard limit


@dataclass(frozen=True)
class ExplanationBudget:
    max_findings: int = 30
    max_tokens: int = 80_000
    deadline: float = 90.0  # seconds for all explanations of one review

    @classmethod
    def for_review(cls, config: Config, settings: LlmSettings) -> ExplanationBudget:
        return cls(config.llm.max_findings, config.llm.max_tokens, settings.deadline)


@dataclass(frozen=True)
class ExplanationOutcome:
    findings: list[Finding]  # same order and same findings as given; only explanation/suggestion set
    stats: ExplanationStats


@dataclass
class _Job:
    parts: PromptParts
    indices: list[int]
    answer: ModelAnswer | None = None  # replacement lines relative to the finding's first line
    tokens_in: int = 0
    tokens_out: int = 0
    fresh: bool = False  # answered by the model in this run (to be cached)


class _TokenBudget:
    """Reserve an upper estimate before a call, settle with the real usage after it, so that
    concurrent calls together never start beyond the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.reserved = 0

    def reserve(self, tokens: int) -> bool:
        if self.used + self.reserved + tokens > self.limit:
            return False
        self.reserved += tokens
        return True

    def settle(self, reserved: int, used: int) -> None:
        self.reserved -= reserved
        self.used += used


def explain_findings(
    findings: Sequence[Finding],
    files: Mapping[str, bytes],
    config: Config,
    client_settings: LlmSettings,
    cache: ExplanationCache | None = None,
    budget: ExplanationBudget | None = None,
    *,
    cards: RuleCardSet | None = None,
    client: ChatClient | None = None,
    model_sources: Mapping[str, bytes] | None = None,
) -> ExplanationOutcome:
    """Synchronous entry point (CLI, queue worker). See `explain_findings_async`."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(
            explain_findings_async(
                findings, files, config, client_settings, cache, budget,
                cards=cards, client=client, model_sources=model_sources,
            )
        )
    raise RuntimeError("explain_findings() was called inside an event loop; await explain_findings_async()")


async def explain_findings_async(
    findings: Sequence[Finding],
    files: Mapping[str, bytes],
    config: Config,
    client_settings: LlmSettings,
    cache: ExplanationCache | None = None,
    budget: ExplanationBudget | None = None,
    *,
    cards: RuleCardSet | None = None,
    client: ChatClient | None = None,
    model_sources: Mapping[str, bytes] | None = None,
) -> ExplanationOutcome:
    """Explain up to `budget.max_findings` findings (most severe first) of one review.

    `files` holds the reviewed files' contents (path -> bytes); `cards` the rule cards in force
    (ours by default; a team's cards must come from the base branch, not from the pull request).
    Never raises for anything the endpoint or the cache does: those findings keep their text.
    """
    findings = list(findings)
    stats = ExplanationStats(findings=len(findings), prompt_version=PROMPT_VERSION)
    if not config.llm.enabled:
        stats.disabled_reason = "turned off by [tool.reviewbot.llm] enabled = false"
        return ExplanationOutcome(findings, stats)
    if client is None and not client_settings.configured:
        stats.disabled_reason = client_settings.unconfigured_reason
        return ExplanationOutcome(findings, stats)
    budget = budget or ExplanationBudget.for_review(config, client_settings)
    stats.enabled = True
    stats.model = model = client_settings.model or "unnamed"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget.deadline

    prompts_dir = client_settings.prompts_dir
    if cards is None:
        try:
            cards = builtin_rule_cards(prompts_dir / "rules" if prompts_dir else None)
        except RuleCardError as error:  # an installation without its prompts: say so, review on
            stats.enabled = False
            stats.disabled_reason = str(error)
            return ExplanationOutcome(findings, stats)
    jobs = _plan(findings, files, cards, model, budget, stats)

    cached: dict[str, CachedAnswer] = {}
    if cache is not None and jobs:
        try:
            cached = cache.get_many(jobs)
        except Exception as error:  # noqa: BLE001 - a cache outage must not cost the review
            stats.cache_errors += 1
            stats.note(f"cache lookup failed: {type(error).__name__}: {error}")
    for key, job in jobs.items():
        if key in cached:
            job.answer = cached[key].answer
            stats.cache_hits += len(job.indices)
        else:
            stats.cache_misses += len(job.indices)

    pending = [job for key, job in jobs.items() if key not in cached]
    if pending:
        active = client
        if active is None:
            try:
                active = OpenAIChatClient(client_settings)
            except Exception as error:  # noqa: BLE001 - e.g. a malformed OPENAI_BASE_URL
                stats.note(f"cannot create the endpoint client: {type(error).__name__}: {error}")
        if active is not None:
            try:
                await _ask_all(pending, active, client_settings, budget, deadline, stats)
            finally:
                if client is None and isinstance(active, OpenAIChatClient):
                    await active.aclose()

    if cache is not None:
        fresh = {
            key: (model, job.parts.finding.rule, CachedAnswer(job.answer, job.tokens_in, job.tokens_out))
            for key, job in jobs.items()
            if job.fresh and job.answer is not None
        }
        try:
            cache.put_many(fresh)
        except Exception as error:  # noqa: BLE001
            stats.cache_errors += 1
            stats.note(f"cache store failed: {type(error).__name__}: {error}")

    explained = _apply(findings, jobs, files, model_sources, config, client_settings, stats)
    stats.kept_checker_text = stats.selected - stats.explained
    return ExplanationOutcome(explained, stats)


def _plan(
    findings: list[Finding], files: Mapping[str, bytes], cards: RuleCardSet, model: str,
    budget: ExplanationBudget, stats: ExplanationStats,
) -> dict[str, _Job]:
    """Choose the findings to explain (most severe first, then in review order) and group those
    whose prompts would be identical, so that each distinct prompt is asked once."""
    order = sorted(range(len(findings)), key=lambda i: (-findings[i].severity.rank, i))
    jobs: dict[str, _Job] = {}
    for index in order:
        finding = findings[index]
        source = files.get(finding.path)
        if source is None:
            stats.skipped_no_source += 1
            continue
        if stats.selected >= budget.max_findings:
            stats.skipped_max_findings += 1
            continue
        stats.selected += 1
        parts = PromptParts(finding, cards.for_finding(finding), rule_doc(finding.rule), build_context(source, finding))
        key = cache_key(model, parts)
        if key in jobs:
            jobs[key].indices.append(index)
        else:
            jobs[key] = _Job(parts, [index])
    return jobs


async def _ask_all(
    jobs: list[_Job], client: ChatClient, settings: LlmSettings, budget: ExplanationBudget,
    deadline: float, stats: ExplanationStats,
) -> None:
    loop = asyncio.get_running_loop()
    semaphore = asyncio.Semaphore(settings.concurrency)
    tokens = _TokenBudget(budget.max_tokens)
    tasks = {asyncio.create_task(_ask(job, client, settings, semaphore, tokens, stats)): job for job in jobs}
    remaining = deadline - loop.time()
    done, late = await asyncio.wait(tasks, timeout=max(0.0, remaining)) if remaining > 0 else (set(), set(tasks))
    for task in late:
        task.cancel()
    if late:
        await asyncio.gather(*late, return_exceptions=True)
    for task in late:
        job = tasks[task]
        stats.deadline_missed += len(job.indices)
        stats.note(f"{_where(job)}: no answer before the review's deadline of {budget.deadline:g} s")
    for task in done:
        error = task.exception()
        if error is not None:  # a bug in this module must not cost the review either
            stats.note(f"{_where(tasks[task])}: {type(error).__name__}: {error}")


async def _ask(
    job: _Job, client: ChatClient, settings: LlmSettings, semaphore: asyncio.Semaphore,
    tokens: _TokenBudget, stats: ExplanationStats,
) -> None:
    async with semaphore:
        messages = render_messages(job.parts, directory=settings.prompts_dir)
        for attempt in (1, 2):  # a malformed or off-schema answer is asked once more
            estimate = sum(len(m["content"]) for m in messages) // CHARS_PER_TOKEN_ESTIMATE
            estimate += settings.max_output_tokens
            if not tokens.reserve(estimate):
                stats.skipped_token_budget += len(job.indices)
                stats.note(f"{_where(job)}: skipped, the review's token budget of {tokens.limit} is spent")
                return
            used = 0
            try:
                completion = await client.complete(messages, max_output_tokens=settings.max_output_tokens)
            except LlmCallError as error:
                used = error.tokens_in + error.tokens_out
                stats.llm_calls += 1 + error.retries
                stats.retries += error.retries
                stats.tokens_in += error.tokens_in
                stats.tokens_out += error.tokens_out
                stats.count_failure(error.kind)
                stats.note(f"{_where(job)}: {error}")
                return
            finally:
                tokens.settle(estimate, used)
            tokens.used += completion.tokens_in + completion.tokens_out
            stats.llm_calls += 1 + completion.retries
            stats.retries += completion.retries
            stats.tokens_in += completion.tokens_in
            stats.tokens_out += completion.tokens_out
            job.tokens_in += completion.tokens_in
            job.tokens_out += completion.tokens_out
            try:
                answer = parse_answer(completion.text)
            except AnswerError as error:
                if attempt == 2:
                    stats.count_failure(error.kind)
                    stats.note(f"{_where(job)}: {error.kind} answer: {error}")
                    return
                messages = [
                    *messages,
                    {"role": "assistant", "content": completion.text[:2000]},
                    {"role": "user", "content": render_correction(str(error), directory=settings.prompts_dir)},
                ]
                continue
            if completion.format_downgraded:
                stats.format_downgraded += 1
            job.answer = answer.relative_to(job.parts.finding.line)
            job.fresh = True
            return


def _apply(
    findings: list[Finding], jobs: Mapping[str, _Job], files: Mapping[str, bytes],
    model_sources: Mapping[str, bytes] | None, config: Config, settings: LlmSettings, stats: ExplanationStats,
) -> list[Finding]:
    hosts = allowed_link_hosts(settings.link_hosts)
    verifier = SuggestionVerifier({**(model_sources or {}), **files}, config)
    result = list(findings)
    for job in jobs.values():
        if job.answer is None:
            continue
        for index in sorted(job.indices):
            finding = findings[index]
            answer = job.answer.absolute_from(finding.line)
            explanation = sanitize_explanation(answer.explanation, hosts)
            if not explanation:
                continue
            suggestion = None
            if answer.replacement is not None and job.parts.replacement_allowed:
                stats.suggestions_offered += 1
                suggestion = _verified(verifier, finding, answer.replacement, stats)
            result[index] = _with_text(finding, explanation, suggestion)
            stats.explained += 1
    if not only_text_changed(findings, result):  # cannot happen through _with_text; checked all the same
        raise AssertionError("explanations changed more than explanation and suggestion")
    return result


def _verified(verifier: SuggestionVerifier, finding: Finding, replacement: Replacement,
              stats: ExplanationStats) -> str | None:
    where = f"{finding.rule} {finding.path}:{finding.line}"
    try:
        checked = verifier.verify(finding, replacement)
    except Exception as error:  # noqa: BLE001 - the explanation is still worth posting without it
        stats.note(f"{where}: verifying the suggestion failed: {type(error).__name__}: {error}")
        return None
    setattr(stats, checked.verdict.value, getattr(stats, checked.verdict.value) + 1)
    if checked.verdict is Verdict.VERIFIED:
        return checked.suggestion
    stats.note(f"{where}: suggestion {checked.verdict}: {checked.reason}")
    return None


def _with_text(finding: Finding, explanation: str, suggestion: str | None) -> Finding:
    """The one place a model's output reaches a finding."""
    return dataclasses.replace(finding, explanation=explanation, suggestion=suggestion)


def only_text_changed(before: Sequence[Finding], after: Sequence[Finding]) -> bool:
    """Whether `after` is `before` with at most explanation and suggestion changed, in the same order."""
    return len(before) == len(after) and all(
        dataclasses.replace(a, explanation=None, suggestion=None)
        == dataclasses.replace(b, explanation=None, suggestion=None)
        for a, b in zip(after, before, strict=True)
    )


def _where(job: _Job) -> str:
    finding = job.parts.finding
    return f"{finding.rule} {finding.path}:{finding.line}"
