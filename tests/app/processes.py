"""Running `reviewbot serve` / `reviewbot worker` as real processes (tests and benchmarks)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from reviewbot.sandbox.local_app import get_json

REVIEWBOT = [sys.executable, "-m", "reviewbot.cli"]


@dataclass
class Process:
    """A running `reviewbot` command. Its output goes to a file: a pipe that nobody reads while
    the process runs fills up, and the process then stalls on its next log line."""

    popen: subprocess.Popen[str]
    log_path: Path
    log_file: IO[str]

    def output(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_environment(*, private_pem: str, secret: str, api_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(data_dir), "GITHUB_APP_ID": "4242",
           "GITHUB_PRIVATE_KEY": private_pem, "GITHUB_WEBHOOK_SECRET": secret, "GITHUB_API_URL": api_url,
           "REVIEWBOT_DATA_DIR": str(data_dir), "REVIEWBOT_RETRY_DELAY": "0"}
    env.update(extra)
    return env


def start(args: list[str], env: dict[str, str], cwd: Path) -> Process:
    log_path = cwd / f"reviewbot-{args[0]}.log"
    log_file = open(log_path, "w")  # noqa: SIM115 - closed by stop()
    popen = subprocess.Popen(REVIEWBOT + args, env=env, cwd=cwd, stdout=log_file, stderr=subprocess.STDOUT, text=True)
    return Process(popen, log_path, log_file)


def wait_until(condition: Callable[[], bool], what: str, process: Process | None = None,
               timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.popen.poll() is not None:
            raise AssertionError(f"the process exited while waiting for {what}:\n{process.output()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def is_healthy(url: str) -> bool:
    try:
        return get_json(url + "/healthz", timeout=2)[0] == 200
    except OSError:
        return False


def stop(process: Process, timeout: float = 30.0, signum: int = signal.SIGTERM) -> tuple[int, str]:
    """Stop it as `docker stop` does (SIGTERM); returns the exit status and the output."""
    process.popen.send_signal(signum)
    try:
        process.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.popen.kill()
        process.popen.wait()
    output = process.output()
    process.log_file.close()
    return process.popen.returncode, output
