"""What explanations add to a review: wall time, tokens, and cache hits on a re-push.

The endpoint is the local chat-completions stand-in (tests/llm/fake_llm_server.py) answering each
call after an artificial latency (1 s by default), so the numbers show the cost of the explanation
step itself: concurrency, prompt size, verification and the cache.

    .venv/bin/python bench/llm.py [--findings 30] [--latency 1.0] [--concurrency 8 16 32]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reviewbot import Config, analyze  # noqa: E402
from reviewbot.config import LlmOptions  # noqa: E402
from reviewbot.llm import ExplanationCache, LlmSettings, explain_findings  # noqa: E402
from tests.llm.fake_llm_server import FakeLlmServer, timeout_fixer  # noqa: E402

FUNCTIONS_PER_FILE = 5


def review_files(findings: int, shift: int = 0) -> dict[str, bytes]:
    """`findings` distinct functions, each making one `requests` call without a timeout."""
    files: dict[str, bytes] = {}
    for index in range(findings):
        path = f"services/partner_{index // FUNCTIONS_PER_FILE}.py"
        if path not in files:
            files[path] = b"# moved down\n" * shift + b"import requests\n\nBASE = 'https://partner.example/api'\n"
        files[path] += (
            f"\n\ndef sync_resource_{index}(session_id, page=1):\n"
            f"    params = {{'page': page, 'session': session_id, 'kind': {index}}}\n"
            f"    response = requests.get(f'{{BASE}}/resources/{index}', params=params)\n"
            f"    response.raise_for_status()\n"
            f"    return [item['id'] for item in response.json()['items']]\n"
        ).encode()
    return files


def run(files: dict[str, bytes], config: Config, settings: LlmSettings, cache: ExplanationCache):
    findings = analyze(files, config=config).findings
    started = time.perf_counter()
    outcome = explain_findings(findings, files, config, settings, cache)
    return time.perf_counter() - started, len(findings), outcome.stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, default=30)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per call at the endpoint")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 16, 32])
    args = parser.parse_args()

    config = Config(llm=LlmOptions(max_findings=args.findings, max_tokens=10_000_000))
    rows = []
    with FakeLlmServer(responder=timeout_fixer, latency=args.latency) as server, \
            tempfile.TemporaryDirectory() as scratch:
        # The openai SDK imports and builds its models on first use (about a second, once per process);
        # a one-finding warm-up keeps that out of the per-review numbers and is reported on its own.
        warm_settings = LlmSettings(api_key="bench", model="bench-model", base_url=server.base_url)
        warm_up, _, _ = run(review_files(1), config, warm_settings.model_copy(update={"model": "warm-up"}),
                            ExplanationCache("sqlite://"))
        for concurrency in args.concurrency:
            settings = LlmSettings(api_key="bench", model="bench-model", base_url=server.base_url,
                                   concurrency=concurrency, deadline=120)
            cache = ExplanationCache(f"sqlite:///{Path(scratch) / f'cache-{concurrency}.sqlite3'}")
            for label, shift in (("first push", 0), ("re-push, same code", 0), ("re-push, code moved", 3)):
                calls_before = server.call_count
                seconds, count, stats = run(review_files(args.findings, shift), config, settings, cache)
                explained = max(stats.explained, 1)
                rows.append((
                    concurrency, label, count, stats.explained, f"{seconds:.2f}",
                    server.call_count - calls_before, f"{(stats.tokens_in + stats.tokens_out) / explained:.0f}",
                    f"{stats.tokens_in / explained:.0f}/{stats.tokens_out / explained:.0f}",
                    f"{stats.cache_hit_rate:.0%}", f"{stats.verified}/{stats.suggestions_offered}",
                ))
            cache.engine.dispose()

    headers = ("concurrency", "review", "findings", "explained", "added s", "calls", "tokens/finding",
               "in/out", "cache hits", "fixes verified")
    widths = [max(len(str(v)) for v in column) for column in zip(headers, *rows, strict=False)]
    print(f"endpoint latency {args.latency:g} s per call; {args.findings}-finding review (RB203); "
          f"first call of the process (warm-up, 1 finding): {warm_up:.2f} s\n")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
