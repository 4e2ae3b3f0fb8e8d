"""The `reviewbot` command line.

    reviewbot check [PATH ...]            every finding in the files (directories are walked)
    reviewbot check --diff FILE|-         only findings on the changed lines of a unified diff
    reviewbot check --git BASE[..HEAD]    the same for `git diff BASE[..HEAD]`
    reviewbot rules [--format text|json]  the rule catalog
    reviewbot rule CODE|NAME              one rule's documentation
    reviewbot serve | worker | demo       the GitHub App (see reviewbot.app.cli) and the demo

Exit status: 0 when no reported finding reaches `--fail-on` (default: warning), 1 when one does,
2 for a usage, settings or input error. Files that were skipped or only partly analysed are
reported (on standard error for text output) but do not change the exit status.

`--explain` calls `reviewbot.llm.cli_support.explain_for_cli(result, files, config, root=...)`,
which returns the result with explanations added where the LLM endpoint answered, writes its own
notes to standard error, and raises `ConfigError` for settings it cannot use (exit status 2).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from reviewbot import __version__
from reviewbot.checks.registry import Rule, all_rules, rule_by_code
from reviewbot.collect import (
    ChangeSet,
    InputError,
    Project,
    analyze_in_processes,
    changes_from_diff_text,
    changes_from_git,
    default_jobs,
    find_project,
    project_models,
    python_files,
    read_changed_files,
    read_diff_text,
    read_files,
    start_worker_server,
)
from reviewbot.config import Config, ConfigError
from reviewbot.config_loader import load_config
from reviewbot.diff import FileDiff
from reviewbot.findings import AnalysisResult, Finding, Severity

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE
FORMATS = ("text", "json", "sarif", "github", "markdown")
DIFF_FILTERS = ("added", "hunk", "file", "all")
SEVERITIES = tuple(str(s) for s in Severity)


class UsageError(Exception):
    """A problem with the command line a user can fix; printed as `reviewbot: error: ...`."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        status = int(args.handler(args) or 0)
        sys.stdout.flush()
        return status
    except (UsageError, ConfigError, InputError) as error:
        print(f"reviewbot: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`reviewbot rules | head -1`): stop quietly, as a shell tool does.
        # Standard output is pointed at /dev/null so the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reviewbot",
        description="Finds performance problems in Python backend code: N+1 queries, blocking calls in "
                    "async code, HTTP calls without timeouts, unbounded caches and queries.",
    )
    parser.add_argument("--version", action="version", version=f"reviewbot {__version__}")
    parser.set_defaults(command=None)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    check = commands.add_parser(
        "check", help="analyse files, a diff or a git range",
        description="Analyse Python files. With --diff or --git only findings on changed code are "
                    "reported; otherwise every finding in the given files is.",
    )
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                       help="files or directories (default: the current directory; with --diff/--git: "
                            "limits the changed files analysed)")
    source = check.add_mutually_exclusive_group()
    source.add_argument("--diff", metavar="FILE",
                        help="a unified diff (`-` reads standard input); its paths are relative to the "
                             "repository root")
    source.add_argument("--git", metavar="BASE[..HEAD]",
                        help="`BASE`: the working tree against BASE (untracked files are not included); "
                             "`BASE..HEAD` or `BASE...HEAD`: the files as committed in HEAD")
    check.add_argument("--filter", choices=DIFF_FILTERS, default="added", dest="diff_filter",
                       help="with --diff/--git, which findings count as changed code: on an added line "
                            "(default), inside a hunk, anywhere in a changed file, or all")
    check.add_argument("--format", choices=FORMATS, default="text", dest="output_format",
                       help="text (default; code frames), json, sarif (SARIF 2.1.0), github (workflow "
                            "annotations) or markdown (the review as the App would post it)")
    check.add_argument("--min-severity", choices=SEVERITIES, default="info",
                       help="report only findings of this severity or higher (default: info)")
    check.add_argument("--fail-on", choices=(*SEVERITIES, "never"), default="warning",
                       help="exit with status 1 when a reported finding has this severity or higher "
                            "(default: warning)")
    check.add_argument("--select", type=_code_list, action="extend", metavar="CODES",
                       help="comma-separated codes or prefixes to run, replacing `select` of the settings")
    check.add_argument("--extend-select", type=_code_list, action="extend", metavar="CODES",
                       help="codes or prefixes to run in addition (also preview rules)")
    check.add_argument("--ignore", type=_code_list, action="extend", metavar="CODES",
                       help="codes or prefixes not to run, in addition to `ignore` of the settings")
    check.add_argument("--preview", action="store_true", help="also run rules in preview")
    check.add_argument("--no-context-severity", action="store_true",
                       help="keep each rule's severity in handlers, tasks, tests, migrations and scripts")
    check.add_argument("--config", type=Path, metavar="FILE",
                       help="settings file (default: .reviewbot.toml or pyproject.toml [tool.reviewbot], "
                            "searched upwards from the first path)")
    check.add_argument("--jobs", "-j", type=_positive_int, default=None, metavar="N",
                       help="processes to analyse with (default: one per processor; 1: no extra process)")
    check.add_argument("--no-color", action="store_true", help="no colours in text output")
    check.add_argument("--explain", action="store_true",
                       help="add explanations from the configured LLM endpoint (OPENAI_API_KEY, "
                            "REVIEWBOT_LLM_MODEL)")
    check.set_defaults(command="check", handler=check_command)

    rules = commands.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=("text", "json"), default="text", dest="output_format")
    rules.set_defaults(command="rules", handler=rules_command)

    rule = commands.add_parser("rule", help="show a rule's documentation")
    rule.add_argument("code", metavar="CODE", help="a rule code (RB203) or name (http-call-without-timeout)")
    rule.set_defaults(command="rule", handler=rule_command)

    serve = commands.add_parser("serve", help="run the GitHub App: webhook server and a worker")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    serve.set_defaults(command="serve", handler=_delegate("reviewbot.app.cli", "serve_command"))

    worker = commands.add_parser("worker", help="run a worker of the GitHub App")
    worker.set_defaults(command="worker", handler=_delegate("reviewbot.app.cli", "worker_command"))

    demo = commands.add_parser("demo", help="review an example project locally")
    demo.set_defaults(command="demo", handler=_delegate("reviewbot.demo", "demo_command"))
    return parser


# ----------------------------------------------------------------------------------- check


def check_command(args: argparse.Namespace, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    known = [rule.code for rule in all_rules()]
    paths: list[Path] = list(args.paths)
    diff_mode = args.diff is not None or args.git is not None
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
    start = paths[0] if paths else Path.cwd()
    loaded = load_config(args.config, start, known)
    config = apply_overrides(loaded.config, args, known)
    project = find_project(paths, loaded.path)

    diffs = None
    if diff_mode:
        changes = _changes(args, project)
        files, read_errors = read_changed_files(changes, project, config, paths)
        diffs = changes.diffs
    else:
        files, read_errors = read_files(python_files(paths or [Path(".")], project, config), project)

    jobs = args.jobs or default_jobs()
    start_worker_server(len(files), jobs)  # it starts up while the models are indexed
    models = project_models(project, config, files)
    result = analyze_in_processes(files, diffs, config, diff_filter=args.diff_filter, models=models, jobs=jobs)
    result = AnalysisResult(
        findings=at_least(result.findings, Severity(args.min_severity)),
        errors=sorted(read_errors + result.errors, key=lambda e: e.path),
    )
    if args.explain:
        result = _explain(result, files, config, project.root)

    files_checked = len(files) + len(read_errors)
    _render(args, result, files, diffs, config, files_checked, stdout, stderr)
    return exit_status(result.findings, args.fail_on)


def apply_overrides(config: Config, args: argparse.Namespace, known: Sequence[str]) -> Config:
    """The settings with the command line's --select/--extend-select/--ignore/--preview applied."""
    for option, codes in (("--select", args.select), ("--extend-select", args.extend_select),
                          ("--ignore", args.ignore)):
        for code in codes or ():
            if code != "ALL" and not any(k.startswith(code) for k in known):
                raise UsageError(f"{option}: unknown rule code {code!r} (`reviewbot rules` lists them)")
    if args.select:
        config = replace(config, select=frozenset(args.select))
    if args.extend_select:
        config = replace(config, extend_select=config.extend_select | frozenset(args.extend_select))
    if args.ignore:
        config = replace(config, ignore=config.ignore | frozenset(args.ignore))
    if args.preview:
        config = replace(config, preview=True)
    if args.no_context_severity:
        config = replace(config, context_severity=False)
    return config


def at_least(findings: Sequence[Finding], minimum: Severity) -> list[Finding]:
    return [f for f in findings if f.severity.rank >= minimum.rank]


def exit_status(findings: Sequence[Finding], fail_on: str) -> int:
    if fail_on == "never":
        return EXIT_CLEAN
    threshold = Severity(fail_on)
    return EXIT_FINDINGS if any(f.severity.rank >= threshold.rank for f in findings) else EXIT_CLEAN


def _changes(args: argparse.Namespace, project: Project) -> ChangeSet:
    if args.git is not None:
        return changes_from_git(args.git, project)
    return changes_from_diff_text(read_diff_text(args.diff), project)


def _explain(result: AnalysisResult, files: Mapping[str, bytes], config: Config, root: Path) -> AnalysisResult:
    try:
        from reviewbot.llm.cli_support import explain_for_cli
    except ImportError as error:
        raise UsageError(f"--explain is not available in this installation ({error})") from None
    return explain_for_cli(result, files, config, root=root)


def _render(args: argparse.Namespace, result: AnalysisResult, files: Mapping[str, bytes],
            diffs: Mapping[str, FileDiff] | None, config: Config, files_checked: int, stdout: TextIO,
            stderr: TextIO) -> None:
    fmt = args.output_format
    if fmt == "text":
        from reviewbot.render.text import render_errors_text, render_text

        color = not args.no_color and "NO_COLOR" not in os.environ and _is_terminal(stdout)
        stdout.write(render_text(result.findings, files, files_checked=files_checked, color=color))
        stderr.write(render_errors_text(result.errors))
    elif fmt == "json":
        from reviewbot.render.json_output import render_json

        stdout.write(render_json(result.findings, result.errors))
    elif fmt == "sarif":
        from reviewbot.analysis import enabled_rules
        from reviewbot.render.sarif import render_sarif

        stdout.write(render_sarif(result.findings, result.errors, enabled_rules(config)))
    elif fmt == "github":
        from reviewbot.render.annotations import render_annotations

        stdout.write(render_annotations(result.findings, result.errors))
    else:
        try:
            from reviewbot.render.markdown import render_review_markdown
        except ImportError as error:
            raise UsageError(f"--format markdown is not available in this installation ({error})") from None
        stdout.write(render_review_markdown(result.findings, result.errors, diffs=diffs,
                                            max_inline=config.app.max_inline_comments))


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# ----------------------------------------------------------------------------------- rules


def rules_command(args: argparse.Namespace, *, stdout: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    rules = all_rules()
    if args.output_format == "json":
        import json

        fields = ("code", "name", "category", "severity", "principle", "summary")
        catalog = [{key: rule.metadata()[key] for key in fields} for rule in rules]
        stdout.write(json.dumps(catalog, indent=2) + "\n")
    else:
        stdout.write(render_rule_table(rules))
    return EXIT_CLEAN


def render_rule_table(rules: Sequence[type[Rule]]) -> str:
    """One line per rule: code, name, default severity, principle, and the summary."""
    if not rules:
        return ""
    name_width = max(len(rule.name) for rule in rules)
    principle_width = max(len(str(rule.principle)) for rule in rules)
    lines = []
    for rule in rules:
        summary = rule.summary() + (" (preview)" if rule.preview else "")
        lines.append(
            f"{rule.code}  {rule.name.ljust(name_width)}  {str(rule.severity).ljust(7)}  "
            f"{str(rule.principle).ljust(principle_width)}  {summary}"
        )
    return "".join(line + "\n" for line in lines)


def rule_command(args: argparse.Namespace, *, stdout: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    wanted = args.code.strip()
    rule = rule_by_code(wanted) or rule_by_code(wanted.upper()) or rule_by_code(wanted.lower())
    if rule is None:
        raise UsageError(f"unknown rule {wanted!r} (`reviewbot rules` lists them)")
    stdout.write(render_rule_doc(rule))
    return EXIT_CLEAN


def render_rule_doc(rule: type[Rule]) -> str:
    preview = " It is in preview: it runs only with `preview = true` or --preview." if rule.preview else ""
    return (
        f"# {rule.name} ({rule.code})\n\n"
        f"Category: {rule.category}. Principle: {rule.principle}. Default severity: {rule.severity}.{preview}\n\n"
        f"{rule.doc()}"
    )


# ------------------------------------------------------------------- commands owned elsewhere


def _delegate(module_name: str, function_name: str) -> Callable[[argparse.Namespace], int]:
    """A handler that imports its module only when run, so that `check` works in an installation
    without the App's dependencies."""

    def handler(args: argparse.Namespace) -> int:
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise UsageError(f"`reviewbot {args.command}` is not available in this installation ({error})") from None
        return int(getattr(module, function_name)(args) or 0)

    return handler


# ------------------------------------------------------------------------------ arguments


def _code_list(text: str) -> list[str]:
    codes = [part.strip().upper() for part in text.split(",") if part.strip()]
    if not codes:
        raise argparse.ArgumentTypeError("expected comma-separated rule codes, e.g. RB101,RB2")
    return codes


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


if __name__ == "__main__":
    sys.exit(main())
