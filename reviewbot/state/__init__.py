"""The App's state database: webhook deliveries, review runs and per-pull-request locks."""

from reviewbot.state.records import (
    DeliveryRecord,
    HeadClaim,
    IntakeOutcome,
    IntakeResult,
    RunRecord,
    RunRequest,
    RunStatus,
)
from reviewbot.state.store import StateStore, create_state_engine, utcnow

__all__ = [
    "DeliveryRecord",
    "HeadClaim",
    "IntakeOutcome",
    "IntakeResult",
    "RunRecord",
    "RunRequest",
    "RunStatus",
    "StateStore",
    "create_state_engine",
    "utcnow",
]
