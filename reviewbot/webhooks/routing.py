"""Which parsed events ask for a review, and what that review request is. Pure."""

from __future__ import annotations

from reviewbot.state.records import COMMAND_TRIGGER, RunRequest
from reviewbot.webhooks.events import CommandEvent, IgnoredEvent, PullRequestEvent, WebhookEvent


def run_request_for(event: WebhookEvent) -> RunRequest | None:
    """The review a delivery asks for, or None when it asks for nothing.

    Drafts are queued too: whether a draft is reviewed depends on the repository's
    `app.review-drafts` setting, which only the worker reads. A command's author is authorised by
    the worker as well (GitHub's collaborator-permission endpoint needs an API call, which has no
    place in a handler that must answer within milliseconds); an unauthorised command ends there,
    before any review work, and is recorded as skipped.
    """
    if isinstance(event, IgnoredEvent):
        return None
    if isinstance(event, PullRequestEvent):
        return RunRequest(
            installation_id=event.installation_id, repository=event.repository, number=event.number,
            head_sha=event.head_sha, trigger=event.action, requested_by=event.sender_login, draft=event.draft,
        )
    if isinstance(event, CommandEvent):
        return RunRequest(
            installation_id=event.installation_id, repository=event.repository, number=event.number,
            head_sha=None, trigger=COMMAND_TRIGGER, requested_by=event.author_login, comment_id=event.comment_id,
        )
    raise TypeError(f"not a webhook event: {event!r}")
