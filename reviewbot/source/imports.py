"""Import and alias resolution: which dotted name each local name stands for."""

from __future__ import annotations

from tree_sitter import Node

# Patterns the engine adds to its one combined query; captures are handed to `collect_imports`.
IMPORT_PATTERNS = """
(import_statement name: (dotted_name) @import.name)
(import_statement name: (aliased_import name: (dotted_name) @import.name alias: (identifier) @import.alias))
(import_from_statement module_name: (_) @import.module name: (dotted_name) @import.name)
(import_from_statement module_name: (_) @import.module
    name: (aliased_import name: (dotted_name) @import.name alias: (identifier) @import.alias))
"""


def add_import(imports: dict[str, str], match: dict[str, list[Node]]) -> None:
    """Record one import match: `import a.b` binds `a`; `import a.b as c` binds `c -> a.b`;
    `from m import x as y` binds `y -> m.x`."""
    name = match["import.name"][0].text.decode()
    alias_nodes = match.get("import.alias")
    module_nodes = match.get("import.module")
    if module_nodes:
        module = module_nodes[0].text.decode()
        local = alias_nodes[0].text.decode() if alias_nodes else name
        imports[local] = f"{module}.{name}" if not module.endswith(".") else f"{module}{name}"
    elif alias_nodes:
        imports[alias_nodes[0].text.decode()] = name
    else:
        head = name.split(".", 1)[0]
        imports.setdefault(head, head)
