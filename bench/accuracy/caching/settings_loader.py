"""Application settings loaded once per process (pydantic-settings + YAML)."""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

import yaml
from pydantic_settings import BaseSettings

DEFAULTS_PATH = Path(__file__).with_name("defaults.yaml")
DEFAULTS = yaml.safe_load(DEFAULTS_PATH.read_text(encoding="utf-8"))


class Settings(BaseSettings):
    database_url: str = DEFAULTS["database_url"]
    redis_url: str = DEFAULTS["redis_url"]
    debug: bool = False
    request_timeout: float = 10.0


@cache
def get_settings() -> Settings:
    return Settings()


@lru_cache
def feature_defaults() -> dict[str, bool]:
    return dict(DEFAULTS.get("features", {}))


@lru_cache(maxsize=None)
def env_section(environment: str) -> dict:
    # Only "dev", "staging" and "production" exist in the file.
    return dict(DEFAULTS["environments"][environment])
