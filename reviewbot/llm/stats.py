"""What happened while explaining one review: counters the worker stores per run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

MAX_ERRORS = 20
FAILURE_COUNTERS = {
    "rate_limited": "rate_limited",
    "server_error": "server_errors",
    "timeout": "timeouts",
    "connection": "connection_errors",
    "refused": "refusals",
    "bad_request": "bad_requests",
    "auth": "auth_errors",
    "malformed": "malformed",
    "off_schema": "off_schema",
}


@dataclass
class ExplanationStats:
    enabled: bool = False
    disabled_reason: str = ""
    model: str = ""
    prompt_version: str = ""
    findings: int = 0  # findings handed in
    selected: int = 0  # within the per-review budget of findings
    explained: int = 0  # findings that now carry an explanation
    kept_checker_text: int = 0  # selected findings that kept only the checker's message
    cache_hits: int = 0  # per finding
    cache_misses: int = 0  # per finding
    llm_calls: int = 0  # chat-completion requests, retries included
    retries: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    skipped_max_findings: int = 0
    skipped_token_budget: int = 0
    skipped_no_source: int = 0
    deadline_missed: int = 0
    # failures, one per unanswered prompt
    rate_limited: int = 0
    server_errors: int = 0
    timeouts: int = 0
    connection_errors: int = 0
    refusals: int = 0
    bad_requests: int = 0
    auth_errors: int = 0
    malformed: int = 0
    off_schema: int = 0
    format_downgraded: int = 0  # answers obtained after the endpoint refused structured output
    cache_errors: int = 0
    # suggestions
    suggestions_offered: int = 0
    verified: int = 0
    rejected_parse: int = 0
    rejected_still_fires: int = 0
    rejected_new_findings: int = 0
    rejected_out_of_range: int = 0
    rejected_unsafe: int = 0
    errors: list[str] = field(default_factory=list)

    def count_failure(self, kind: str) -> None:
        attribute = FAILURE_COUNTERS.get(kind, "bad_requests")
        setattr(self, attribute, getattr(self, attribute) + 1)

    def note(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message if len(message) <= 200 else message[:199] + "…")

    @property
    def cache_hit_rate(self) -> float:
        looked_up = self.cache_hits + self.cache_misses
        return self.cache_hits / looked_up if looked_up else 0.0

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["cache_hit_rate"] = round(self.cache_hit_rate, 4)
        return data
