"""The repository's reviewbot configuration, from the files the worker fetched at the head SHA.

`.reviewbot.toml` wins over `pyproject.toml`, as a tool's own file does in ruff. In
`.reviewbot.toml` the settings sit at the top level (or under `[tool.reviewbot]`); in
`pyproject.toml` they sit under `[tool.reviewbot]`: the same rules as the command line's
`reviewbot.config_loader`, applied to bytes fetched from GitHub instead of files on disk. Pure.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

from reviewbot.checks.registry import all_rules
from reviewbot.config import Config, ConfigError, parse_config

CONFIG_FILES = (".reviewbot.toml", "pyproject.toml")


def config_from_files(files: Mapping[str, bytes]) -> Config:
    """The Config the files describe (defaults when neither has a reviewbot table).
    Raises ConfigError naming the file for invalid TOML or an invalid setting."""
    known = [rule.code for rule in all_rules()]
    if ".reviewbot.toml" in files:
        document = _toml(".reviewbot.toml", files[".reviewbot.toml"])
        table = _tool_table(document, ".reviewbot.toml")
        if table is None:
            return parse_config(document, ".reviewbot.toml", known)
        extra = sorted(key for key in document if key != "tool")
        if extra:
            raise ConfigError(".reviewbot.toml: settings must sit either at the top level or under "
                              f"[tool.reviewbot], not both (found top-level key {extra[0]!r})")
        return parse_config(table, ".reviewbot.toml", known)
    if "pyproject.toml" in files:
        table = _tool_table(_toml("pyproject.toml", files["pyproject.toml"]), "pyproject.toml")
        if table is not None:
            return parse_config(table, "pyproject.toml", known)
    return Config()


def _toml(path: str, data: bytes) -> dict[str, Any]:
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def _tool_table(document: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
    tool = document.get("tool")
    if not isinstance(tool, Mapping) or "reviewbot" not in tool:
        return None
    table = tool["reviewbot"]
    if not isinstance(table, Mapping):
        raise ConfigError(f"{path}: [tool.reviewbot] must be a table")
    return table
