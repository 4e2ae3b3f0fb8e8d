"""The one tree-sitter parser of the project, and query compilation."""

from __future__ import annotations

import re
from functools import lru_cache

import tree_sitter_python
from tree_sitter import Language, Parser, Query, Tree

PYTHON = Language(tree_sitter_python.language())

# py-tree-sitter evaluates these itself; any other predicate would silently match everything.
KNOWN_PREDICATES = frozenset({"eq?", "not-eq?", "match?", "not-match?", "any-of?", "not-any-of?"})
_PREDICATE = re.compile(r"\(#([a-z-]+[?!])")


class QuerySourceError(ValueError):
    """A query uses a predicate py-tree-sitter does not evaluate."""


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(PYTHON)


def kind_ids(*kinds: str) -> frozenset[int]:
    """Every symbol id whose node type is one of `kinds`: `node.kind_id in kind_ids("call")` is
    `node.type == "call"` without building a string per test (aliases give a type several ids)."""
    return frozenset(i for i in range(PYTHON.node_kind_count) if PYTHON.node_kind_for_id(i) in kinds)


def parse(source: bytes) -> Tree:
    return _parser().parse(source)


def compile_query(source: str) -> Query:
    unknown = {p for p in _PREDICATE.findall(source) if p not in KNOWN_PREDICATES}
    if unknown:
        raise QuerySourceError(f"unsupported query predicates: {', '.join(sorted(unknown))}")
    return Query(PYTHON, source)
