"""The chat-completions adapter: one call in, one `Completion` or one typed `LlmCallError` out.

The openai SDK's own retries are off (`max_retries=0`); this module retries itself, boundedly and
without jitter, so that what a review waits for is predictable: a 429 waits for its `retry-after`
when that fits the bound (and gives up when it does not), 5xx, timeouts and connection failures
back off 0.5 s, 1 s, 2 s... up to `max_attempts` calls. Other 4xx answers are not retried.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import openai

from reviewbot.llm.answer import RESPONSE_FORMAT
from reviewbot.llm.settings import LlmSettings

Message = Mapping[str, str]
RETRYABLE_KINDS = frozenset({"rate_limited", "server_error", "timeout", "connection"})


@dataclass(frozen=True)
class Completion:
    text: str
    tokens_in: int
    tokens_out: int
    retries: int = 0
    format_downgraded: bool = False  # the endpoint rejected structured output; prompt-only JSON was used


class LlmCallError(Exception):
    """A call that produced no usable text. `kind`: rate_limited, server_error, timeout, connection,
    bad_request, auth, refused."""

    def __init__(self, kind: str, detail: str, *, retries: int = 0, tokens_in: int = 0, tokens_out: int = 0):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.retries = retries
        self.tokens_in = tokens_in
        self.tokens_out = tokens_out


class ChatClient(Protocol):
    async def complete(self, messages: Sequence[Message], *, max_output_tokens: int) -> Completion: ...


Sleep = Callable[[float], Awaitable[None]]


class OpenAIChatClient:
    """Any OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI, vLLM, Ollama, LiteLLM)."""

    def __init__(
        self,
        settings: LlmSettings,
        *,
        sdk_client: openai.AsyncOpenAI | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not settings.configured:
            raise ValueError(f"the explanation endpoint is not configured: {settings.unconfigured_reason}")
        assert settings.api_key is not None and settings.model is not None
        self._settings = settings
        self._model = settings.model
        self._sdk = sdk_client or openai.AsyncOpenAI(
            api_key=settings.api_key.get_secret_value(),
            base_url=settings.base_url,
            max_retries=0,
            timeout=settings.call_timeout,
        )
        self._sleep = sleep
        self._clock = clock
        self._format = settings.structured_output

    async def aclose(self) -> None:
        await self._sdk.close()

    async def complete(self, messages: Sequence[Message], *, max_output_tokens: int) -> Completion:
        retries = 0
        downgraded = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._create(messages, max_output_tokens)
            except openai.BadRequestError as error:
                if self._format != "none":
                    # Many compatible servers reject `response_format`; the prompt asks for JSON anyway.
                    self._format = "none"
                    downgraded = True
                    attempt -= 1
                    continue
                raise LlmCallError("bad_request", _short(error), retries=retries) from None
            except Exception as error:  # noqa: BLE001 - every failure becomes a typed LlmCallError
                failure = self._classify(error)
                wait = self._wait_before_retry(failure, error, attempt)
                if wait is None:
                    failure.retries = retries
                    raise failure from None
                retries += 1
                await self._sleep(wait)
                continue
            return self._completion(response, retries, downgraded)

    async def _create(self, messages: Sequence[Message], max_output_tokens: int) -> Any:
        options: dict[str, Any] = {}
        if self._format == "json_schema":
            options["response_format"] = RESPONSE_FORMAT
        elif self._format == "json_object":
            options["response_format"] = {"type": "json_object"}
        options[self._settings.token_limit_parameter] = max_output_tokens
        if self._settings.temperature is not None:
            options["temperature"] = self._settings.temperature
        async with asyncio.timeout(self._settings.call_timeout):
            return await self._sdk.chat.completions.create(
                model=self._model,
                messages=[dict(m) for m in messages],  # type: ignore[misc]
                timeout=self._settings.call_timeout,
                **options,
            )

    def _completion(self, response: Any, retries: int, downgraded: bool) -> Completion:
        usage = getattr(response, "usage", None)
        tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
        choices = getattr(response, "choices", None) or []
        if not choices:
            return Completion("", tokens_in, tokens_out, retries, downgraded)
        choice = choices[0]
        message = choice.message
        refusal = getattr(message, "refusal", None)
        if refusal or choice.finish_reason == "content_filter":
            raise LlmCallError(
                "refused", _clip(refusal or "content filter"), retries=retries, tokens_in=tokens_in,
                tokens_out=tokens_out,
            )
        return Completion(message.content or "", tokens_in, tokens_out, retries, downgraded)

    def _classify(self, error: Exception) -> LlmCallError:
        if isinstance(error, openai.RateLimitError):
            return LlmCallError("rate_limited", _short(error))
        if isinstance(error, openai.APITimeoutError | TimeoutError):
            return LlmCallError("timeout", f"no answer within {self._settings.call_timeout:g} s")
        if isinstance(error, openai.APIConnectionError):
            return LlmCallError("connection", "cannot reach the endpoint")
        if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
            return LlmCallError("auth", _short(error))
        if isinstance(error, openai.APIStatusError):
            kind = "server_error" if error.status_code >= 500 else "bad_request"
            return LlmCallError(kind, _short(error))
        return LlmCallError("bad_request", f"{type(error).__name__}: {_clip(str(error))}")

    def _wait_before_retry(self, failure: LlmCallError, error: Exception, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if failure.kind not in RETRYABLE_KINDS or attempt >= self._settings.max_attempts:
            return None
        backoff = min(0.5 * 2 ** (attempt - 1), self._settings.max_retry_wait)
        if failure.kind != "rate_limited":
            return backoff
        response = getattr(error, "response", None)
        asked = retry_after_seconds(getattr(response, "headers", {}) or {}, self._clock())
        if asked is None:
            return backoff
        if asked > self._settings.max_retry_wait:
            failure.detail += f" (retry-after {asked:g} s is longer than the {self._settings.max_retry_wait:g} s bound)"
            return None
        return max(0.0, asked)


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds a 429 asks us to wait: `retry-after-ms`, `retry-after` in seconds or as an HTTP date."""
    lowered = {key.lower(): value for key, value in headers.items()}
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = lowered.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        if seconds != seconds or seconds < 0 or seconds == float("inf"):  # NaN, negative, infinite
            return None
        return seconds
    value = lowered.get("retry-after")
    if value is None:
        return None
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - now)


def _short(error: Exception) -> str:
    status = getattr(error, "status_code", None)
    message = getattr(error, "message", None) or str(error)
    return _clip(f"HTTP {status}: {message}" if status else message)


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
