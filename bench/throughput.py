"""Throughput and memory of `reviewbot check`, next to ruff on the same files.

Usage: python bench/throughput.py [--corpus DIR] [--min-lines 200000] [--jobs N]

Without --corpus it builds one under bench/.corpus/ from the rule fixtures and the sample shop:
every file is copied many times with its identifiers renamed per copy, until the corpus holds at
least --min-lines lines of backend Python. Prints one table; compare ratios within one run (the
machine is shared and noisy), never absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "bench" / ".corpus"
SEEDS = [ROOT / "tests" / "fixtures" / "checks", ROOT / "examples"]


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
            text = re.sub(r"\b(def|class) (\w+)", lambda m: f"{m.group(1)} {m.group(2)}_{copy}", text)
            (package / f"m{index:03d}_{seed.stem}.py").write_text(text, encoding="utf-8")
            lines += text.count("\n")
        copy += 1


def corpus_stats(corpus: Path) -> tuple[int, int]:
    files = list(corpus.rglob("*.py"))
    return len(files), sum(p.read_bytes().count(b"\n") for p in files)


def run_measured(command: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the children, peak RSS in MB of the largest child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode not in (0, 1):
        sys.stderr.write(completed.stderr.decode())
        raise SystemExit(f"{command[0]} failed with exit code {completed.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, int(after.ru_maxrss / 1024)


def breakdown(corpus: Path) -> dict[str, float]:
    """Per-file cost split, in one process: parse, parse + the combined query, the full analysis."""
    from tree_sitter import QueryCursor

    from reviewbot.analysis import analyze_file, combined_query, enabled_rules
    from reviewbot.checks.registry import ProjectIndex
    from reviewbot.config import Config
    from reviewbot.source.models import build_model_index
    from reviewbot.source.parsing import parse

    sources = {str(p): p.read_bytes() for p in sorted(corpus.rglob("*.py"))}
    config = Config()
    rules = enabled_rules(config)
    query = combined_query(rules).query
    timings: dict[str, float] = {}

    start = time.perf_counter()
    models = build_model_index(sources)
    timings["model index"] = time.perf_counter() - start

    start = time.perf_counter()
    for data in sources.values():
        parse(data)
    timings["parse"] = time.perf_counter() - start

    start = time.perf_counter()
    for data in sources.values():
        tree = parse(data)
        for _ in QueryCursor(query).matches(tree.root_node):
            pass
    timings["parse + query"] = time.perf_counter() - start

    project = ProjectIndex(models=models)
    start = time.perf_counter()
    for path, data in sources.items():
        analyze_file(path, data, config, rules, project)
    timings["full analysis"] = time.perf_counter() - start
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="a directory of Python files (default: generate one)")
    parser.add_argument("--min-lines", type=int, default=200_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    corpus = args.corpus
    if corpus is None:
        corpus = DEFAULT_CORPUS
        build_corpus(corpus, args.min_lines)
    files, lines = corpus_stats(corpus)
    bin_dir = Path(sys.executable).parent
    reviewbot = [str(bin_dir / "reviewbot"), "check", str(corpus), "--format", "json", "--fail-on", "never"]
    ruff = [str(bin_dir / "ruff"), "check", "--no-cache", "--select", "PERF,ASYNC,S113", "--exit-zero",
            "--isolated", str(corpus)]

    rows = []
    for label, command in (
        ("reviewbot check --jobs 1", reviewbot + ["--jobs", "1"]),
        (f"reviewbot check --jobs {args.jobs}", reviewbot + ["--jobs", str(args.jobs)]),
        ("ruff check --select PERF,ASYNC,S113 (1 thread)", ruff),
    ):
        env_command = command
        if label.startswith("ruff"):
            env_command = ["env", "RAYON_NUM_THREADS=1"] + command
        wall, cpu, peak = run_measured(env_command)
        rows.append((label, wall, cpu, peak))

    print(f"corpus: {corpus} — {files} files, {lines:,} lines, {os.cpu_count()} cores\n")
    print(f"| {'command':<48} | {'wall s':>7} | {'lines/s':>10} | {'files/s':>8} | {'CPU s':>6} | {'peak MB':>7} |")
    print(f"|{'-' * 50}|{'-' * 9}|{'-' * 12}|{'-' * 10}|{'-' * 8}|{'-' * 9}|")
    for label, wall, cpu, peak in rows:
        print(f"| {label:<48} | {wall:7.2f} | {lines / wall:10,.0f} | {files / wall:8,.0f} | {cpu:6.2f} | {peak:7d} |")
    single = rows[0][1]
    print(f"\nruff (1 thread) is {single / rows[2][1]:.1f}x faster than reviewbot --jobs 1 on these files;"
          f" --jobs {args.jobs} speeds reviewbot up {single / rows[1][1]:.2f}x.")

    timings = breakdown(corpus)
    total = timings["full analysis"]
    print("\nPer-file cost breakdown (one process):\n")
    print(f"| {'stage':<28} | {'seconds':>8} | {'lines/s':>10} | {'share':>6} |")
    print(f"|{'-' * 30}|{'-' * 10}|{'-' * 12}|{'-' * 8}|")
    parse_s = timings["parse"]
    query_s = timings["parse + query"] - parse_s
    python_s = total - timings["parse + query"]
    for stage, seconds in (("parse (tree-sitter)", parse_s), ("combined query", query_s),
                           ("Python rule logic", python_s), ("full analysis", total),
                           ("model index (once)", timings["model index"])):
        print(f"| {stage:<28} | {seconds:8.2f} | {lines / seconds if seconds > 0 else 0:10,.0f} |"
              f" {seconds / total * 100:5.0f}% |")


if __name__ == "__main__":
    main()
