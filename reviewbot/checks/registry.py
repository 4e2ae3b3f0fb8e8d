"""Rule metadata, the rule base class and the registry derived from the rule modules.

Every module in `reviewbot.checks` that defines a `Rule` subclass with a `code` contributes it;
there is no hand-kept table. A rule's class docstring is its documentation, in ruff's format.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from operator import attrgetter
from typing import ClassVar

from tree_sitter import Node

from reviewbot.config import Config
from reviewbot.findings import Principle, Severity
from reviewbot.source.source_file import SourceFile

Match = dict[str, list[Node]]
_START_BYTE = attrgetter("node.start_byte")
DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "References")
_SECTION = re.compile(r"^## (.+?)\s*$", re.M)


@dataclass(frozen=True, slots=True)
class Report:
    """What a rule says about one place. `node` is the flagged expression; `end_node`, if given,
    extends the span to it. `severity` overrides the rule's default for this one report."""

    node: Node
    message: str
    end_node: Node | None = None
    severity: Severity | None = None


class CallSite:
    """One call in a file: its node, the last name segment as written and, resolved on first use
    (most calls are never asked), the dotted name it calls."""

    __slots__ = ("node", "method", "_name", "_file")

    node: Node
    method: str  # the last segment as written: `get` for `requests.get(...)` and `self.http.get(...)`

    def __init__(self, node: Node, name: str | None, method: str, file: SourceFile | None = None) -> None:
        self.node = node
        self.method = method
        self._name = name
        self._file = file  # when given, `name` is resolved from it on first use

    @property
    def name(self) -> str | None:
        """The resolved dotted name, None when the callee is not a name (a subscript, a lambda)."""
        file = self._file
        if file is not None:
            try:
                self._name = file.call_name(self.node)
            except RecursionError:
                self._name = None
            self._file = None
        return self._name

    @property
    def resolved_method(self) -> str:
        """The last segment of the resolved name: `sleep` for `nap()` after `from time import sleep as nap`."""
        name = self.name
        return name.rsplit(".", 1)[-1] if name else self.method

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CallSite):
            return NotImplemented
        return (self.node, self.name, self.method) == (other.node, other.name, other.method)

    def __hash__(self) -> int:
        return hash((self.node, self.name, self.method))

    def __repr__(self) -> str:
        return f"CallSite(node={self.node!r}, name={self.name!r}, method={self.method!r})"


@dataclass
class CheckContext:
    """Everything a rule may look at for one file. Built once per file and shared by all rules."""

    file: SourceFile
    config: Config
    project: ProjectIndex
    calls: list[CallSite] = field(default_factory=list)
    calls_by_method: dict[str, list[CallSite]] = field(default_factory=dict)
    # Every `for`/`while` loop and comprehension of the file, in no particular order.
    loops: list[Node] = field(default_factory=list)

    def calls_to(self, methods: Iterable[str]) -> Iterator[CallSite]:
        """Calls whose last name segment is one of `methods`, in source order."""
        by_method = self.calls_by_method
        rank = None
        if type(methods) is frozenset and len(methods) > len(by_method):
            rank = _method_ranks(methods)
        if rank is not None:
            # A long constant set and a short file: look the file's methods up in the set, then
            # put them in the set's order, so that calls starting at the same byte (a chain's
            # links) keep the order they would have from iterating the set itself.
            present = [method for method in by_method if method in rank]
            if len(present) > 1:
                present.sort(key=rank.__getitem__)
            found = list(chain.from_iterable(map(by_method.__getitem__, present)))
        else:
            # map/filter/chain keep the loop over the set in C.
            found = list(chain.from_iterable(filter(None, map(by_method.get, methods))))
        if len(found) > 1:
            found.sort(key=_START_BYTE)
        return iter(found)

    def call_at(self, node: Node) -> CallSite | None:
        """The call site for a `call` node, with its resolved name."""
        function = node.child_by_field_name("function")
        if function is None:
            return None
        method_node = function.child_by_field_name("attribute") if function.type == "attribute" else function
        method = method_node.text.decode() if method_node is not None else ""
        for site in self.calls_by_method.get(method, ()):
            if site.node.id == node.id:
                return site
        return CallSite(node, self.file.qualname(function), method)


_RANKS: dict[int, tuple[frozenset[str], dict[str, int] | None]] = {}


def _method_ranks(methods: frozenset[str]) -> dict[str, int] | None:
    """Each method's position in the set's iteration order, for a set seen before (a set built
    for one call is not worth ranking). The set is held, so its id cannot be reused by another."""
    entry = _RANKS.get(id(methods))
    if entry is not None and entry[0] is methods:
        if entry[1] is not None:
            return entry[1]
        ranks = {method: index for index, method in enumerate(methods)}
        _RANKS[id(methods)] = (methods, ranks)
        return ranks
    if len(_RANKS) >= 1024:
        _RANKS.clear()  # sets built per call would otherwise pile up
    _RANKS[id(methods)] = (methods, None)
    return None


@dataclass
class ProjectIndex:
    """Facts gathered across files before any rule runs (the model index for relation lookups)."""

    models: object = None  # a reviewbot.source.models.ModelIndex; typed loosely to keep this layer light


class Rule:
    """Base class of a check. Subclasses set the metadata and implement `check`.

    `query` holds tree-sitter patterns; the engine compiles every rule's patterns into one query,
    runs it once per file and hands each rule its matches, in source order. A rule that only needs
    call sites (`CheckContext.calls_to`) may leave `query` empty: it then runs on every file.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[str]
    principle: ClassVar[Principle]
    severity: ClassVar[Severity]
    preview: ClassVar[bool] = False
    query: ClassVar[str] = ""

    def check(self, ctx: CheckContext, matches: list[Match]) -> Iterable[Report]:
        raise NotImplementedError

    @classmethod
    def doc(cls) -> str:
        return _dedent_doc(cls.__doc__ or "")

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        text = cls.doc()
        parts = _SECTION.split(text)
        sections = {"": parts[0].strip()}
        for title, body in zip(parts[1::2], parts[2::2], strict=False):
            sections[title] = body.strip()
        return sections

    @classmethod
    def summary(cls) -> str:
        """The first sentence of 'What it does'."""
        what = cls.doc_sections().get("What it does", "")
        first = " ".join(what.split("\n\n", 1)[0].split())
        end = first.find(". ")
        return first if end < 0 else first[: end + 1]

    @classmethod
    def metadata(cls) -> dict[str, object]:
        return {
            "code": cls.code,
            "name": cls.name,
            "category": cls.category,
            "severity": str(cls.severity),
            "principle": str(cls.principle),
            "summary": cls.summary(),
            "preview": cls.preview,
        }


def _dedent_doc(doc: str) -> str:
    lines = doc.expandtabs().splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    margin = min(indents) if indents else 0
    body = [lines[0].strip()] + [line[margin:].rstrip() for line in lines[1:]] if lines else []
    return "\n".join(body).strip() + "\n"


_NOT_RULES = {"registry", "helpers"}


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class, sorted by code. Importing each module also compiles its query."""
    import reviewbot.checks as package

    rules: dict[str, type[Rule]] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        if module_info.name in _NOT_RULES or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Rule) and value is not Rule and "code" in vars(value):
                if value.code in rules and rules[value.code] is not value:
                    raise RuntimeError(f"rule code {value.code} is used twice")
                rules[value.code] = value
    return tuple(rules[code] for code in sorted(rules))


def rule_by_code(code: str) -> type[Rule] | None:
    for rule in all_rules():
        if rule.code == code or rule.name == code:
            return rule
    return None
