"""`reviewbot demo`: the whole GitHub App pipeline on this machine, with no credentials.

It starts the GitHub sandbox (a fake GitHub API on 127.0.0.1) holding the example pull request
from `examples/`, runs the App as `reviewbot serve` does (web server, embedded queue, in-process
worker, SQLite state, all in a temporary directory), sends it a signed `pull_request` webhook,
waits for the worker's review, and prints what the App posted: the summary and every inline
comment with its anchor.

Explanations are added as `reviewbot serve` adds them: when the environment sets OPENAI_API_KEY
and REVIEWBOT_LLM_MODEL (and OPENAI_BASE_URL for another endpoint). The demo then also prints
what they cost: model calls, tokens in and out, cache hits.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import textwrap
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

REPOSITORY = "acme/shop"
NUMBER = 1
_MARKER = re.compile(r"\n?<!-- reviewbot:v1 [^<>]* -->\s*$")
_RULE = "-" * 78


def demo_command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    from reviewbot.sandbox import SandboxUnavailable
    from reviewbot.settings import SettingsError

    try:
        with tempfile.TemporaryDirectory(prefix="reviewbot-demo-") as data_dir:
            return run_demo(Path(data_dir), out, environ=os.environ)
    except (SandboxUnavailable, SettingsError) as error:
        print(f"reviewbot demo: {error}", file=sys.stderr)
        return 2


def run_demo(data_dir: Path, out: TextIO, environ: Mapping[str, str] | None = None) -> int:
    """`environ` supplies the explanation settings; without it the review has no explanations."""
    from reviewbot.sandbox import LocalApp, load_example
    from reviewbot.state.records import RunStatus

    example = load_example()
    write = out.write
    write("reviewbot demo: the GitHub App against a local GitHub sandbox (no credentials, no network)\n\n")
    with LocalApp(data_dir, explain_environ=environ or {}) as app:
        pull = app.add_example(example, REPOSITORY, NUMBER)
        write(f"  sandbox GitHub   {app.github.base_url}  pull request {REPOSITORY}#{NUMBER}: {example.title}\n")
        write(f"                   ({len(pull.files)} changed files, from {example.diff_path.name})\n")
        write(f"  reviewbot serve  {app.url}/webhook  (SQLite queue and state in a temporary directory)\n")
        started = time.perf_counter()
        status, answer = app.send("pull_request", app.pull_request_payload(REPOSITORY, NUMBER, "opened"))
        write(f"  webhook          pull_request.opened, signed -> {status} {answer.get('status')}"
              f"{' as run ' + str(answer['run']) if 'run' in answer else ''}\n")
        if status != 202 or answer.get("status") != "queued":
            write(f"\nThe App did not accept the webhook: {answer}\n")
            return 1
        [run] = app.wait_for_runs(1)
        elapsed = time.perf_counter() - started
        if run.status is not RunStatus.SUCCEEDED:
            write(f"\nThe review did not complete ({run.status}): {run.detail}\n")
            for error in run.errors:
                write(f"  {error}\n")
            return 1
        stages = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in run.timings.items() if name != "total")
        write(f"  review           posted {elapsed:.2f} s after the webhook, {run.api_calls} GitHub API calls"
              f" ({stages})\n")
        write(f"  explanations     {explanation_summary(run.explanation_stats)}\n")
        _print_review(out, pull, app.github.repos[REPOSITORY].check_runs.values())
    return 0


def explanation_summary(stats: Mapping[str, Any] | None) -> str:
    """What the explanation step of a run did, from its run record, in one line."""
    if stats is None:
        return "off (set OPENAI_API_KEY and REVIEWBOT_LLM_MODEL to add them)"
    if stats.get("error"):
        return f"unavailable: {stats['error']}"
    if not stats.get("enabled"):
        return f"off: {stats.get('disabled_reason') or 'not configured'}"
    line = (f"{stats.get('explained', 0)} of {stats.get('findings', 0)} findings explained by {stats.get('model')}, "
            f"{stats.get('verified', 0)} of {stats.get('suggestions_offered', 0)} suggested fixes verified; "
            f"{stats.get('llm_calls', 0)} model calls, {stats.get('tokens_in', 0)} tokens in, "
            f"{stats.get('tokens_out', 0)} out, {stats.get('cache_hits', 0)} cache hits")
    card_errors = len(stats.get("rule_card_errors") or ())
    if card_errors:
        line += f"; {card_errors} rule card{'s' if card_errors != 1 else ''} not used"
    return line


def _print_review(out: TextIO, pull: object, check_runs: object) -> None:
    write = out.write
    reviews = [r for r in pull.reviews if r["state"] != "PENDING"]  # type: ignore[attr-defined]
    for review in reviews:
        write(f"\n{_RULE}\nReview ({review['state']} on {review['commit_id'][:7]})\n{_RULE}\n")
        write(without_marker(review["body"]) + "\n")
    comments = sorted(pull.submitted_comments(), key=lambda c: (c["path"], c["line"]))  # type: ignore[attr-defined]
    write(f"\n{_RULE}\nInline comments ({len(comments)})\n{_RULE}\n")
    for comment in comments:
        write(f"\n{anchor(comment)}\n")
        write(textwrap.indent(without_marker(comment["body"]), "    ") + "\n")
    for check_run in check_runs:  # type: ignore[attr-defined]
        write(f"\n{_RULE}\nCheck run {check_run['name']}: {check_run['conclusion']} ({check_run['output']['title']}, "
              f"{check_run['output']['annotations_count']} annotations)\n")


def anchor(comment: dict) -> str:
    """`path:line` or `path:start-end`, as the comment sits on the pull request's diff."""
    if comment.get("start_line"):
        return f"{comment['path']}:{comment['start_line']}-{comment['line']}"
    return f"{comment['path']}:{comment['line']}"


def without_marker(body: str) -> str:
    """A body without its hidden marker line, which GitHub does not display either."""
    return _MARKER.sub("", body).rstrip()
