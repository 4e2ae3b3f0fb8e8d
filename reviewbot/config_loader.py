"""Finding and reading a project's reviewbot settings on disk (the command line's adapter).

The search starts at the first path given and walks up the directories, stopping after the
repository root (the directory holding `.git`). In each directory `.reviewbot.toml` wins over
`pyproject.toml`, as a tool's own file does in ruff; a `pyproject.toml` without a
`[tool.reviewbot]` table is passed over. `.reviewbot.toml` holds the settings at its top level
(`select = ["RB1"]`), or under `[tool.reviewbot]` so a table can be moved out of pyproject.toml
unchanged. The GitHub App reads the same two files the same way (`reviewbot.jobs.repo_config`).

Validation is `reviewbot.config.parse_config`; every error names the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewbot.config import PYPROJECT, TOOL_FILE, Config, ConfigError, parse_config, settings_table


@dataclass(frozen=True)
class LoadedConfig:
    config: Config
    path: Path | None  # the file the settings came from; None when the defaults apply


def find_repository_root(start: Path) -> Path | None:
    """The nearest directory at or above `start` that holds `.git` (a directory, or a file in a
    worktree or submodule)."""
    directory = _directory_of(start)
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def find_config_file(start: Path) -> Path | None:
    """The settings file that applies to `start`, or None."""
    directory = _directory_of(start)
    for candidate in (directory, *directory.parents):
        tool_file = candidate / TOOL_FILE
        if tool_file.is_file():
            return tool_file
        pyproject = candidate / PYPROJECT
        if pyproject.is_file() and _has_reviewbot_table(pyproject):
            return pyproject
        if (candidate / ".git").exists():
            return None
    return None


def load_config(explicit: Path | None, start: Path, known_codes: Iterable[str]) -> LoadedConfig:
    """The settings from `explicit` (`--config FILE`) or from the file found from `start`.
    Raises ConfigError naming the file for a missing file, invalid TOML or an invalid setting."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{display_path(explicit)}: config file not found")
        path: Path | None = explicit
    else:
        path = find_config_file(start)
    if path is None:
        return LoadedConfig(Config(), None)
    return LoadedConfig(parse_config(read_settings_table(path), display_path(path), known_codes), path)


def read_settings_table(path: Path) -> Mapping[str, Any]:
    """The reviewbot table of a settings file ({} for a pyproject.toml without one)."""
    table = settings_table(display_path(path), _read_bytes(path))
    return table if table is not None else {}


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it lies below it, as a user would type it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{display_path(path)}: cannot read: {error.strerror}") from None


def _has_reviewbot_table(pyproject: Path) -> bool:
    # A cheap look before parsing: most pyproject.toml files belong to other tools only.
    try:
        if b"reviewbot" not in pyproject.read_bytes():
            return False
    except OSError:
        return False
    return settings_table(display_path(pyproject), _read_bytes(pyproject)) is not None


def _directory_of(path: Path) -> Path:
    path = path.resolve()
    return path if path.is_dir() else path.parent
