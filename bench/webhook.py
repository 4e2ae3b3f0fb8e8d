"""The GitHub App under load on loopback: webhook acknowledgement latency, lost deliveries, and
the cost of one review.

Usage: python bench/webhook.py [--rate 200] [--seconds 10] [--reviews 5] [--files 100]

1. Acknowledgement: `reviewbot serve` (a separate process, embedded SQLite queue, in-process
   worker) receives signed `pull_request.synchronize` and `issue_comment` deliveries at a fixed
   rate (open loop: latency is measured from each request's scheduled time, so a stalled server
   cannot hide its backlog), after 40 untimed warm-up deliveries. Each push moves its pull
   request's head on the fake GitHub first, so the worker reviews real heads while the load
   runs and supersedes the runs whose head moved on. Afterwards every accepted delivery id must
   be in the state database and every queued run must have ended.
2. Review: a synthetic pull request of --files changed Python files on the fake GitHub, reviewed
   by the App with production client settings (writes paced one second apart, as GitHub asks);
   GitHub API calls per review and the time from the webhook to the review being posted.

Prints one table. Loopback numbers on a shared machine: compare runs on the same machine only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reviewbot.github import ClientOptions  # noqa: E402
from reviewbot.sandbox import LocalApp, generate_app_key, load_fake_github  # noqa: E402
from reviewbot.state.store import StateStore  # noqa: E402
from reviewbot.webhooks.signature import sign  # noqa: E402
from tests.app.processes import app_environment, free_port, is_healthy, start, stop, wait_until  # noqa: E402

SECRET = "bench-webhook-secret"
REPOSITORY = "bench/service"
PULL_REQUESTS = 20


# ---------------------------------------------------------------- 1. acknowledgement latency


class Deliveries:
    """A realistic mix: mostly pushes to one of 20 open pull requests, some ordinary comments.

    A push moves the pull request's head on the fake GitHub before its webhook is sent, as on
    GitHub: the worker reviews heads that exist, and a run whose head moved on while it waited in
    the queue is superseded without a GitHub call."""

    def __init__(self, github: object, pulls: dict[int, object]) -> None:
        self._github = github
        self._pulls = pulls

    def make(self, index: int) -> tuple[str, str, bytes]:
        delivery_id = str(uuid.uuid4())
        number = 1 + index % PULL_REQUESTS
        if index % 5 == 4:
            payload = {"action": "created", "issue": {"number": number, "pull_request": {}},
                       "comment": {"id": 10_000 + index, "body": "Looks good, thanks!", "user": {"login": "alice"}},
                       "repository": {"full_name": REPOSITORY}, "installation": {"id": 1},
                       "sender": {"login": "alice", "type": "User"}}
            return "issue_comment", delivery_id, json.dumps(payload).encode()
        with self._github.lock:  # type: ignore[attr-defined]
            head_sha = self._pulls[number].push({"app.py": f"x = {index}\n"})  # type: ignore[attr-defined]
        payload = {"action": "synchronize", "number": number,
                   "pull_request": {"number": number, "draft": False, "head": {"sha": head_sha}},
                   "repository": {"full_name": REPOSITORY}, "installation": {"id": 1},
                   "sender": {"login": "alice", "type": "User"}}
        return "pull_request", delivery_id, json.dumps(payload).encode()


def send(connection: http.client.HTTPConnection, event: str, delivery_id: str, body: bytes) -> int:
    connection.request("POST", "/webhook", body, {"Content-Type": "application/json", "X-GitHub-Event": event,
                                                  "X-GitHub-Delivery": delivery_id,
                                                  "X-Hub-Signature-256": sign(body, SECRET)})
    response = connection.getresponse()
    response.read()
    return response.status


def warm_up(port: int, deliveries: Deliveries, count: int = 40) -> list[str]:
    """A few deliveries one by one before the clock starts: the first ones pay for lazy imports,
    compiled statements and the App's first installation token, which is not the steady state."""
    accepted = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for index in range(count):
        event, delivery_id, body = deliveries.make(index)
        if send(connection, event, delivery_id, body) == 202:
            accepted.append(delivery_id)
    connection.close()
    time.sleep(1.0)
    return accepted


def load_phase(port: int, deliveries: Deliveries, rate: float, seconds: float,
               threads: int) -> tuple[list[float], list[str], int]:
    """Send rate*seconds deliveries on schedule; returns latencies (s), accepted ids, failures."""
    total = int(rate * seconds)
    latencies: list[float] = []
    accepted: list[str] = []
    failures = 0
    lock = threading.Lock()
    start_at = time.perf_counter() + 0.5

    def worker(offset: int) -> None:
        nonlocal failures
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for index in range(offset, total, threads):
            scheduled = start_at + index / rate
            pause = scheduled - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            event, delivery_id, body = deliveries.make(index)
            try:
                status = send(connection, event, delivery_id, body)
            except OSError:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            elapsed = time.perf_counter() - scheduled
            with lock:
                latencies.append(elapsed)
                if status == 202:
                    accepted.append(delivery_id)
                else:
                    failures += 1
        connection.close()

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies, accepted, failures


def acknowledgement_benchmark(rate: float, seconds: float, threads: int) -> dict[str, object]:
    fake_github = load_fake_github()
    key = generate_app_key()
    github = fake_github(app_id="4242", public_key=key.public_pem).start()
    repo = github.add_repo(REPOSITORY, 1)
    pulls = {number: repo.add_pull(number, {"app.py": "x = 1\n"}, {"app.py": "x = 2\n"})
             for number in range(1, PULL_REQUESTS + 1)}
    deliveries = Deliveries(github, pulls)
    with tempfile.TemporaryDirectory(prefix="reviewbot-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        port = free_port()
        env = app_environment(private_pem=key.private_pem, secret=SECRET, api_url=github.base_url,
                              data_dir=data_dir, REVIEWBOT_WORKERS="2")
        server = start(["serve", "--port", str(port)], env, Path(tmp))
        try:
            wait_until(lambda: is_healthy(f"http://127.0.0.1:{port}"), "the server to start", server)
            warmed = warm_up(port, deliveries)
            latencies, accepted, failures = load_phase(port, deliveries, rate, seconds, threads)
            accepted += warmed
            store = StateStore.open(f"sqlite:///{data_dir / 'reviewbot.db'}")
            recorded = store.delivery_ids()
            lost = [d for d in accepted if d not in recorded]
            carried = took_over_a_message(store, accepted)
            try:
                wait_until(lambda: all(run.status.is_final for run in store.all_runs()), "the queue to drain",
                           server, timeout=300)
            except AssertionError:
                pass
            runs = store.all_runs()
            unfinished = sum(1 for run in runs if not run.status.is_final)
            ended = Counter(run.status.value for run in runs)
            store.close()
        finally:
            stop(server)
            github.stop()
    latencies.sort()
    return {"sent": len(latencies), "accepted": len(accepted) - len(warmed), "failed": failures, "lost": len(lost),
            "runs": len(runs), "messages": len(runs) - carried, "unfinished": unfinished, "reviewed": ended["succeeded"],
            "superseded": ended["superseded"], "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99), "max": latencies[-1] if latencies else 0.0}


def took_over_a_message(store: StateStore, delivery_ids: list[str]) -> int:
    """How many of these deliveries queued a run that took over the queue message of the run it
    superseded, instead of adding a message."""
    records = (store.get_delivery(delivery_id) for delivery_id in delivery_ids)
    return sum(1 for record in records if record is not None and record.detail.startswith("takes the place of run"))


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    index = min(len(values) - 1, max(0, round(pct / 100 * len(values) + 0.5) - 1))
    return values[index]


# ---------------------------------------------------------------- 2. one review


def synthetic_module(index: int, changed: bool) -> str:
    """A service module of ~25 lines. Every changed version edits the module; one in five adds
    code with performance problems (a PR of 100 files does not have 100 files of problems)."""
    lines = [
        "import requests",
        "from django.core.cache import cache",
        "",
        "from service.models import Order",
        "",
        "",
        f"def summary_{index}(request):",
        "    orders = Order.objects.filter(status=\"open\")",
        "    return {\"count\": orders.count()}",
    ]
    if changed and index % 5 == 0:
        lines += [
            "",
            "",
            f"def refresh_{index}(request):",
            "    for order in Order.objects.filter(status=\"shipped\"):",
            f"        status = requests.get(\"https://carrier.example.com/{index}/\" + str(order.pk))",
            "        order.tracking = status.json()",
            "        order.save()",
            f"    cache.set(\"refreshed_{index}\", True, None)",
            "    return {\"ok\": True}",
        ]
    factor = 3 if changed else 2
    lines += ["", "", f"def scaled_{index}(value):", f"    return value * {factor}", ""]
    return "\n".join(lines)


MODELS = """from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    status = models.CharField(max_length=20)
    tracking = models.JSONField(default=dict)
"""


def review_benchmark(reviews: int, files: int) -> dict[str, object]:
    base = {"service/models.py": MODELS, **{f"service/views_{i:03d}.py": synthetic_module(i, False)
                                            for i in range(files)}}
    head = {**base, **{f"service/views_{i:03d}.py": synthetic_module(i, True) for i in range(files)}}
    durations: list[float] = []
    endpoints: dict[str, int] = {}
    calls: list[int] = []
    inline: list[int] = []
    with tempfile.TemporaryDirectory(prefix="reviewbot-bench-") as tmp:
        with LocalApp(Path(tmp) / "data", github_options=ClientOptions()) as app:
            repo = app.github.add_repo(REPOSITORY, 1)
            for number in range(1, reviews + 1):
                pull = repo.add_pull(number, base, head, title=f"Synthetic change {number}")
                before = app.github.api_calls()
                started = time.perf_counter()
                status, _ = app.send("pull_request", app.pull_request_payload(REPOSITORY, number, "opened"))
                assert status == 202, status
                wait_until(lambda p=pull: any(r["state"] != "PENDING" for r in p.reviews), "the review", timeout=120)
                durations.append(time.perf_counter() - started)
                runs = app.wait_for_runs(number, timeout=120)
                endpoints = runs[-1].publication.get("details", {}).get("api_calls_by_endpoint", {})
                calls.append(app.github.api_calls() - before)  # as GitHub counts them, token exchange aside
                inline.append(len(pull.submitted_comments()))
    return {"reviews": reviews, "files": files, "api_calls": max(calls), "api_calls_min": min(calls),
            "p50": statistics.median(durations), "max": max(durations), "inline": inline[-1],
            "endpoints": ", ".join(f"{name} {count}" for name, count in endpoints.items())}


# ---------------------------------------------------------------- report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="webhooks per second (default 200)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the load phase (default 10)")
    parser.add_argument("--threads", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--reviews", type=int, default=5, help="reviews of the synthetic PR to time (default 5)")
    parser.add_argument("--files", type=int, default=100, help="changed files in the synthetic PR (default 100)")
    args = parser.parse_args()
    os.environ.pop("REVIEWBOT_QUEUE_URL", None)

    ack = acknowledgement_benchmark(args.rate, args.seconds, args.threads)
    review = review_benchmark(args.reviews, args.files)

    rows = [
        ("acknowledgement", f"POST /webhook at {args.rate:.0f}/s for {args.seconds:.0f} s", "", ""),
        ("", "deliveries sent / accepted (202)", f"{ack['sent']} / {ack['accepted']}", "all"),
        ("", "latency p50", f"{ack['p50'] * 1000:.1f} ms", ""),
        ("", "latency p99", f"{ack['p99'] * 1000:.1f} ms", "< 20 ms"),
        ("", "latency max", f"{ack['max'] * 1000:.1f} ms", ""),
        ("", "accepted deliveries missing from the DB", str(ack["lost"]), "0"),
        ("", "runs queued / not finished after drain", f"{ack['runs']} / {ack['unfinished']}", "- / 0"),
        ("", "queue messages for those runs", str(ack["messages"]), ""),
        ("", "runs reviewed / superseded by a newer push", f"{ack['reviewed']} / {ack['superseded']}", ""),
        ("review", f"synthetic PR, {review['files']} changed files, {review['reviews']} reviews", "", ""),
        ("", "GitHub API calls per review", f"{review['api_calls']}", "<= 15"),
        ("", "webhook -> review posted (p50)", f"{review['p50']:.2f} s", "< 3 s"),
        ("", "webhook -> review posted (max)", f"{review['max']:.2f} s", ""),
        ("", "inline comments in the last review", str(review["inline"]), ""),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    header = ("phase", "measure", "value", "target")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    print("reviewbot webhook benchmark (loopback; `reviewbot serve` with the embedded SQLite queue)\n")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(f"\nGitHub API calls of the last review, by endpoint: {review['endpoints']}")


if __name__ == "__main__":
    main()
