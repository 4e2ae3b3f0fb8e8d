"""Plain, frozen views of the state tables: what the rest of the App reads and writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    QUEUED = "queued"  # waiting in the queue (first attempt, or a retry after a transient error)
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # the review and check run were posted
    SKIPPED = "skipped"  # nothing to post: a draft, an unauthorised command, a duplicate request
    SUPERSEDED = "superseded"  # a newer head SHA of the same pull request took over
    FAILED = "failed"  # gave up; `errors` says why and `findings` keeps what was found

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({RunStatus.SUCCEEDED, RunStatus.SKIPPED, RunStatus.SUPERSEDED, RunStatus.FAILED})
ACTIVE_STATUSES = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)

COMMAND_TRIGGER = "command"


@dataclass(frozen=True, slots=True)
class RunRequest:
    """A review to queue, from a webhook. `head_sha` is None for a `/perfcheck` command: the
    comment event does not carry one, so the worker reads the pull request's head."""

    installation_id: int
    repository: str
    number: int
    head_sha: str | None
    trigger: str  # the pull_request action, or "command"
    requested_by: str = ""
    comment_id: int | None = None
    draft: bool = False


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: str
    event: str
    action: str
    outcome: str
    detail: str
    run_id: int | None
    received_at: datetime


class IntakeOutcome(StrEnum):
    QUEUED = "queued"
    DUPLICATE_DELIVERY = "duplicate-delivery"  # this X-GitHub-Delivery was seen before
    DUPLICATE_RUN = "duplicate"  # a run for this head SHA is already queued or running
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class IntakeResult:
    outcome: IntakeOutcome
    run_id: int | None = None
    detail: str = ""
    # The queued run this one superseded before it started: its queue message starts this run,
    # so there is nothing to enqueue (see StateStore.current_run).
    carried_by: int | None = None


class HeadClaim(StrEnum):
    """What a command run may do once it knows the pull request's head SHA."""

    PROCEED = "proceed"
    DUPLICATE = "duplicate"  # an older run for the same head is still queued or running
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    delivery_id: str
    installation_id: int
    repository: str
    number: int
    head_sha: str | None
    trigger: str
    requested_by: str
    comment_id: int | None
    draft: bool
    status: RunStatus
    detail: str
    superseded_by: int | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    timings: dict[str, float] = field(default_factory=dict)
    api_calls: int = 0
    findings: list[dict[str, Any]] | None = None
    file_errors: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    publication: dict[str, Any] = field(default_factory=dict)
    explanation_stats: dict[str, Any] | None = None  # None: the explanation step did not run

    @property
    def is_command(self) -> bool:
        return self.trigger == COMMAND_TRIGGER
