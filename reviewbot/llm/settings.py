"""Where the explanations come from: the endpoint, the model and the limits of one review.

These are deployment settings (environment variables), not repository settings: a repository can
only turn explanations off or tighten its budget (`[tool.reviewbot.llm]`, see `reviewbot.config`).
Explanations are off unless both an API key and a model are set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

StructuredOutput = Literal["json_schema", "json_object", "none"]


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class LlmSettings(BaseSettings):
    """The explanation endpoint. Build it with `LlmSettings.from_environ()`; the class itself never
    reads the environment, so tests and callers pass values explicitly."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY", "api_key"))
    base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL", "base_url"))
    model: str | None = Field(None, validation_alias=_env("REVIEWBOT_LLM_MODEL", "model"))
    concurrency: int = Field(30, ge=1, le=64, validation_alias=_env("REVIEWBOT_LLM_CONCURRENCY", "concurrency"))
    call_timeout: float = Field(30.0, gt=0, validation_alias=_env("REVIEWBOT_LLM_TIMEOUT", "call_timeout"))
    deadline: float = Field(90.0, gt=0, validation_alias=_env("REVIEWBOT_LLM_DEADLINE", "deadline"))
    max_attempts: int = Field(3, ge=1, le=6, validation_alias=_env("REVIEWBOT_LLM_MAX_ATTEMPTS", "max_attempts"))
    max_retry_wait: float = Field(
        10.0, ge=0, validation_alias=_env("REVIEWBOT_LLM_MAX_RETRY_WAIT", "max_retry_wait")
    )
    max_output_tokens: int = Field(
        700, ge=64, le=8192, validation_alias=_env("REVIEWBOT_LLM_MAX_OUTPUT_TOKENS", "max_output_tokens")
    )
    temperature: float | None = Field(
        None, ge=0, le=2, validation_alias=_env("REVIEWBOT_LLM_TEMPERATURE", "temperature")
    )
    # Older compatible servers know only `max_tokens`; OpenAI's reasoning models only the newer name.
    token_limit_parameter: Literal["max_completion_tokens", "max_tokens"] = Field(
        "max_completion_tokens", validation_alias=_env("REVIEWBOT_LLM_TOKEN_LIMIT_PARAMETER", "token_limit_parameter")
    )
    structured_output: StructuredOutput = Field(
        "json_schema", validation_alias=_env("REVIEWBOT_LLM_STRUCTURED_OUTPUT", "structured_output")
    )
    # Extra documentation hosts explanations may link to, comma separated, on top of the built-in list.
    link_hosts: tuple[str, ...] = Field((), validation_alias=_env("REVIEWBOT_LLM_LINK_HOSTS", "link_hosts"))
    cache_url: str | None = Field(None, validation_alias=_env("REVIEWBOT_LLM_CACHE_URL", "cache_url"))
    prompts_dir: Path | None = Field(None, validation_alias=_env("REVIEWBOT_PROMPTS_DIR", "prompts_dir"))

    @field_validator("link_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(host.strip().lower() for host in value.split(",") if host.strip())
        return value

    @field_validator("api_key", "base_url", "model", "cache_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only explicit values: `from_environ` is the one place the environment is read.
        return (init_settings,)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> LlmSettings:
        environ = os.environ if environ is None else environ
        names = {
            alias
            for field in cls.model_fields.values()
            if isinstance(field.validation_alias, AliasChoices)
            for alias in field.validation_alias.choices
            if isinstance(alias, str) and alias.isupper()
        }
        return cls(**{name: environ[name] for name in names if name in environ})

    @property
    def configured(self) -> bool:
        """Whether an endpoint is set up at all: a key and a model."""
        return self.api_key is not None and self.model is not None

    @property
    def unconfigured_reason(self) -> str:
        missing = [name for name, value in (("OPENAI_API_KEY", self.api_key), ("REVIEWBOT_LLM_MODEL", self.model))
                   if value is None]
        return f"{' and '.join(missing)} not set" if missing else ""
