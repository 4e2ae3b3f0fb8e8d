"""Prompt rendering: versioned Jinja2 templates in `prompts/`, filled from a finding and its code.

The code of the pull request is untrusted; it goes between markers carrying a random nonce that the
code cannot know in advance, and the system prompt says that whatever is between them is data.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from reviewbot.checks.registry import rule_by_code
from reviewbot.findings import Finding
from reviewbot.llm.cards import PROMPTS_DIR, RuleCard
from reviewbot.llm.context import CodeContext
from reviewbot.llm.sanitize import MAX_EXPLANATION_CHARS

PROMPT_VERSION = "explain.v1"
MAX_REPLACEABLE_LINES = 25  # longer flagged spans get an explanation only
RULE_DOC_SECTIONS = ("What it does", "Why is this bad?", "Use instead")


@dataclass(frozen=True)
class PromptParts:
    """Everything a prompt is made of except the nonce: also what the cache key is computed from."""

    finding: Finding
    card: RuleCard | None
    rule_doc: str
    context: CodeContext

    @property
    def replacement_allowed(self) -> bool:
        return self.context.flagged_last - self.context.flagged_first < MAX_REPLACEABLE_LINES


def rule_doc(code: str) -> str:
    rule = rule_by_code(code)
    if rule is None:
        return ""
    sections = rule.doc_sections()
    return "\n\n".join(f"{title}\n{sections[title]}" for title in RULE_DOC_SECTIONS if sections.get(title))


@lru_cache(maxsize=4)
def _environment(directory: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text prompts, not HTML
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def new_nonce(code: str, make: Callable[[], str] = lambda: secrets.token_hex(8)) -> str:
    """A delimiter the code does not contain (regenerated in the unlikely case it does)."""
    while True:
        nonce = make()
        if nonce not in code:
            return nonce


def render_messages(parts: PromptParts, *, nonce: str | None = None,
                    directory: Path | None = None) -> list[dict[str, str]]:
    env = _environment(directory or PROMPTS_DIR)
    untrusted = "\n".join((parts.context.numbered(), *parts.context.imports, parts.finding.message))
    nonce = nonce or new_nonce(untrusted)
    values = {
        "nonce": nonce,
        "finding": parts.finding,
        "card": parts.card,
        "rule_doc": parts.rule_doc,
        "context": parts.context,
        "numbered_code": parts.context.numbered(),
        "imports": "\n".join(parts.context.imports),
        "replacement_allowed": parts.replacement_allowed,
        "max_explanation_chars": MAX_EXPLANATION_CHARS,
    }
    return [
        {"role": "system", "content": env.get_template(f"{PROMPT_VERSION}.system.j2").render(values).strip()},
        {"role": "user", "content": env.get_template(f"{PROMPT_VERSION}.user.j2").render(values).strip()},
    ]


def render_correction(problem: str, *, directory: Path | None = None) -> str:
    env = _environment(directory or PROMPTS_DIR)
    return env.get_template(f"{PROMPT_VERSION}.correction.j2").render(problem=problem).strip()
