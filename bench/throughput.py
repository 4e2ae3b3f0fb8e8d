"""Throughput and memory of `reviewbot check`, next to ruff on the same files.

Usage: python bench/throughput.py [--corpus DIR] [--min-lines 200000] [--jobs N] [--rounds 3]

Without --corpus it builds one under bench/.corpus/ from the rule fixtures and the sample shop:
every file is copied many times with its identifiers renamed per copy, until the corpus holds at
least --min-lines lines of backend Python. Nearly every line of a fixture is a case some rule
examines, so that corpus is a worst case, several times slower per line than real projects; point
--corpus at a checkout of one for representative numbers. Prints two tables:

- whole commands: wall time, CPU time of the command and every process it started (the --jobs
  workers included), and the peak memory of its largest process;
- the per-file cost in one process, by stage, in CPU time. The stages run one after the other on
  each file, so a busy machine slows them alike; their ratios (full analysis / parse) are what to
  compare, never absolute numbers across runs or machines.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "bench" / ".corpus"
SEEDS = [ROOT / "tests" / "fixtures" / "checks", ROOT / "examples"]
_PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


def build_corpus(target: Path, min_lines: int) -> None:
    seeds = [p for root in SEEDS for p in sorted(root.rglob("*.py"))]
    if not seeds:
        raise SystemExit("no seed files found to build a corpus")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    lines = 0
    copy = 0
    while lines < min_lines:
        package = target / f"service_{copy:03d}"
        package.mkdir()
        for index, seed in enumerate(seeds):
            text = seed.read_text(encoding="utf-8", errors="replace")
            # Rename defs and classes per copy so no two copies are byte-identical.
            text = re.sub(r"\b(def|class) (\w+)", lambda m, copy=copy: f"{m.group(1)} {m.group(2)}_{copy}", text)
            (package / f"m{index:03d}_{seed.stem}.py").write_text(text, encoding="utf-8")
            lines += text.count("\n")
        copy += 1


def corpus_stats(corpus: Path) -> tuple[int, int]:
    files = list(corpus.rglob("*.py"))
    return len(files), sum(p.read_bytes().count(b"\n") for p in files)


def adopt_orphans() -> bool:
    """Make this process the reaper of its descendants (Linux), so that processes a command leaves
    behind (the forkserver of `--jobs`, and through it the workers) count in RUSAGE_CHILDREN."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_descendants(timeout: float = 10.0) -> None:
    """Wait for the descendants a finished command left behind (they exit once it has)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # none left
        if pid == 0:
            time.sleep(0.01)


def run_measured(command: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the command and all its descendants, peak RSS in MB of the
    largest of them), measured by a fresh copy of this script so each command is counted alone."""
    completed = subprocess.run([sys.executable, __file__, "--measure-command", "--", *command],
                               capture_output=True, cwd=ROOT, text=True)
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"{command[0]} failed ({completed.stdout.strip()})")
    wall, cpu, peak = completed.stdout.split()
    return float(wall), float(cpu), int(peak)


def measure_command(command: list[str]) -> int:
    """Run `command` as this process's only descendant tree and print wall s, CPU s, peak MB."""
    counted = adopt_orphans()
    start = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    wall = time.perf_counter() - start
    reap_descendants()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode not in (0, 1):
        sys.stderr.write(completed.stderr.decode())
        print(f"exit status {completed.returncode}")
        return 1
    if not counted:
        sys.stderr.write("worker processes are not counted on this platform\n")
    print(f"{wall:.3f} {usage.ru_utime + usage.ru_stime:.3f} {int(usage.ru_maxrss / 1024)}")
    return 0


def breakdown(corpus: Path, rounds: int) -> dict[str, float]:
    """CPU seconds per stage over all files, in one process (median of `rounds`): parse alone, the
    combined query alone (on the parsed tree), the whole per-file analysis, the model index."""
    from tree_sitter import QueryCursor

    from reviewbot.analysis import analyze_file, combined_query, enabled_rules
    from reviewbot.checks.registry import ProjectIndex
    from reviewbot.config import Config
    from reviewbot.source.models import build_model_index
    from reviewbot.source.parsing import parse

    sources = {p.relative_to(corpus).as_posix(): p.read_bytes() for p in sorted(corpus.rglob("*.py"))}
    config = Config()
    rules = enabled_rules(config)
    query = combined_query(rules).query
    clock = time.process_time

    start = clock()
    models = build_model_index(sources)
    model_index = clock() - start
    project = ProjectIndex(models=models)
    for path, data in list(sources.items())[:20]:  # warm up: imports, compiled queries
        analyze_file(path, data, config, rules, project)

    # Parse and full analysis alternate per file, as in a run; the query is timed in a pass of its
    # own (after a parse of the same file) and counted relative to that parse.
    samples: dict[str, list[float]] = {"parse": [], "full analysis": [], "combined query": []}
    for _ in range(rounds):
        parse_s = full_s = query_parse_s = query_s = 0.0
        for path, data in sources.items():
            start = clock()
            parse(data)
            parsed = clock()
            analyze_file(path, data, config, rules, project)
            parse_s += parsed - start
            full_s += clock() - parsed
        for data in sources.values():
            start = clock()
            tree = parse(data)
            parsed = clock()
            for _ in QueryCursor(query).matches(tree.root_node):
                pass
            query_parse_s += parsed - start
            query_s += clock() - parsed
        samples["parse"].append(parse_s)
        samples["full analysis"].append(full_s)
        samples["combined query"].append(query_s / query_parse_s * parse_s)
    timings = {stage: statistics.median(values) for stage, values in samples.items()}
    timings["model index"] = model_index
    return timings


def main() -> None:
    if sys.argv[1:2] == ["--measure-command"]:
        raise SystemExit(measure_command(sys.argv[3:] if sys.argv[2:3] == ["--"] else sys.argv[2:]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="a directory of Python files (default: generate one)")
    parser.add_argument("--min-lines", type=int, default=200_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3, help="passes of the per-stage breakdown (median)")
    args = parser.parse_args()

    corpus = args.corpus
    if corpus is None:
        corpus = DEFAULT_CORPUS
        build_corpus(corpus, args.min_lines)
    corpus = corpus.resolve()
    files, lines = corpus_stats(corpus)
    bin_dir = Path(sys.executable).parent
    reviewbot = [str(bin_dir / "reviewbot"), "check", str(corpus), "--format", "json", "--fail-on", "never"]
    ruff = [str(bin_dir / "ruff"), "check", "--no-cache", "--select", "PERF,ASYNC,S113", "--exit-zero",
            "--isolated", str(corpus)]

    rows = []
    for label, command in (
        ("reviewbot check --jobs 1", reviewbot + ["--jobs", "1"]),
        (f"reviewbot check --jobs {args.jobs}", reviewbot + ["--jobs", str(args.jobs)]),
        ("ruff check --select PERF,ASYNC,S113 (1 thread)", ["env", "RAYON_NUM_THREADS=1"] + ruff),
    ):
        wall, cpu, peak = run_measured(command)
        rows.append((label, wall, cpu, peak))

    print(f"corpus: {corpus} — {files} files, {lines:,} lines, {os.cpu_count()} cores\n")
    print(f"| {'command':<48} | {'wall s':>7} | {'lines/s':>10} | {'files/s':>8} | {'CPU s':>6} |"
          f" {'lines/CPU s':>11} | {'peak MB':>7} |")
    print(f"|{'-' * 50}|{'-' * 9}|{'-' * 12}|{'-' * 10}|{'-' * 8}|{'-' * 13}|{'-' * 9}|")
    for label, wall, cpu, peak in rows:
        print(f"| {label:<48} | {wall:7.2f} | {lines / wall:10,.0f} | {files / wall:8,.0f} | {cpu:6.2f} |"
              f" {lines / cpu if cpu else 0:11,.0f} | {peak:7d} |")
    single_wall, parallel_wall, ruff_wall = rows[0][1], rows[1][1], rows[2][1]
    print(f"\nruff (1 thread) is {single_wall / ruff_wall:.1f}x faster than reviewbot --jobs 1 on these files;"
          f" --jobs {args.jobs} speeds reviewbot up {single_wall / parallel_wall:.2f}x (wall). CPU s counts"
          " every process of a command (the --jobs workers too); peak MB is its largest process.")

    timings = breakdown(corpus, args.rounds)
    total = timings["full analysis"]
    parse_s = timings["parse"]
    query_s = timings["combined query"]
    python_s = total - parse_s - query_s
    print(f"\nPer-file cost in one process, CPU time (median of {args.rounds} rounds):\n")
    print(f"| {'stage':<34} | {'CPU s':>7} | {'lines/s':>10} | {'x parse':>7} |")
    print(f"|{'-' * 36}|{'-' * 9}|{'-' * 12}|{'-' * 9}|")
    for stage, seconds in (("parse (tree-sitter)", parse_s), ("combined query", query_s),
                           ("Python: call index and rule logic", python_s), ("full analysis", total),
                           ("model index (once per run)", timings["model index"])):
        print(f"| {stage:<34} | {seconds:7.2f} | {lines / seconds if seconds > 0 else 0:10,.0f} |"
              f" {seconds / parse_s if parse_s else 0:7.2f} |")
    print(f"\nfull analysis runs at {parse_s / total:.0%} of parse speed: {lines / total:,.0f} lines/s here;"
          f" {190_000 * parse_s / total:,.0f} lines/s where the parse alone runs at 190,000 lines/s.")


if __name__ == "__main__":
    main()
