"""`reviewbot serve` and `reviewbot worker`. `reviewbot.cli` parses the arguments and calls these.

serve:  the webhook server with an in-process worker on the same queue (one process is enough
        for a small installation).
worker: a worker only, for deployments that run the web server and the workers apart
        (REVIEWBOT_QUEUE_URL=redis://… shared by all of them).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING

from reviewbot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from reviewbot.app.runtime import Runtime

logger = logging.getLogger("reviewbot")


def load_settings_or_exit() -> Settings:
    """Stop with one line on stderr naming the variable at fault (exit status 2)."""
    try:
        return load_settings()
    except SettingsError as error:
        print(f"reviewbot: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def build_runtime_or_exit(settings: Settings) -> Runtime:
    """The worker-side runtime, explanations configured from the environment."""
    from sqlalchemy.exc import SQLAlchemyError

    from reviewbot.app.runtime import build_runtime

    try:
        return build_runtime(settings, worker=True, explain_environ=os.environ)
    except SettingsError as error:
        print(f"reviewbot: configuration error: {error}", file=sys.stderr)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        print(f"reviewbot: REVIEWBOT_DATABASE_URL: cannot open the state database: {reason}", file=sys.stderr)
    raise SystemExit(2)


def serve_command(args: argparse.Namespace) -> int:
    import uvicorn

    settings = load_settings_or_exit()
    _configure_logging()
    runtime = build_runtime_or_exit(settings)
    consumer = runtime.consumer(embedded=True)
    runtime.recover_orphans()
    consumer.start()
    host = getattr(args, "host", None) or "127.0.0.1"
    port = getattr(args, "port", None) or 8000
    logger.info("reviewbot serving webhooks on http://%s:%s/webhook", host, port)
    # uvicorn shuts down on SIGINT/SIGTERM and then raises the signal again with the handlers it
    # found: with these, that ends in SystemExit here, and running reviews finish before exiting.
    previous = {signum: signal.signal(signum, _exit_quietly) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.run(runtime.web_app(), host=host, port=port, log_level="info", access_log=False)
    except SystemExit:
        pass
    finally:
        logger.info("stopping: waiting for running reviews to finish")
        consumer.stop(graceful=True)
        runtime.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def worker_command(args: argparse.Namespace) -> int:
    settings = load_settings_or_exit()
    _configure_logging()
    runtime = build_runtime_or_exit(settings)
    consumer = runtime.consumer(embedded=False)
    runtime.recover_orphans()
    logger.info("reviewbot worker started with %d thread(s)", settings.workers)
    try:
        consumer.run()  # returns after SIGINT/SIGTERM, once running reviews have finished
    finally:
        runtime.close()
    return 0


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # huey logs two lines per queue message; the review job logs what each run did instead.
    logging.getLogger("huey").setLevel(logging.WARNING)
    logging.getLogger("huey.consumer").setLevel(logging.INFO)
