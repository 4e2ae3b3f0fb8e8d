"""The App's state tables: webhook deliveries, review runs and per-pull-request locks.

SQLAlchemy 2 models that run on SQLite (the default, in the data directory) and PostgreSQL.
The schema is created on start-up with `create_all`, which creates missing tables but never
changes an existing one: a column added to a table after its first release is nullable and is
listed in `reviewbot.state.migrations.ADDED_COLUMNS`, which adds it to older databases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base. Every timestamp is naive UTC, the same on SQLite and PostgreSQL."""


class DeliveryRow(Base):
    """One signed webhook delivery. The primary key is GitHub's X-GitHub-Delivery GUID, so a
    redelivery (which keeps the GUID) can never be recorded, or queued, twice."""

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(16))  # queued, duplicate or ignored
    detail: Mapped[str] = mapped_column(Text, default="")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("review_runs.id"), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime())


class RunRow(Base):
    """One requested review of a pull request, from queued to its final status."""

    __tablename__ = "review_runs"
    __table_args__ = (Index("ix_review_runs_pull_request", "repository", "pr_number", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(String(64))
    installation_id: Mapped[int] = mapped_column(BigInteger)
    repository: Mapped[str] = mapped_column(String(255))
    pr_number: Mapped[int] = mapped_column(Integer)
    head_sha: Mapped[str | None] = mapped_column(String(64), nullable=True)
    trigger: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[str] = mapped_column(String(255), default="")
    comment_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    draft: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
    superseded_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    timings: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    file_errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    errors: Mapped[list[str]] = mapped_column(JSON, default=list)
    publication: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What the explanation step did (tokens in/out, cache hits, model calls, rule card errors);
    # None when it did not run. Added after the first release: see `ADDED_COLUMNS`.
    explanation_stats: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class PullRequestLockRow(Base):
    """Held by the run that is working on a pull request, so runs for one PR go one at a time.
    A lease: a worker that dies leaves a lock that expires instead of blocking the PR for good."""

    __tablename__ = "pr_locks"

    repository: Mapped[str] = mapped_column(String(255), primary_key=True)
    pr_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime())
