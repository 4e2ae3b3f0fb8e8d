"""The input of `reviewbot check`, gathered from disk and git, and the analysis spread over processes.

Paths are reported relative to the project root: the directory of the settings file, else the
repository root, else the directory the given paths have in common. Globs in the settings
(`exclude`, `per-file-ignores`, `test-paths`) match these relative paths.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from reviewbot.analysis import analyze
from reviewbot.checks.registry import all_rules
from reviewbot.config import Config
from reviewbot.config_loader import find_repository_root
from reviewbot.diff import DiffError, FileDiff, parse_unified_diff
from reviewbot.findings import AnalysisResult, FileError
from reviewbot.source.models import ModelIndex, build_model_index

# Never part of the project's own code: environments, caches, build output, vendored packages.
SKIPPED_DIRECTORIES = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", "build", "dist", ".tox", ".nox",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs"}
)
# Below this many files per process, starting processes costs more than it saves.
FILES_PER_PROCESS = 4


class InputError(Exception):
    """Input the command cannot use: a missing path, an unreadable diff, a failed git command."""


@dataclass(frozen=True)
class Project:
    root: Path  # absolute

    def relative(self, path: Path) -> str:
        """`path` relative to the root with `/` separators; absolute when it lies outside."""
        absolute = path.resolve()
        try:
            return absolute.relative_to(self.root).as_posix()
        except ValueError:
            return absolute.as_posix()


def find_project(paths: Sequence[Path], config_file: Path | None) -> Project:
    """The project the paths belong to (see the module docstring for the order)."""
    if config_file is not None:
        return Project(config_file.resolve().parent)
    start = paths[0] if paths else Path.cwd()
    repository = find_repository_root(start)
    if repository is not None:
        return Project(repository.resolve())
    directories = [p.resolve() if p.is_dir() else p.resolve().parent for p in paths] or [Path.cwd().resolve()]
    return Project(Path(os.path.commonpath(directories)))


# ------------------------------------------------------------------------------------- files


def python_files(paths: Sequence[Path], project: Project, config: Config) -> list[Path]:
    """The files to analyse: each file named, and every `*.py` below each directory named,
    leaving out skipped directories and what `exclude` matches. Sorted, without duplicates."""
    found: dict[Path, None] = {}
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        if path.is_dir():
            for file in _walk_python_files(path, project, config):
                found.setdefault(file.resolve(), None)
        elif not config.is_excluded(project.relative(path)):
            found.setdefault(path.resolve(), None)
    return sorted(found)


def _walk_python_files(directory: Path, project: Project, config: Config) -> Iterator[Path]:
    for current, subdirectories, filenames in os.walk(directory):
        base = Path(current)
        subdirectories[:] = sorted(
            name for name in subdirectories
            if name not in SKIPPED_DIRECTORIES and not config.is_excluded(project.relative(base / name))
        )
        for name in sorted(filenames):
            if name.endswith(".py") and not config.is_excluded(project.relative(base / name)):
                yield base / name


def read_files(paths: Sequence[Path], project: Project) -> tuple[dict[str, bytes], list[FileError]]:
    """Project-relative path -> bytes; a file that cannot be read becomes an error, not a stop."""
    files: dict[str, bytes] = {}
    errors: list[FileError] = []
    for path in paths:
        name = project.relative(path)
        try:
            files[name] = path.read_bytes()
        except OSError as error:
            errors.append(FileError(name, "skipped", f"cannot read: {error.strerror or error}"))
    return files, errors


def model_sources(project: Project, config: Config, known: Mapping[str, bytes]) -> dict[str, bytes]:
    """Every other `*.py` file of the project, for the model index: a loop in a changed view
    needs the relations declared in an unchanged models.py. Files over `max-file-size` and
    files that cannot be read are left out; `known` files are not read again."""
    sources: dict[str, bytes] = {}
    for path in _walk_python_files(project.root, project, config):
        name = project.relative(path)
        if name in known:
            continue
        try:
            if path.stat().st_size > config.max_file_size:
                continue
            sources[name] = path.read_bytes()
        except OSError:
            continue
    return sources


def project_models(project: Project, config: Config, files: Mapping[str, bytes]) -> ModelIndex:
    """The model index of the whole project, with `files` taking precedence over the disk
    (they may be another revision)."""
    return build_model_index({**model_sources(project, config, files), **files})


# ------------------------------------------------------------------------------------- diffs


@dataclass(frozen=True)
class ChangeSet:
    diffs: dict[str, FileDiff]  # project-relative path -> its diff
    revision: str | None  # the commit to read the files from; None: the working tree


def read_diff_text(source: str, stdin: BinaryIO | None = None) -> str:
    """The text of `--diff FILE`, or of standard input for `-`."""
    if source == "-":
        data = (stdin or sys.stdin.buffer).read()
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as error:
            raise InputError(f"{source}: cannot read the diff: {error.strerror or error}") from None
    # Only line numbers are taken from a diff: bytes that are not UTF-8 may be replaced.
    return data.decode("utf-8", "replace")


def changes_from_diff_text(text: str, project: Project) -> ChangeSet:
    """A diff given as text. Its paths are taken as relative to the repository root (as `git diff`
    writes them), or to the project root outside a repository."""
    try:
        diffs = parse_unified_diff(text)
    except DiffError as error:
        raise InputError(f"--diff: {error}") from None
    base = find_repository_root(project.root) or project.root
    return ChangeSet(_rebase(diffs, base, project), revision=None)


def changes_from_git(spec: str, project: Project) -> ChangeSet:
    """`--git BASE` (the working tree against BASE), `--git BASE..HEAD` or `--git BASE...HEAD`
    (HEAD against the merge base); files are then read from HEAD with `git show`."""
    if not spec or spec.startswith("-"):
        raise InputError(f"--git: not a revision: {spec!r}")
    revision: str | None = None
    for separator in ("...", ".."):
        if separator in spec:
            base, head = spec.split(separator, 1)
            if not base:
                raise InputError(f"--git: no base revision in {spec!r}")
            revision = head or "HEAD"
            spec = f"{base}{separator}{revision}"
            break
    output = run_git(
        project.root,
        "-c", "core.quotePath=off",
        "diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M", "--relative",
        "--src-prefix=a/", "--dst-prefix=b/", spec, "--",
    )
    try:
        diffs = parse_unified_diff(output.decode("utf-8", "replace"))
    except DiffError as error:
        raise InputError(f"--git: cannot read the output of git diff: {error}") from None
    # `--relative` made the paths relative to the project root already.
    return ChangeSet(_rebase(diffs, project.root, project), revision=revision)


def run_git(directory: Path, *args: str) -> bytes:
    try:
        completed = subprocess.run(["git", "-C", str(directory), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise InputError("git is not installed (it is needed for --git)") from None
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip() or f"exit status {completed.returncode}"
        raise InputError(f"git: {message}")
    return completed.stdout


def _rebase(diffs: Mapping[str, FileDiff], base: Path, project: Project) -> dict[str, FileDiff]:
    rebased: dict[str, FileDiff] = {}
    for path, diff in diffs.items():
        name = project.relative(base / path)
        rebased[name] = replace(diff, path=name)
    return rebased


def read_changed_files(
    changes: ChangeSet, project: Project, config: Config, within: Sequence[Path]
) -> tuple[dict[str, bytes], list[FileError]]:
    """The changed, not removed `*.py` files below `within` (every changed file when empty), read
    from the working tree or from `changes.revision`."""
    roots = [p.resolve() for p in within]
    files: dict[str, bytes] = {}
    errors: list[FileError] = []
    for name, diff in sorted(changes.diffs.items()):
        if diff.status == "removed" or not name.endswith(".py") or config.is_excluded(name):
            continue
        absolute = (project.root / name).resolve()
        if roots and not any(absolute == root or root in absolute.parents for root in roots):
            continue
        if changes.revision is None:
            try:
                files[name] = absolute.read_bytes()
            except OSError as error:
                errors.append(FileError(name, "skipped", f"cannot read: {error.strerror or error}"))
        else:
            try:
                files[name] = run_git(project.root, "show", f"{changes.revision}:./{name}")
            except InputError as error:
                errors.append(FileError(name, "skipped", f"cannot read it from {changes.revision}: {error}"))
    return files, errors


# --------------------------------------------------------------------------------- analysis


def default_jobs() -> int:
    """The processors this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def analyze_in_processes(
    files: Mapping[str, bytes],
    diffs: Mapping[str, FileDiff] | None,
    config: Config,
    *,
    diff_filter: str,
    models: ModelIndex,
    jobs: int,
) -> AnalysisResult:
    """`analyze` with the files spread over up to `jobs` processes; the same result, in the
    same order, as one `analyze` call. The model index is built once, by the caller, and sent to
    each process once (not with every batch)."""
    processes = _process_count(len(files), jobs)
    if processes <= 1:
        return analyze(files, diffs, config, diff_filter=diff_filter, models=models)
    batches = _batches(files, processes * 4)
    result = AnalysisResult()
    with ProcessPoolExecutor(max_workers=processes, mp_context=_worker_context(), initializer=_start_worker,
                             initargs=(models,)) as executor:
        futures: list[tuple[list[str], Future[AnalysisResult]]] = []
        for batch in batches:
            batch_files = {path: files[path] for path in batch}
            batch_diffs = None if diffs is None else {p: diffs[p] for p in batch if p in diffs}
            future = executor.submit(_analyze_batch, batch_files, batch_diffs, config, diff_filter)
            futures.append((batch, future))
        for batch, future in futures:
            try:
                part = future.result()
            except BrokenProcessPool:
                # A crash in the parser's C code takes its process down; the files of that batch
                # are reported, the others still are analysed.
                part = AnalysisResult(errors=[
                    FileError(path, "internal", "the analysis process stopped unexpectedly") for path in batch
                ])
            result.findings.extend(part.findings)
            result.errors.extend(part.errors)
    result.findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule))
    result.errors.sort(key=lambda e: e.path)
    return result


def start_worker_server(file_count: int, jobs: int) -> None:
    """Start the server that forks the analysis processes now, when `analyze_in_processes` will
    use processes, so that it imports the analysis while the caller builds the model index."""
    if sys.platform != "win32" and _process_count(file_count, jobs) > 1:
        _worker_context()
        multiprocessing.forkserver.ensure_running()


def _process_count(file_count: int, jobs: int) -> int:
    return min(jobs, file_count // FILES_PER_PROCESS)


def _worker_context() -> multiprocessing.context.BaseContext:
    if sys.platform == "win32":
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # Workers are forked from a server that has imported the analysis and every rule already, so
    # each starts in milliseconds instead of importing (and compiling the rules' queries) itself.
    context.set_forkserver_preload(["reviewbot.analysis", *(rule.__module__ for rule in all_rules())])
    return context


_WORKER_MODELS: ModelIndex | None = None  # set once in each worker process


def _start_worker(models: ModelIndex) -> None:
    global _WORKER_MODELS
    _WORKER_MODELS = models


def _analyze_batch(files: dict[str, bytes], diffs: dict[str, FileDiff] | None, config: Config,
                   diff_filter: str) -> AnalysisResult:
    return analyze(files, diffs, config, diff_filter=diff_filter, models=_WORKER_MODELS)


def _batches(files: Mapping[str, bytes], count: int) -> list[list[str]]:
    """Paths in `count` batches of about equal size: the largest file goes to the lightest batch."""
    batches: list[list[str]] = [[] for _ in range(min(count, len(files)))]
    sizes = [0] * len(batches)
    for path in sorted(files, key=lambda p: (-len(files[p]), p)):
        lightest = sizes.index(min(sizes))
        batches[lightest].append(path)
        sizes[lightest] += len(files[path])
    return [sorted(batch) for batch in batches if batch]
