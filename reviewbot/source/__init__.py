"""Source files: parsing with tree-sitter, import resolution and syntax-tree navigation."""

from reviewbot.source.parsing import PYTHON, compile_query, parse
from reviewbot.source.source_file import SourceFile

__all__ = ["PYTHON", "SourceFile", "compile_query", "parse"]
