"""Wiring: settings -> state store, queue, review job, web app. No work happens at import."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from huey import Huey
from huey.consumer import Consumer
from pydantic import ValidationError

from reviewbot.jobs.ports import FindingExplainer, RepositoryClientFactory
from reviewbot.jobs.queue import ReviewQueue, create_consumer, open_huey
from reviewbot.jobs.review import RetryPolicy, ReviewJob
from reviewbot.settings import Settings, SettingsError, describe_validation_error
from reviewbot.state.store import StateStore
from reviewbot.webhooks.app import WebApp, create_app
from reviewbot.webhooks.intake import WebhookIntake

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    store: StateStore
    queue: ReviewQueue
    job: ReviewJob | None

    @property
    def huey(self) -> Huey:
        return self.queue.huey

    def web_app(self) -> WebApp:
        intake = WebhookIntake(self.settings.webhook_secret.get_secret_value(), self.store, self.queue.enqueue)
        return create_app(intake, {"database": self.store.ping, "queue": self.queue.ping})

    def consumer(self, *, embedded: bool) -> Consumer:
        """A consumer for the queue; call `recover_orphans()` once before starting it."""
        if self.job is None:
            raise RuntimeError("this runtime was built without a worker")
        return create_consumer(self.huey, self.settings.workers, embedded=embedded)

    def recover_orphans(self) -> None:
        try:
            self.queue.recover()
        except Exception:
            logger.exception("could not look for orphaned runs")

    def close(self) -> None:
        self.store.close()


def build_runtime(settings: Settings, *, worker: bool, github: RepositoryClientFactory | None = None,
                  explain: FindingExplainer | None = None,
                  explain_environ: Mapping[str, str] | None = None) -> Runtime:
    """`worker=False` builds what the web server alone needs (it enqueues, never runs reviews).

    Explanations: `explain` when given; otherwise, with `explain_environ` (the process
    environment, for `reviewbot serve`/`worker`), the LLM explainer when that environment
    configures an endpoint; otherwise none."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = StateStore.open(settings.database_url)
    huey = open_huey(settings.queue_url)
    job: ReviewJob | None = None
    if worker:
        if github is None:
            from reviewbot.jobs.github_client import github_client_factory

            github = github_client_factory(settings)
        if explain is None and explain_environ is not None:
            explain = explainer_from_environment(store, explain_environ)
        retry = RetryPolicy(max_attempts=settings.max_attempts, base_delay=settings.retry_delay)
        job = ReviewJob(store, github, explain=explain, retry=retry)
    queue = ReviewQueue(huey, job, store.orphaned_runs if worker else None)
    return Runtime(settings=settings, store=store, queue=queue, job=job)


def explainer_from_environment(store: StateStore, environ: Mapping[str, str]) -> FindingExplainer | None:
    """The LLM explainer (`reviewbot.llm`) when OPENAI_API_KEY and REVIEWBOT_LLM_MODEL are set, with
    its answer cache in the state database unless REVIEWBOT_LLM_CACHE_URL names another."""
    from reviewbot.llm.settings import LlmSettings

    try:
        llm_settings = LlmSettings.from_environ(environ)
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None
    if not llm_settings.configured:
        logger.info("explanations are off: %s", llm_settings.unconfigured_reason)
        return None
    from reviewbot.llm.cache import ExplanationCache
    from reviewbot.llm.worker_support import ReviewExplainer

    return ReviewExplainer(llm_settings, ExplanationCache(llm_settings.cache_url or store.engine))
