"""Answers already paid for, keyed by what the prompt was made of.

The key covers the model, the prompt version, the rule, the grounding texts and the code shown
(independent of its line position), so a re-push or the same code in another pull request costs no
tokens. One table, created on first use, in SQLite by default or shared in PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from reviewbot.llm.answer import ModelAnswer, Replacement
from reviewbot.llm.prompts import PROMPT_VERSION, PromptParts

TABLE_NAME = "reviewbot_llm_explanations"
_UPSERT_DIALECTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}

metadata = sa.MetaData()
explanations = sa.Table(
    TABLE_NAME,
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("prompt_version", sa.String(40), nullable=False),
    sa.Column("rule", sa.String(40), nullable=False),
    sa.Column("explanation", sa.Text, nullable=False),
    # Replacement lines are stored relative to the finding's first line (see ModelAnswer.relative_to).
    sa.Column("replacement_start", sa.Integer, nullable=True),
    sa.Column("replacement_end", sa.Integer, nullable=True),
    sa.Column("replacement_code", sa.Text, nullable=True),
    sa.Column("tokens_in", sa.Integer, nullable=False, default=0),
    sa.Column("tokens_out", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)


def cache_key(model: str, parts: PromptParts) -> str:
    card = parts.card.digest if parts.card is not None else ""
    material = [
        model,
        PROMPT_VERSION,
        parts.finding.rule,
        card,
        hashlib.sha256(parts.rule_doc.encode()).hexdigest(),
        parts.finding.message,
        parts.context.digest(),
        str(parts.replacement_allowed),
    ]
    return hashlib.sha256(json.dumps(material).encode()).hexdigest()


@dataclass(frozen=True)
class CachedAnswer:
    answer: ModelAnswer  # replacement lines relative to the finding's first line
    tokens_in: int
    tokens_out: int


class ExplanationCache:
    """The cache table on an Engine (shared with the state database) or a database URL."""

    def __init__(self, engine_or_url: Engine | str) -> None:
        self.engine = sa.create_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
        self._ready = False

    def _ensure_table(self) -> None:
        if self._ready:
            return
        try:
            metadata.create_all(self.engine, checkfirst=True)
        except (IntegrityError, ProgrammingError, OperationalError):
            # Another worker created it at the same moment; anything else shows up on first use.
            pass
        self._ready = True

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedAnswer]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        self._ensure_table()
        found: dict[str, CachedAnswer] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), 500):
                rows = connection.execute(
                    sa.select(explanations).where(explanations.c.key.in_(wanted[start : start + 500]))
                )
                for row in rows:
                    found[row.key] = CachedAnswer(_answer(row), row.tokens_in, row.tokens_out)
        return found

    def put_many(self, entries: Mapping[str, tuple[str, str, CachedAnswer]]) -> None:
        """Store {key: (model, rule, answer)}; a key stored concurrently by another worker is kept."""
        if not entries:
            return
        self._ensure_table()
        rows = []
        for key, (model, rule, cached) in sorted(entries.items()):
            replacement = cached.answer.replacement
            rows.append({
                "key": key,
                "model": model[:200],
                "prompt_version": PROMPT_VERSION,
                "rule": rule[:40],
                "explanation": cached.answer.explanation,
                "replacement_start": replacement.start_line if replacement else None,
                "replacement_end": replacement.end_line if replacement else None,
                "replacement_code": replacement.code if replacement else None,
                "tokens_in": cached.tokens_in,
                "tokens_out": cached.tokens_out,
            })
        dialect = self.engine.dialect.name
        if dialect in _UPSERT_DIALECTS:
            # One transaction; a key another worker stored meanwhile is kept as it is.
            statement = _UPSERT_DIALECTS[dialect](explanations).on_conflict_do_nothing(index_elements=["key"])
            with self.engine.begin() as connection:
                connection.execute(statement, rows)
            return
        for row in rows:
            try:
                with self.engine.begin() as connection:
                    connection.execute(sa.insert(explanations).values(**row))
            except IntegrityError:
                continue

    def count(self) -> int:
        self._ensure_table()
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(explanations)).scalar_one())


def _answer(row: sa.Row) -> ModelAnswer:  # type: ignore[type-arg]
    if row.replacement_code is None or row.replacement_start is None or row.replacement_end is None:
        return ModelAnswer(row.explanation)
    return ModelAnswer(row.explanation, Replacement(row.replacement_start, row.replacement_end, row.replacement_code))
