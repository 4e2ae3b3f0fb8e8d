"""The GitHub App's settings, read from the environment (and a `.env` file) with pydantic-settings.

    GITHUB_APP_ID              the App's ID (or client ID)                                required
    GITHUB_PRIVATE_KEY         the App's private key, PEM text ("\n" escapes accepted)     this or the next
    GITHUB_PRIVATE_KEY_PATH    a file holding that key
    GITHUB_WEBHOOK_SECRET      the secret GitHub signs deliveries with                    required
    GITHUB_API_URL             default https://api.github.com; GHES: https://HOST/api/v3
    REVIEWBOT_DATA_DIR         default $XDG_DATA_HOME/reviewbot (the image: /data)
    REVIEWBOT_DATABASE_URL     default sqlite:///DATA_DIR/reviewbot.db; or postgresql+psycopg://...
    REVIEWBOT_QUEUE_URL        default the embedded queue, sqlite:///DATA_DIR/queue.db; or redis://...
    REVIEWBOT_WORKERS          review threads per process (default 2)
    REVIEWBOT_MAX_ATTEMPTS     attempts at a review before it is recorded as failed (default 5)
    REVIEWBOT_RETRY_DELAY      seconds before the first retry; each further retry waits twice as long

Only the App's entry points (`reviewbot serve`, `reviewbot worker`) load these; the analysis core
never sees them. A missing or malformed variable stops start-up with one line that names it
(`SettingsError`), and never echoes a secret back.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_API_URL = "https://api.github.com"
_APP_ID = re.compile(r"^[A-Za-z0-9._-]+$")
_DATABASE_SCHEMES = ("sqlite", "postgresql")


class SettingsError(ValueError):
    """A setting is missing or malformed. `str(error)` is one line naming the variable."""


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "reviewbot"


class Settings(BaseSettings):
    """Everything the App needs to run. Field names are Python names; each field's alias is the
    environment variable it is read from."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True, frozen=True,
    )

    app_id: str = Field(validation_alias="GITHUB_APP_ID")
    private_key: SecretStr | None = Field(default=None, validation_alias="GITHUB_PRIVATE_KEY")
    private_key_path: Path | None = Field(default=None, validation_alias="GITHUB_PRIVATE_KEY_PATH")
    webhook_secret: SecretStr = Field(validation_alias="GITHUB_WEBHOOK_SECRET")
    api_url: str = Field(default=DEFAULT_API_URL, validation_alias="GITHUB_API_URL")
    data_dir: Path = Field(default_factory=default_data_dir, validation_alias="REVIEWBOT_DATA_DIR")
    database_url_setting: str | None = Field(default=None, validation_alias="REVIEWBOT_DATABASE_URL")
    queue_url_setting: str | None = Field(default=None, validation_alias="REVIEWBOT_QUEUE_URL")
    workers: int = Field(default=2, ge=1, le=64, validation_alias="REVIEWBOT_WORKERS")
    max_attempts: int = Field(default=5, ge=1, le=20, validation_alias="REVIEWBOT_MAX_ATTEMPTS")
    retry_delay: float = Field(default=10.0, ge=0, le=3600, validation_alias="REVIEWBOT_RETRY_DELAY")

    @field_validator("app_id")
    @classmethod
    def _app_id_is_an_id(cls, value: str) -> str:
        value = value.strip()
        if not _APP_ID.match(value):
            raise ValueError("must be the App's numeric ID or its client ID")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_is_set(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("must not be empty")
        return value

    @field_validator("private_key")
    @classmethod
    def _private_key_is_pem(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        # A PEM pasted into a one-line variable often carries literal "\n" sequences.
        text = value.get_secret_value().strip().replace("\\n", "\n")
        _check_private_key(text.encode())
        return SecretStr(text + "\n")

    @field_validator("private_key_path")
    @classmethod
    def _private_key_file_is_pem(cls, value: Path | None) -> Path | None:
        if value is None or not str(value).strip():
            return None
        try:
            data = value.expanduser().read_bytes()
        except OSError as error:
            raise ValueError(f"cannot read {value}: {error.strerror}") from None
        _check_private_key(data)
        return value.expanduser()

    @field_validator("api_url")
    @classmethod
    def _api_url_is_http(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://api.github.com or https://HOST/api/v3")
        return value.strip().rstrip("/")

    @field_validator("database_url_setting")
    @classmethod
    def _database_url_is_supported(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return normalize_database_url(value.strip())

    @field_validator("queue_url_setting")
    @classmethod
    def _queue_url_is_supported(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        scheme = urlsplit(value).scheme
        if scheme in ("redis", "rediss", "unix"):
            return value
        if scheme == "sqlite" and value.startswith("sqlite:///") and len(value) > len("sqlite:///"):
            return value
        raise ValueError("must be redis://HOST:PORT/DB or sqlite:///PATH (unset: the embedded queue)")

    @property
    def database_url(self) -> str:
        return self.database_url_setting or f"sqlite:///{self.data_dir / 'reviewbot.db'}"

    @property
    def queue_url(self) -> str:
        return self.queue_url_setting or f"sqlite:///{self.data_dir / 'queue.db'}"

    def private_key_pem(self) -> str:
        if self.private_key is not None:
            return self.private_key.get_secret_value()
        if self.private_key_path is not None:
            return self.private_key_path.read_text()
        raise SettingsError("GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH is not set")


def normalize_database_url(value: str) -> str:
    """SQLAlchemy URL for SQLite or PostgreSQL; a bare postgresql:// gets the installed psycopg driver."""
    scheme, _, rest = value.partition("://")
    if not rest:
        raise ValueError("must be a URL such as sqlite:////data/reviewbot.db or postgresql+psycopg://USER@HOST/DB")
    dialect = scheme.split("+", 1)[0]
    if dialect == "postgres":
        dialect, scheme = "postgresql", "postgresql"
    if dialect not in _DATABASE_SCHEMES:
        raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
    if scheme == "postgresql":
        scheme = "postgresql+psycopg"
    return f"{scheme}://{rest}"


def _check_private_key(data: bytes) -> None:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise ValueError("is not a PEM-encoded private key") from None
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("is not an RSA private key (GitHub Apps sign with RS256)")


def load_settings(env_file: str | Path | None = ".env", **overrides: object) -> Settings:
    """Read the settings from the environment and `env_file`; raise SettingsError with one line."""
    try:
        settings = Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None
    if settings.private_key is None and settings.private_key_path is None:
        raise SettingsError("GITHUB_PRIVATE_KEY is not set (or set GITHUB_PRIVATE_KEY_PATH to the App's .pem file)")
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(f"REVIEWBOT_DATA_DIR: cannot create {settings.data_dir}: {error.strerror}") from None
    return settings


def describe_validation_error(error: ValidationError) -> str:
    """One line naming every variable at fault; the values themselves are never shown."""
    problems: list[str] = []
    for item in error.errors(include_input=False, include_url=False):
        variable = str(item["loc"][0]) if item["loc"] else "settings"
        if item["type"] == "missing":
            problems.append(f"{variable} is not set")
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(f"{variable} {message}" if item["type"] == "value_error" else f"{variable}: {message}")
    return "; ".join(problems).replace("\n", " ")
