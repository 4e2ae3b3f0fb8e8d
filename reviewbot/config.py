"""The frozen configuration the analysis core receives, and its validation.

Reading files is the adapters' job (`reviewbot.config_loader`); this module only turns a parsed
`[tool.reviewbot]` table into a `Config` or raises `ConfigError` naming the file and the key.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reviewbot.findings import Severity

DEFAULT_TEST_PATHS = ("tests/**", "test/**", "**/tests/**", "**/tests.py", "**/test_*.py", "**/*_test.py", "**/conftest.py")
DEFAULT_MIGRATION_PATHS = ("**/migrations/**", "**/alembic/versions/**", "**/migrations.py")
DEFAULT_SCRIPT_PATHS = ("**/scripts/**", "bin/**", "tools/**", "**/management/commands/**", "manage.py", "setup.py")
REVIEW_EVENTS = ("COMMENT", "REQUEST_CHANGES")
TOOL_FILE = ".reviewbot.toml"
PYPROJECT = "pyproject.toml"


class ConfigError(ValueError):
    """A configuration problem a user can fix: the message names the file and the key."""


@dataclass(frozen=True)
class AppOptions:
    """How the GitHub App publishes a review for this repository."""

    review_event: str = "COMMENT"
    review_drafts: bool = False
    resolve_fixed: bool = False
    max_inline_comments: int = 50
    check_fail_on: Severity | None = None  # None: the check run concludes neutral


@dataclass(frozen=True)
class LlmOptions:
    """Optional LLM explanations, as far as a repository may tune them."""

    enabled: bool = True
    rule_cards_dir: str | None = None
    rule_cards_mode: str = "extend"  # or "replace"
    max_findings: int = 30
    max_tokens: int = 80_000


@dataclass(frozen=True)
class Config:
    select: frozenset[str] | None = None  # None: every rule that is not in preview
    extend_select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    handler_decorators: tuple[str, ...] = ()
    task_decorators: tuple[str, ...] = ()
    test_paths: tuple[str, ...] = DEFAULT_TEST_PATHS
    migration_paths: tuple[str, ...] = DEFAULT_MIGRATION_PATHS
    script_paths: tuple[str, ...] = DEFAULT_SCRIPT_PATHS
    context_severity: bool = True  # raise in handlers and tasks, lower in tests/migrations/scripts
    preview: bool = False
    max_file_size: int = 1_000_000
    app: AppOptions = field(default_factory=AppOptions)
    llm: LlmOptions = field(default_factory=LlmOptions)

    def enables(self, code: str, preview: bool) -> bool:
        """Whether the rule `code` runs. Selectors are codes or code prefixes ("RB1"), or "ALL"."""
        if selected(code, self.ignore):
            return False
        if selected(code, self.extend_select):
            return True
        if self.select is None:
            return not preview or self.preview
        return selected(code, self.select)

    def is_excluded(self, path: str) -> bool:
        return path_matches(path, self.exclude)

    def ignored_codes_for(self, path: str) -> frozenset[str]:
        codes: set[str] = set()
        for pattern, pattern_codes in self.per_file_ignores:
            if path_matches(path, (pattern,)):
                codes |= pattern_codes
        return frozenset(codes)

    def path_context(self, path: str) -> str:
        """'test', 'migration', 'script' or '' for ordinary code."""
        if path_matches(path, self.test_paths):
            return "test"
        if path_matches(path, self.migration_paths):
            return "migration"
        if path_matches(path, self.script_paths):
            return "script"
        return ""


def selected(code: str, selectors: Iterable[str]) -> bool:
    return any(selector == "ALL" or code.startswith(selector) for selector in selectors)


def path_matches(path: str, patterns: Iterable[str]) -> bool:
    """Glob match where `**/` may match no directory at all (`**/x.py` matches `x.py`)."""
    path = path.replace("\\", "/").removeprefix("./")
    for pattern in patterns:
        if fnmatch.fnmatchcase(path, pattern):
            return True
        if pattern.startswith("**/") and fnmatch.fnmatchcase(path, pattern[3:]):
            return True
        if pattern.endswith("/**") and (path == pattern[:-3] or fnmatch.fnmatchcase(path, pattern[:-3] + "/*")):
            return True
    return False


_TOP_KEYS = {
    "select", "ignore", "extend-select", "severity", "exclude", "per-file-ignores", "handler-decorators",
    "task-decorators", "test-paths", "migration-paths", "script-paths", "context-severity", "preview",
    "max-file-size", "app", "llm",
}
_APP_KEYS = {"review-event", "review-drafts", "resolve-fixed", "max-inline-comments", "check-fail-on"}
_LLM_KEYS = {"enabled", "rule-cards-dir", "rule-cards-mode", "max-findings", "max-tokens"}


def parse_config(table: Mapping[str, Any], source: str, known_codes: Iterable[str]) -> Config:
    """Validate a `[tool.reviewbot]` table. `source` names the file in error messages."""
    known = frozenset(known_codes)
    _reject_unknown(table, _TOP_KEYS, source, "tool.reviewbot")

    def codes(key: str) -> frozenset[str]:
        values = _string_list(table, key, source)
        for code in values:
            if not _code_is_known(code, known):
                raise ConfigError(f"{source}: [tool.reviewbot] {key}: unknown rule code {code!r}")
        return frozenset(values)

    select: frozenset[str] | None = codes("select") if "select" in table else None

    severity_table = table.get("severity", {})
    if not isinstance(severity_table, Mapping):
        raise ConfigError(f"{source}: [tool.reviewbot] severity must be a table of CODE = \"error|warning|info\"")
    severity: dict[str, Severity] = {}
    for code, value in severity_table.items():
        if not _code_is_known(code, known):
            raise ConfigError(f"{source}: [tool.reviewbot.severity] unknown rule code {code!r}")
        severity[code] = _severity(value, source, f"severity.{code}")

    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, Mapping):
        raise ConfigError(f"{source}: [tool.reviewbot] per-file-ignores must be a table of \"glob\" = [CODES]")
    per_file_ignores = []
    for pattern, values in per_file.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigError(f"{source}: [tool.reviewbot.per-file-ignores] {pattern!r} must be a list of codes")
        for code in values:
            if not _code_is_known(code, known):
                raise ConfigError(f"{source}: [tool.reviewbot.per-file-ignores] {pattern!r}: unknown rule code {code!r}")
        per_file_ignores.append((pattern, frozenset(values)))

    return Config(
        select=select,
        extend_select=codes("extend-select"),
        ignore=codes("ignore"),
        severity=severity,
        exclude=tuple(_string_list(table, "exclude", source)),
        per_file_ignores=tuple(per_file_ignores),
        handler_decorators=tuple(_string_list(table, "handler-decorators", source)),
        task_decorators=tuple(_string_list(table, "task-decorators", source)),
        test_paths=tuple(_string_list(table, "test-paths", source, DEFAULT_TEST_PATHS)),
        migration_paths=tuple(_string_list(table, "migration-paths", source, DEFAULT_MIGRATION_PATHS)),
        script_paths=tuple(_string_list(table, "script-paths", source, DEFAULT_SCRIPT_PATHS)),
        context_severity=_bool(table, "context-severity", source, True),
        preview=_bool(table, "preview", source, False),
        max_file_size=_positive_int(table, "max-file-size", source, 1_000_000),
        app=_app_options(table.get("app", {}), source),
        llm=_llm_options(table.get("llm", {}), source),
    )


def _app_options(table: Any, source: str) -> AppOptions:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: [tool.reviewbot] app must be a table")
    _reject_unknown(table, _APP_KEYS, source, "tool.reviewbot.app")
    event = table.get("review-event", "COMMENT")
    if event not in REVIEW_EVENTS:
        raise ConfigError(f"{source}: [tool.reviewbot.app] review-event must be one of {', '.join(REVIEW_EVENTS)}")
    fail_on = table.get("check-fail-on")
    return AppOptions(
        review_event=event,
        review_drafts=_bool(table, "review-drafts", source, False),
        resolve_fixed=_bool(table, "resolve-fixed", source, False),
        max_inline_comments=_positive_int(table, "max-inline-comments", source, 50),
        check_fail_on=None if fail_on in (None, "never") else _severity(fail_on, source, "app.check-fail-on"),
    )


def _llm_options(table: Any, source: str) -> LlmOptions:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: [tool.reviewbot] llm must be a table")
    _reject_unknown(table, _LLM_KEYS, source, "tool.reviewbot.llm")
    mode = table.get("rule-cards-mode", "extend")
    if mode not in ("extend", "replace"):
        raise ConfigError(f"{source}: [tool.reviewbot.llm] rule-cards-mode must be \"extend\" or \"replace\"")
    cards_dir = table.get("rule-cards-dir")
    if cards_dir is not None and not isinstance(cards_dir, str):
        raise ConfigError(f"{source}: [tool.reviewbot.llm] rule-cards-dir must be a string")
    return LlmOptions(
        enabled=_bool(table, "enabled", source, True),
        rule_cards_dir=cards_dir,
        rule_cards_mode=mode,
        max_findings=_positive_int(table, "max-findings", source, 30),
        max_tokens=_positive_int(table, "max-tokens", source, 80_000),
    )


def _code_is_known(code: str, known: frozenset[str]) -> bool:
    # A prefix selects a family ("RB1" selects RB101, RB102, ...), as in ruff.
    return code == "ALL" or any(k.startswith(code) for k in known)


def _reject_unknown(table: Mapping[str, Any], allowed: set[str], source: str, section: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{source}: [{section}] unknown key {key!r}")


def _string_list(table: Mapping[str, Any], key: str, source: str, default: Iterable[str] = ()) -> list[str]:
    value = table.get(key)
    if value is None:
        return list(default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: [tool.reviewbot] {key} must be a list of strings")
    return value


def _bool(table: Mapping[str, Any], key: str, source: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{source}: [tool.reviewbot] {key} must be true or false")
    return value


def _positive_int(table: Mapping[str, Any], key: str, source: str, default: int) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{source}: [tool.reviewbot] {key} must be a positive integer")
    return value


def _severity(value: Any, source: str, key: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise ConfigError(f"{source}: [tool.reviewbot] {key} must be \"error\", \"warning\" or \"info\"") from None


def settings_table(name: str, data: bytes) -> Mapping[str, Any] | None:
    """The reviewbot table in a settings file's bytes, or None when it has none.

    `name` is the file as shown in messages; its base name decides the layout: `pyproject.toml`
    holds the settings under `[tool.reviewbot]`; `.reviewbot.toml` holds them at its top level, or
    under `[tool.reviewbot]` so a table can be moved out of pyproject.toml unchanged (not both).
    The command line and the App read settings files through this one function.
    """
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{name}: not valid TOML: {error}") from None
    tool = document.get("tool")
    table = None
    if isinstance(tool, Mapping) and "reviewbot" in tool:
        table = tool["reviewbot"]
        if not isinstance(table, Mapping):
            raise ConfigError(f"{name}: [tool.reviewbot] must be a table")
    if name.replace("\\", "/").rsplit("/", 1)[-1] == PYPROJECT:
        return table
    if table is None:
        return document
    extra = sorted(key for key in document if key != "tool")
    if extra:
        raise ConfigError(
            f"{name}: settings must sit either at the top level or under "
            f"[tool.reviewbot], not both (found top-level key {extra[0]!r})"
        )
    return table
