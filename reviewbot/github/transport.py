"""Every GitHub API request goes through `GitHubTransport`: it counts requests, paces writes,
and retries what is safe to retry.

PyGithub's requester sends the requests (authentication, base URL, GHES GraphQL URL). Its own
urllib3 retries are switched off: they would retry a POST after a 5xx (a duplicate review), hide
the retried requests from the count, and sleep where tests cannot see. Here:

- reads (GET, GraphQL queries) are retried on 5xx, dropped connections and rate limits, waiting
  as `Retry-After` / `x-ratelimit-reset` say, or with exponential backoff;
- writes (POST, PATCH, PUT, DELETE, GraphQL mutations) are sent once. A failure raises
  `GitHubApiError` with `retry_after` filled in, and the caller decides: posting a review, for
  one, first checks whether the failed request created it after all;
- writes are spaced `seconds_between_writes` apart, as GitHub asks of content-creating requests.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from github import GithubException
from github.Requester import Requester

READ_METHODS = frozenset({"GET"})
_LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


class GitHubApiError(Exception):
    """GitHub answered with an error status (or a GraphQL error). `messages` are GitHub's texts
    (the top-level message and each entry of `errors`); `retry_after` is how long to wait before
    trying again, when the error is a rate limit or a server error."""

    def __init__(self, status: int, messages: tuple[str, ...], *, endpoint: str = "",
                 retry_after: float | None = None, data: object = None) -> None:
        self.status = status
        self.messages = messages
        self.endpoint = endpoint
        self.retry_after = retry_after
        self.data = data
        text = "; ".join(messages) or "no message"
        super().__init__(f"GitHub {endpoint or 'API'} answered {status}: {text}")

    @property
    def is_transient(self) -> bool:
        """A server error, a dropped connection (status 0) or a rate limit: the same request may
        succeed later."""
        return self.status in _TRANSIENT_STATUSES or self.status == 0 or self.retry_after is not None

    @property
    def text(self) -> str:
        return " ".join(self.messages)


class NotFound(GitHubApiError):
    """404: the repository, pull request, file or object does not exist (or the App cannot see it)."""


class RateLimited(GitHubApiError):
    """A rate limit whose reset is further away than the transport is willing to wait."""


class ApiCallCounter:
    """Requests sent to GitHub, in total and per endpoint label; retries count as requests."""

    def __init__(self) -> None:
        self.total = 0
        self.by_endpoint: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, endpoint: str) -> None:
        with self._lock:
            self.total += 1
            self.by_endpoint[endpoint] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.by_endpoint.items()))


@dataclass(frozen=True)
class RetryPolicy:
    """How reads are retried. Waits longer than `max_wait` are not slept: `RateLimited` is raised
    so the job can be queued again later instead of holding a worker."""

    max_attempts: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    secondary_rate_wait: float = 60.0
    max_wait: float = 300.0

    def backoff(self, attempt: int) -> float:
        return min(self.backoff_base * 2 ** max(attempt - 1, 0), self.backoff_max)


class GitHubTransport:
    def __init__(self, requester: Requester, *, retry: RetryPolicy | None = None,
                 seconds_between_writes: float = 1.0, counter: ApiCallCounter | None = None,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self._requester = requester
        self.retry = retry or RetryPolicy()
        self._seconds_between_writes = seconds_between_writes
        self.counter = counter or ApiCallCounter()
        self.sleep = sleep
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._write_lock = threading.Lock()
        self._last_write: float | None = None

    @property
    def graphql_url(self) -> str:
        return self._requester.graphql_url

    @property
    def base_url(self) -> str:
        return self._requester.base_url

    # ------------------------------------------------------------ REST

    def get(self, path: str, params: Mapping[str, Any] | None = None, *,
            endpoint: str) -> tuple[dict[str, Any], Any]:
        """GET `path` (relative to the API base URL, or an absolute URL from a Link header)."""
        return self._read(lambda: self._send("GET", path, params, None, endpoint), endpoint)

    def get_pages(self, path: str, params: Mapping[str, Any] | None = None, *, endpoint: str,
                  max_items: int | None = None) -> list[Any]:
        """Every item of a paginated list, following `Link: rel="next"`, up to `max_items`."""
        items: list[Any] = []
        url: str | None = path
        query: Mapping[str, Any] | None = {"per_page": 100, **(params or {})}
        while url is not None and (max_items is None or len(items) < max_items):
            headers, data = self.get(url, query, endpoint=endpoint)
            items.extend(data if isinstance(data, list) else [])
            url, query = next_page_url(headers), None
        return items if max_items is None else items[:max_items]

    def write(self, method: str, path: str, body: Mapping[str, Any] | None = None, *,
              endpoint: str) -> tuple[dict[str, Any], Any]:
        """One write request, never retried here."""
        assert method not in READ_METHODS
        self._pace_write()
        try:
            return self._send(method, path, None, body, endpoint)
        except GithubException as error:
            raise self._api_error(error, endpoint) from None

    # ------------------------------------------------------------ GraphQL

    def query(self, document: str, variables: Mapping[str, Any], *, endpoint: str) -> dict[str, Any]:
        """A GraphQL query (a read: retried like a GET). Returns `data`; raises on any error."""
        return self._read(lambda: self._graphql(document, variables, endpoint), endpoint)

    def mutate(self, document: str, variables: Mapping[str, Any], *,
               endpoint: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A GraphQL mutation, sent once. Returns `data` and the `errors` list (partial success
        is normal: each aliased mutation succeeds or fails on its own)."""
        self._pace_write()
        try:
            _, payload = self._send("POST", self.graphql_url, None, {"query": document, "variables": dict(variables)},
                                    endpoint)
        except GithubException as error:
            raise self._api_error(error, endpoint) from None
        payload = payload if isinstance(payload, dict) else {}
        return payload.get("data") or {}, list(payload.get("errors") or [])

    # ------------------------------------------------------------ waiting

    def wait_before_retry(self, error: GitHubApiError, attempt: int) -> None:
        """Sleep as long as `error` asks before request number `attempt + 1` (callers that
        retry writes themselves use this). Raises `RateLimited` when that is too long."""
        wait = error.retry_after if error.retry_after is not None else self.retry.backoff(attempt)
        if wait > self.retry.max_wait:
            raise RateLimited(error.status, error.messages, endpoint=error.endpoint, retry_after=wait) from None
        if wait > 0:
            self.sleep(wait)

    # ------------------------------------------------------------ internals

    def _read(self, send: Callable[[], Any], endpoint: str) -> Any:
        attempt = 0
        while True:
            attempt += 1
            try:
                return send()
            except GithubException as raw:
                error = self._api_error(raw, endpoint)
            except GitHubApiError as graphql_error:
                error = graphql_error
            except (requests.ConnectionError, requests.Timeout) as dropped:
                error = GitHubApiError(0, (f"{type(dropped).__name__}: {dropped}",), endpoint=endpoint)
            if not error.is_transient or attempt >= self.retry.max_attempts:
                if error.retry_after is not None and error.status in (403, 429):
                    raise RateLimited(error.status, error.messages, endpoint=endpoint,
                                      retry_after=error.retry_after, data=error.data) from None
                raise error
            wait = error.retry_after if error.retry_after is not None else self.retry.backoff(attempt)
            if wait > self.retry.max_wait:
                raise RateLimited(error.status, error.messages, endpoint=endpoint, retry_after=wait,
                                  data=error.data) from None
            if wait > 0:
                self.sleep(wait)

    def _send(self, method: str, path: str, params: Mapping[str, Any] | None, body: Mapping[str, Any] | None,
              endpoint: str) -> tuple[dict[str, Any], Any]:
        self.counter.record(endpoint)
        return self._requester.requestJsonAndCheck(method, path, parameters=dict(params) if params else None,
                                                   input=dict(body) if body is not None else None)

    def _graphql(self, document: str, variables: Mapping[str, Any], endpoint: str) -> dict[str, Any]:
        headers, payload = self._send("POST", self.graphql_url, None,
                                      {"query": document, "variables": dict(variables)}, endpoint)
        payload = payload if isinstance(payload, dict) else {}
        errors = payload.get("errors") or []
        if errors:
            messages = tuple(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
            types = {e.get("type") for e in errors if isinstance(e, dict)}
            retry_after = None
            if "RATE_LIMITED" in types:
                retry_after = self._rate_limit_wait(429, headers, "rate limit")
            status = 404 if types == {"NOT_FOUND"} else 200
            error_class = NotFound if status == 404 else GitHubApiError
            raise error_class(status, messages, endpoint=endpoint, retry_after=retry_after, data=payload)
        return payload.get("data") or {}

    def _pace_write(self) -> None:
        if not self._seconds_between_writes:
            return
        with self._write_lock:
            now = self._monotonic()
            if self._last_write is not None:
                wait = self._last_write + self._seconds_between_writes - now
                if wait > 0:
                    self.sleep(wait)
                    now += wait
            self._last_write = now

    def _api_error(self, error: GithubException, endpoint: str) -> GitHubApiError:
        data = error.data
        headers = {str(k).lower(): str(v) for k, v in (error.headers or {}).items()}
        messages = error_messages(data)
        retry_after: float | None = None
        if error.status in (403, 429):
            retry_after = self._rate_limit_wait(error.status, headers, " ".join(messages))
        elif error.status in _TRANSIENT_STATUSES:
            retry_after = _retry_after_header(headers)
        error_class = NotFound if error.status == 404 else GitHubApiError
        return error_class(error.status, messages, endpoint=endpoint, retry_after=retry_after, data=data)

    def _rate_limit_wait(self, status: int, headers: Mapping[str, str], message: str) -> float | None:
        """How long a 403/429 asks us to wait, or None when it is not a rate limit (a 403 for
        missing permissions is final)."""
        after = _retry_after_header(headers)
        if after is not None:
            return after
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
            return max(int(headers["x-ratelimit-reset"]) - self._wall_clock(), 0.0) + 1.0
        if status == 429 or "rate limit" in message.lower():
            return self.retry.secondary_rate_wait
        return None


def error_messages(data: object) -> tuple[str, ...]:
    """GitHub's error texts from an error body: `message`, then each `errors` entry (a string, or
    an object with `message`, or `resource`/`field`/`code`)."""
    if not isinstance(data, dict):
        return (str(data),) if data else ()
    messages: list[str] = []
    if data.get("message"):
        messages.append(str(data["message"]))
    for entry in data.get("errors") or ():
        if isinstance(entry, str):
            messages.append(entry)
        elif isinstance(entry, dict):
            text = entry.get("message") or " ".join(str(entry.get(k, "")) for k in ("resource", "field", "code"))
            messages.append(str(text).strip())
    return tuple(m for m in messages if m)


def next_page_url(headers: Mapping[str, str]) -> str | None:
    link = headers.get("link") or headers.get("Link") or ""
    match = _LINK_NEXT.search(link)
    return match.group(1) if match else None


def _retry_after_header(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None
