"""The example pull request: `examples/shop/` is the code at its head, `examples/shop.diff` its
diff against the base. The base is rebuilt by applying the diff in reverse."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from reviewbot.sandbox.fake import PROJECT_ROOT, SandboxUnavailable

EXAMPLE = "shop"
TITLE = "Add the order dashboard, the carrier sync and the price import"


@dataclass(frozen=True)
class ExamplePullRequest:
    name: str
    title: str
    base: dict[str, bytes]
    head: dict[str, bytes]
    diff_path: Path


def examples_dir() -> Path:
    for candidate in (PROJECT_ROOT / "examples", Path.cwd() / "examples"):
        if candidate.is_dir():
            return candidate
    raise SandboxUnavailable("the demo needs the examples/ directory of the source checkout")


def load_example(name: str = EXAMPLE, directory: Path | None = None) -> ExamplePullRequest:
    root = directory or examples_dir()
    tree, diff_path = root / name, root / f"{name}.diff"
    if not tree.is_dir() or not diff_path.is_file():
        raise SandboxUnavailable(f"the example {name!r} needs {tree}/ and {diff_path}")
    head = {path.relative_to(tree).as_posix(): path.read_bytes()
            for path in sorted(tree.rglob("*")) if path.is_file() and _is_project_file(path.relative_to(tree))}
    return ExamplePullRequest(name=name, title=TITLE, base=base_files(head, diff_path.read_text()), head=head,
                              diff_path=diff_path)


def _is_project_file(relative: Path) -> bool:
    # The README at the example's top level describes the example; caches are not code.
    return relative.as_posix() != "README.md" and "__pycache__" not in relative.parts


class DiffDoesNotApply(ValueError):
    pass


def base_files(head: Mapping[str, bytes], diff_text: str) -> dict[str, bytes]:
    """The files before `diff_text` was applied, given the files after it."""
    try:
        patch = PatchSet(diff_text)
    except UnidiffParseError as error:
        raise DiffDoesNotApply(f"not a unified diff: {error}") from None
    base = dict(head)
    for patched in patch:
        source, target = _strip(patched.source_file), _strip(patched.target_file)
        if patched.is_added_file:
            base.pop(target, None)
            continue
        if patched.is_removed_file:
            base[source] = "".join(line.value for hunk in patched for line in hunk if not line.is_added).encode()
            continue
        if target not in head:
            raise DiffDoesNotApply(f"{target}: in the diff but not among the files")
        new_lines = head[target].decode().splitlines(keepends=True)
        old_lines: list[str] = []
        cursor = 0
        for hunk in patched:
            start = hunk.target_start - 1 if hunk.target_length else hunk.target_start
            old_lines.extend(new_lines[cursor:start])
            expected = [line.value for line in hunk if not line.is_removed]
            if [line.rstrip("\n") for line in new_lines[start:start + hunk.target_length]] != [
                    line.rstrip("\n") for line in expected]:
                raise DiffDoesNotApply(f"{target}: the hunk at line {hunk.target_start} does not match the file")
            old_lines.extend(line.value for line in hunk if not line.is_added)
            cursor = start + hunk.target_length
        old_lines.extend(new_lines[cursor:])
        if source != target:
            base.pop(target, None)
        base[source] = "".join(old_lines).encode()
    return base


def _strip(name: str) -> str:
    return name[2:] if name.startswith(("a/", "b/")) else name
