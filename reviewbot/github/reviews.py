"""Posting one review with inline comments, exactly once, without losing a finding.

- A request that fails with a server error, a dropped connection or a rate limit may still have
  created the review. Before trying again we wait, list the PR's reviews and look for ours (the
  summary marker names the head SHA and the run): found, it is the result; no duplicate.
- GitHub refuses the whole review (422) when one comment's anchor is outside the diff it sees,
  without saying which. We find the refused comments by bisection with PENDING reviews: a
  pending review is visible to nobody and is deleted right after the probe. The refused comments
  move into the summary, the rest are posted in the one real review.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from reviewbot.github.transport import GitHubApiError, GitHubTransport
from reviewbot.render.markdown import inline_comment_body, parse_marker, with_rejected_comments
from reviewbot.render.review_plan import InlineComment

REVIEW_EVENTS = frozenset({"COMMENT", "REQUEST_CHANGES", "APPROVE"})
MAX_ATTEMPTS = 3
MAX_PROBES = 12
# Fragments of GitHub's 422 texts for comments it cannot place. The response never names the
# comment at fault.
ANCHOR_ERRORS = (
    "must be part of the diff", "line could not be resolved", "part of the same hunk", "hunk can't be blank",
    "start line must precede", "path is invalid", "path could not be resolved", "review comments is invalid",
    "review threads is invalid", "pull request review thread",
)
PENDING_EXISTS = "one pending review"


@dataclass(frozen=True)
class PostedReview:
    review_id: int
    html_url: str
    body: str
    inline: tuple[InlineComment, ...]  # posted as inline comments
    rejected: tuple[InlineComment, ...] = ()  # refused by GitHub; listed in the summary instead
    recovered: bool = False  # a failed request had created the review; found, not posted again


class _ProbeFailed(Exception):
    """A probe ended with something other than success or an anchor error."""


def is_anchor_error(error: GitHubApiError) -> bool:
    if error.status != 422:
        return False
    text = error.text.lower()
    return any(fragment in text for fragment in ANCHOR_ERRORS)


def comment_payload(comment: InlineComment) -> dict[str, Any]:
    payload: dict[str, Any] = {"path": comment.path, "body": inline_comment_body(comment), "line": comment.line,
                               "side": "RIGHT"}
    if comment.start_line is not None:
        payload["start_line"] = comment.start_line
        payload["start_side"] = "RIGHT"
    return payload


class ReviewPoster:
    def __init__(self, api: GitHubTransport, repo: str, number: int, head_sha: str, *,
                 max_attempts: int = MAX_ATTEMPTS, max_probes: int = MAX_PROBES) -> None:
        self._api = api
        self._repo = repo
        self._number = number
        self._head_sha = head_sha
        self._path = f"/repos/{repo}/pulls/{number}/reviews"
        self._max_attempts = max_attempts
        self._probes_left = max_probes
        self._pending_left = False  # a probe may have left a pending review behind
        self._cleared_pending = False

    def post(self, body: str, comments: Sequence[InlineComment], event: str = "COMMENT", *,
             rebuild_body: Callable[[Sequence[InlineComment]], str] | None = None) -> PostedReview:
        """Post one review. `rebuild_body(rejected)` renders the body again when comments were
        refused; by default they are listed above the body's marker."""
        if event not in REVIEW_EVENTS:
            raise ValueError(f"review event must be one of {sorted(REVIEW_EVENTS)}, got {event!r}")
        render = rebuild_body or (lambda rejected: with_rejected_comments(body, rejected))
        comments = list(comments)
        rejected: list[InlineComment] = []
        current_body = body
        attempt = 0
        bisected = False
        while True:
            attempt += 1
            try:
                data = self._create(current_body, comments, event)
            except GitHubApiError as error:
                if is_anchor_error(error) and comments:
                    if bisected:  # refused again: every remaining comment goes to the summary
                        good, bad = [], comments
                    else:
                        good, bad = self._locate_refused(comments)
                        bisected = True
                    comments, rejected = good, rejected + bad
                    current_body = render(rejected)
                    continue
                if error.status == 422 and PENDING_EXISTS in error.text.lower() and not self._cleared_pending:
                    self._cleared_pending = True
                    self._delete_pending_reviews()
                    continue
                if not error.is_transient:
                    raise
                failure = error
            except (requests.ConnectionError, requests.Timeout) as dropped:
                failure = GitHubApiError(0, (f"{type(dropped).__name__}: {dropped}",), endpoint="pulls.reviews.create")
            else:
                return self._posted(data, current_body, comments, rejected, recovered=False)
            # The failed request may have created the review: look for it before posting again.
            self._api.wait_before_retry(failure, attempt)
            orphan = self._find_own_review(current_body)
            if orphan is not None:
                return self._posted(orphan, current_body, comments, rejected, recovered=True)
            if attempt >= self._max_attempts:
                raise failure

    # ------------------------------------------------------------ requests

    def _create(self, body: str, comments: Sequence[InlineComment], event: str) -> dict[str, Any]:
        payload = {"commit_id": self._head_sha, "body": body, "event": event,
                   "comments": [comment_payload(c) for c in comments]}
        _, data = self._api.write("POST", self._path, payload, endpoint="pulls.reviews.create")
        return data

    def _probe(self, comments: Sequence[InlineComment]) -> bool:
        """Whether GitHub accepts these comments, asked with a PENDING review deleted at once."""
        if self._probes_left <= 0:
            raise _ProbeFailed("probe budget spent")
        self._probes_left -= 1
        payload = {"commit_id": self._head_sha, "comments": [comment_payload(c) for c in comments]}
        try:
            _, data = self._api.write("POST", self._path, payload, endpoint="pulls.reviews.probe")
        except GitHubApiError as error:
            if is_anchor_error(error):
                return False
            if error.status == 422 and PENDING_EXISTS in error.text.lower() and not self._cleared_pending:
                self._cleared_pending = True  # left over from an earlier run: clear it and ask again
                self._delete_pending_reviews()
                self._probes_left += 1
                return self._probe(comments)
            self._pending_left |= error.is_transient
            raise _ProbeFailed(str(error)) from error
        except (requests.ConnectionError, requests.Timeout) as dropped:
            self._pending_left = True
            raise _ProbeFailed(str(dropped)) from dropped
        try:
            self._api.write("DELETE", f"{self._path}/{data['id']}", endpoint="pulls.reviews.delete_pending")
        except (GitHubApiError, requests.ConnectionError, requests.Timeout) as error:
            self._pending_left = True
            raise _ProbeFailed(str(error)) from error
        return True

    def _locate_refused(self, comments: list[InlineComment]) -> tuple[list[InlineComment], list[InlineComment]]:
        """Split `comments` (refused as a whole) into accepted and refused ones. When probing
        cannot go on, the comments not yet known to be accepted count as refused."""
        accepted: list[InlineComment] = []
        refused: list[InlineComment] = []
        # (group, known to hold a refused comment)
        pending: list[tuple[list[InlineComment], bool]] = [(comments, True)]
        while pending:
            group, known_bad = pending.pop()
            try:
                if not known_bad and self._probe(group):
                    accepted.extend(group)
                    continue
                if len(group) == 1:
                    refused.extend(group)
                    continue
                half = len(group) // 2
                first, second = group[:half], group[half:]
                if self._probe(first):
                    accepted.extend(first)
                    pending.append((second, True))
                else:
                    pending.append((second, False))
                    pending.append((first, True))
            except _ProbeFailed:
                refused.extend(group)
                for rest, _ in pending:
                    refused.extend(rest)
                pending.clear()
        if self._pending_left:
            self._delete_pending_reviews()
        order = {id(c): i for i, c in enumerate(comments)}
        return sorted(accepted, key=lambda c: order[id(c)]), sorted(refused, key=lambda c: order[id(c)])

    def _list_reviews(self) -> list[dict[str, Any]]:
        return self._api.get_pages(f"/repos/{self._repo}/pulls/{self._number}/reviews", endpoint="pulls.reviews.list")

    def _find_own_review(self, body: str) -> dict[str, Any] | None:
        wanted = parse_marker(body)
        for review in reversed(self._list_reviews()):
            if review.get("state") == "PENDING" or review.get("commit_id") not in (None, self._head_sha):
                continue
            found = parse_marker(review.get("body"))
            if wanted is not None and wanted.kind == "summary":
                if (found is not None and found.kind == "summary" and found.head_sha == wanted.head_sha
                        and found.run_id == wanted.run_id and set(found.fingerprints) == set(wanted.fingerprints)):
                    return review
            elif (review.get("body") or "").strip() == body.strip():
                return review
        return None

    def _delete_pending_reviews(self) -> None:
        for review in self._list_reviews():
            if review.get("state") == "PENDING" and review.get("id") is not None:
                try:
                    self._api.write("DELETE", f"{self._path}/{review['id']}", endpoint="pulls.reviews.delete_pending")
                except GitHubApiError:
                    pass  # not ours, or already gone

    def _posted(self, data: dict[str, Any], body: str, comments: Sequence[InlineComment],
                rejected: Sequence[InlineComment], *, recovered: bool) -> PostedReview:
        return PostedReview(review_id=int(data["id"]), html_url=str(data.get("html_url") or ""), body=body,
                            inline=tuple(comments), rejected=tuple(rejected), recovered=recovered)
