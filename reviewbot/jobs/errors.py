"""Which failures of a review attempt are worth retrying, and how they read in the run record."""

from __future__ import annotations

from reviewbot.jobs.ports import TransientError

_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_MAX_MESSAGE = 500


def is_transient(error: BaseException) -> bool:
    """True for errors that may pass on their own: GitHub 5xx and rate limits, timeouts and
    dropped connections. A 4xx (bad credentials, a missing repository) will not."""
    if isinstance(error, TransientError | ConnectionError | TimeoutError):
        return True
    try:
        import requests
    except ImportError:  # pragma: no cover - requests comes with PyGithub
        requests = None  # type: ignore[assignment]
    if requests is not None and isinstance(error, requests.ConnectionError | requests.Timeout):
        return True
    try:
        from github import GithubException, RateLimitExceededException
    except ImportError:  # pragma: no cover - PyGithub is a dependency
        return False
    if isinstance(error, RateLimitExceededException):
        return True
    if isinstance(error, GithubException):
        if error.status in _RETRY_STATUSES:
            return True
        return error.status == 403 and "rate limit" in str(error).lower()
    return False


def describe(error: BaseException) -> str:
    """One line for the run record: the error type and its message, clipped."""
    text = " ".join(str(error).split()) or "(no message)"
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 1] + "…"
    return f"{type(error).__name__}: {text}"
