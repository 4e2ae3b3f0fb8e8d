"""The repository's reviewbot configuration, from the files the worker fetched at the head SHA.

`.reviewbot.toml` wins over `pyproject.toml`, as a tool's own file does in ruff. In
`.reviewbot.toml` the settings sit at the top level (or under `[tool.reviewbot]`); in
`pyproject.toml` they sit under `[tool.reviewbot]`: the same rules as the command line's
`reviewbot.config_loader`, applied to bytes fetched from GitHub instead of files on disk. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

from reviewbot.checks.registry import all_rules
from reviewbot.config import PYPROJECT, TOOL_FILE, Config, parse_config, settings_table

CONFIG_FILES = (TOOL_FILE, PYPROJECT)


def config_from_files(files: Mapping[str, bytes]) -> Config:
    """The Config the files describe (defaults when neither has a reviewbot table).
    Raises ConfigError naming the file for invalid TOML or an invalid setting."""
    known = [rule.code for rule in all_rules()]
    for name in CONFIG_FILES:
        if name in files:
            table = settings_table(name, files[name])
            if table is not None:
                return parse_config(table, name, known)
    return Config()
