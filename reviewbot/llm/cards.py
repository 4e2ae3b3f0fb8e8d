"""Rule cards: the principle texts an explanation is grounded in, kept as markdown data files.

A card is a markdown file with YAML front matter (`id`, `title`, `description`, `severity`, `tags`,
`applies_to`, `related_rules`) and a body. Ours live in `prompts/rules/`; a team can bring its own
directory, which extends ours (a card with the same id replaces ours) or replaces them.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from reviewbot.config import ConfigError
from reviewbot.findings import Finding


def find_prompts_dir(package_file: str | Path = __file__, prefix: str | Path = sys.prefix) -> Path:
    """`prompts/` of a source checkout (beside the package), else the copy an installed wheel put
    under `<prefix>/share/reviewbot/prompts` (see `[tool.setuptools.data-files]`)."""
    checkout = Path(package_file).resolve().parents[2] / "prompts"
    if checkout.is_dir():
        return checkout
    return Path(prefix) / "share" / "reviewbot" / "prompts"


PROMPTS_DIR = find_prompts_dir()
BUILTIN_CARDS_DIR = PROMPTS_DIR / "rules"
CARD_SEVERITIES = ("low", "medium", "high", "critical")
MAX_CARD_CHARS = 20_000
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?P<yaml>.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(?P<body>.*)\Z", re.S)
_LIST_FIELDS = ("tags", "applies_to", "related_rules")


class RuleCardError(ConfigError):
    """A rule card that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class RuleCard:
    id: str
    title: str
    description: str
    severity: str
    tags: tuple[str, ...]
    applies_to: tuple[str, ...]
    related_rules: tuple[str, ...]
    body: str
    source: str  # where it was read from, for error messages and the cache key

    @property
    def digest(self) -> str:
        """Changes whenever the text a prompt would carry changes (so cached answers expire)."""
        text = "\0".join((self.id, self.title, self.description, self.body))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse_rule_card(text: str, source: str) -> RuleCard:
    """Parse one card. `source` names the file in error messages."""
    if len(text) > MAX_CARD_CHARS:
        raise RuleCardError(f"{source}: rule card is longer than {MAX_CARD_CHARS} characters")
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if match is None:
        raise RuleCardError(f"{source}: rule card must start with a '---' YAML front matter block closed by '---'")
    try:
        meta = yaml.safe_load(match.group("yaml"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (front matter line {mark.line + 1})" if mark is not None else ""
        raise RuleCardError(f"{source}: front matter is not valid YAML{where}") from None
    if not isinstance(meta, dict):
        raise RuleCardError(f"{source}: front matter must be a mapping of fields")

    def text_field(name: str) -> str:
        value = meta.get(name)
        if value is None:
            raise RuleCardError(f"{source}: rule card field '{name}' is missing")
        if not isinstance(value, str) or not value.strip():
            raise RuleCardError(f"{source}: rule card field '{name}' must be a non-empty string")
        return value.strip()

    def list_field(name: str) -> tuple[str, ...]:
        value = meta.get(name, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            raise RuleCardError(f"{source}: rule card field '{name}' must be a list of strings")
        return tuple(item.strip() for item in value)

    card_id = text_field("id")
    if not _ID.match(card_id):
        raise RuleCardError(
            f"{source}: rule card field 'id' must be letters, digits, '.', '_' or '-' (got {card_id!r})"
        )
    severity = text_field("severity").lower()
    if severity not in CARD_SEVERITIES:
        raise RuleCardError(f"{source}: rule card field 'severity' must be one of {', '.join(CARD_SEVERITIES)}")
    body = match.group("body").strip()
    if not body:
        raise RuleCardError(f"{source}: rule card has no text after the front matter")
    return RuleCard(
        id=card_id,
        title=text_field("title"),
        description=text_field("description"),
        severity=severity,
        tags=list_field("tags"),
        applies_to=list_field("applies_to"),
        related_rules=list_field("related_rules"),
        body=body,
        source=source,
    )


def parse_rule_cards(texts: Mapping[str, str]) -> dict[str, RuleCard]:
    """Cards from {source name: text}, e.g. files fetched from a repository. Ids must be unique."""
    cards: dict[str, RuleCard] = {}
    for source in sorted(texts):
        card = parse_rule_card(texts[source], source)
        if card.id in cards:
            raise RuleCardError(f"{source}: rule card id {card.id!r} is also used by {cards[card.id].source}")
        cards[card.id] = card
    return cards


def load_rule_card_dir(directory: Path) -> dict[str, RuleCard]:
    """Every `*.md` card in `directory` (not recursive)."""
    if not directory.is_dir():
        raise RuleCardError(f"{directory}: rule card directory does not exist")
    texts = {}
    for path in sorted(directory.glob("*.md")):
        try:
            texts[str(path)] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise RuleCardError(f"{path}: cannot read rule card: {error}") from None
    return parse_rule_cards(texts)


@dataclass(frozen=True)
class RuleCardSet:
    """The cards a review uses, and which card grounds which finding."""

    cards: Mapping[str, RuleCard]

    def for_finding(self, finding: Finding) -> RuleCard | None:
        """The most specific card: one written for the rule code, then for the rule name, then the
        card of the rule's principle."""
        for key in (finding.rule, finding.name, finding.principle):
            card = self.cards.get(key)
            if card is not None:
                return card
        return None

    def merged(self, team_cards: Mapping[str, RuleCard], mode: str) -> RuleCardSet:
        if mode == "replace":
            return RuleCardSet(dict(team_cards))
        if mode != "extend":
            raise RuleCardError(f"rule-cards-mode must be 'extend' or 'replace' (got {mode!r})")
        return RuleCardSet({**self.cards, **team_cards})

    def ids(self) -> Iterable[str]:
        return self.cards.keys()


def builtin_rule_cards(directory: Path | None = None) -> RuleCardSet:
    return RuleCardSet(load_rule_card_dir(directory or BUILTIN_CARDS_DIR))
