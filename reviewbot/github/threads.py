"""What earlier reviews of a pull request already said, and resolving the threads of findings
that a later push fixed.

One GraphQL query returns the PR's reviews (their summary markers list the findings they
reported) and its review threads (the first comment's marker names the finding). Only bodies
written by a bot count as ours: a person pasting a marker into a comment cannot silence a
finding or get a thread resolved.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import requests

from reviewbot.github.contents import split_repo
from reviewbot.github.transport import GitHubApiError, GitHubTransport
from reviewbot.render.markdown import parse_marker, reply_marker

PAGE = 100
RESOLVE_BATCH = 20

_REVIEWS = """reviews(first: 100, after: $reviewsAfter) {
        pageInfo { hasNextPage endCursor }
        nodes { databaseId body state commit { oid } author { __typename login } }
      }"""
_THREADS = """reviewThreads(first: 100, after: $threadsAfter) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id isResolved isOutdated path line
          comments(first: 50) { totalCount nodes { databaseId body author { __typename login } } }
        }
      }"""


def _markers_query(*connections: str, variables: str) -> str:
    body = "\n      ".join(connections)
    return (f"query($owner: String!, $name: String!, $number: Int!{variables}) {{\n"
            f"  repository(owner: $owner, name: $name) {{\n"
            f"    pullRequest(number: $number) {{\n      {body}\n    }}\n  }}\n}}")


MARKERS_QUERY = _markers_query(_REVIEWS, _THREADS, variables=", $reviewsAfter: String, $threadsAfter: String")
REVIEWS_PAGE_QUERY = _markers_query(_REVIEWS, variables=", $reviewsAfter: String")
THREADS_PAGE_QUERY = _markers_query(_THREADS, variables=", $threadsAfter: String")


@dataclass(frozen=True, slots=True)
class PostedThread:
    """A review thread opened by one of our inline comments."""

    thread_id: str
    comment_id: int | None
    fingerprint: str
    rule: str
    path: str
    line: int | None
    is_resolved: bool
    is_outdated: bool
    has_human_reply: bool
    has_fix_reply: bool = False  # we resolved it once; open again means someone reopened it


@dataclass(frozen=True, slots=True)
class PostedSummary:
    """One of our reviews, from its summary marker."""

    review_id: int | None
    head_sha: str
    run_id: str
    state: str
    fingerprints: tuple[str, ...]


@dataclass(frozen=True)
class ExistingMarkers:
    threads: tuple[PostedThread, ...] = ()
    summaries: tuple[PostedSummary, ...] = ()

    @property
    def fingerprints(self) -> frozenset[str]:
        """Findings already reported: inline (a thread) or in a submitted review's summary."""
        found = {thread.fingerprint for thread in self.threads}
        for summary in self.summaries:
            if summary.state != "PENDING":
                found.update(summary.fingerprints)
        return frozenset(found)

    @property
    def reviewed_heads(self) -> frozenset[str]:
        return frozenset(s.head_sha for s in self.summaries if s.state != "PENDING" and s.head_sha)


@dataclass(frozen=True)
class ResolveOutcome:
    resolved: tuple[str, ...] = ()  # thread ids
    kept_with_replies: int = 0  # fixed, but a person replied: left open for them
    errors: tuple[str, ...] = ()


def existing_markers(api: GitHubTransport, repo: str, number: int, *, bot_login: str | None = None) -> ExistingMarkers:
    owner, name = split_repo(repo)
    variables: dict[str, object] = {"owner": owner, "name": name, "number": number}
    threads: list[PostedThread] = []
    summaries: list[PostedSummary] = []
    query = MARKERS_QUERY
    reviews_after: str | None = None
    threads_after: str | None = None
    want_reviews = want_threads = True
    while want_reviews or want_threads:
        page_vars = dict(variables)
        if want_reviews:
            page_vars["reviewsAfter"] = reviews_after
        if want_threads:
            page_vars["threadsAfter"] = threads_after
        data = api.query(query, page_vars, endpoint="graphql.markers")
        pull = ((data.get("repository") or {}).get("pullRequest")) or {}
        if want_reviews:
            connection = pull.get("reviews") or {}
            summaries.extend(_summaries(connection.get("nodes") or (), bot_login))
            want_reviews, reviews_after = _next_page(connection)
        if want_threads:
            connection = pull.get("reviewThreads") or {}
            threads.extend(_threads(connection.get("nodes") or (), bot_login))
            want_threads, threads_after = _next_page(connection)
        query = MARKERS_QUERY if want_reviews and want_threads else (
            REVIEWS_PAGE_QUERY if want_reviews else THREADS_PAGE_QUERY)
    return ExistingMarkers(threads=tuple(threads), summaries=tuple(summaries))


def fixed_threads(markers: ExistingMarkers, current_fingerprints: Collection[str],
                  analysed_paths: Collection[str] | None) -> tuple[list[PostedThread], int]:
    """Open threads whose finding is gone from a file analysed at the new head, split into those
    to resolve and a count of those kept open because a person replied."""
    to_resolve: list[PostedThread] = []
    kept = 0
    for thread in markers.threads:
        if thread.is_resolved or thread.fingerprint in current_fingerprints:
            continue
        if analysed_paths is not None and thread.path not in analysed_paths:
            continue
        if thread.has_human_reply:
            kept += 1
            continue
        if thread.has_fix_reply:
            continue
        to_resolve.append(thread)
    return to_resolve, kept


def resolve_fixed_threads(api: GitHubTransport, head_sha: str, current_fingerprints: Collection[str],
                          markers: ExistingMarkers, *,
                          analysed_paths: Collection[str] | None = None) -> ResolveOutcome:
    """Resolve each of our open threads whose finding is gone, then reply "Fixed in <sha>" to
    those GitHub resolved. Comments are never deleted; threads a person replied to stay open, and
    so does a thread someone reopened after we resolved it. Resolving needs the App's
    contents:write permission; without it GitHub answers FORBIDDEN, reported in `errors`."""
    to_resolve, kept = fixed_threads(markers, current_fingerprints, analysed_paths)
    resolved: list[PostedThread] = []
    errors: list[str] = []
    for start in range(0, len(to_resolve), RESOLVE_BATCH):
        batch = to_resolve[start:start + RESOLVE_BATCH]
        variables = {f"t{i}": thread.thread_id for i, thread in enumerate(batch)}
        data = _mutate(api, resolve_mutation(len(batch)), variables, errors)
        resolved.extend(thread for i, thread in enumerate(batch)
                        if ((data.get(f"s{i}") or {}).get("thread") or {}).get("isResolved"))
    for start in range(0, len(resolved), RESOLVE_BATCH):
        batch = resolved[start:start + RESOLVE_BATCH]
        variables = {}
        for i, thread in enumerate(batch):
            variables[f"t{i}"] = thread.thread_id
            variables[f"b{i}"] = f"Fixed in {head_sha}.\n\n{reply_marker(thread.fingerprint)}"
        _mutate(api, reply_mutation(len(batch)), variables, errors)
    return ResolveOutcome(resolved=tuple(t.thread_id for t in resolved), kept_with_replies=kept,
                          errors=tuple(dict.fromkeys(errors)))


def resolve_mutation(count: int) -> str:
    declarations = ", ".join(f"$t{i}: ID!" for i in range(count))
    fields = "\n".join(f"  s{i}: resolveReviewThread(input: {{threadId: $t{i}}}) {{ thread {{ id isResolved }} }}"
                       for i in range(count))
    return f"mutation({declarations}) {{\n{fields}\n}}"


def reply_mutation(count: int) -> str:
    declarations = ", ".join(f"$t{i}: ID!, $b{i}: String!" for i in range(count))
    fields = "\n".join(
        f"  r{i}: addPullRequestReviewThreadReply(input: {{pullRequestReviewThreadId: $t{i}, body: $b{i}}}) "
        f"{{ comment {{ id }} }}" for i in range(count))
    return f"mutation({declarations}) {{\n{fields}\n}}"


def _mutate(api: GitHubTransport, document: str, variables: dict[str, object], errors: list[str]) -> dict:
    try:
        data, batch_errors = api.mutate(document, variables, endpoint="graphql.resolve")
    except (GitHubApiError, requests.ConnectionError, requests.Timeout) as error:
        errors.append(str(error))  # resolving is a courtesy: a failure must not fail the review
        return {}
    errors.extend(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in batch_errors)
    return data


def _summaries(nodes: Sequence[dict], bot_login: str | None) -> list[PostedSummary]:
    found: list[PostedSummary] = []
    for node in nodes:
        if not node or not _is_ours(node.get("author"), bot_login):
            continue
        marker = parse_marker(node.get("body"))
        if marker is None or marker.kind != "summary":
            continue
        found.append(PostedSummary(review_id=node.get("databaseId"), head_sha=marker.head_sha, run_id=marker.run_id,
                                   state=str(node.get("state") or ""), fingerprints=marker.fingerprints))
    return found


def _threads(nodes: Sequence[dict], bot_login: str | None) -> list[PostedThread]:
    found: list[PostedThread] = []
    for node in nodes:
        comments = ((node or {}).get("comments") or {})
        items = comments.get("nodes") or []
        if not items or not _is_ours(items[0].get("author"), bot_login):
            continue
        marker = parse_marker(items[0].get("body"))
        if marker is None or marker.kind != "comment":
            continue
        replies = [(c, parse_marker(c.get("body")) if _is_ours(c.get("author"), bot_login) else None)
                   for c in items[1:]]
        human = any(marker is None for _, marker in replies)
        human = human or int(comments.get("totalCount") or len(items)) > len(items)
        fix_reply = any(m is not None and m.kind == "reply" for _, m in replies)
        found.append(PostedThread(
            thread_id=str(node["id"]), comment_id=items[0].get("databaseId"), fingerprint=marker.fingerprint,
            rule=marker.rule, path=str(node.get("path") or ""), line=node.get("line"),
            is_resolved=bool(node.get("isResolved")), is_outdated=bool(node.get("isOutdated")),
            has_human_reply=human, has_fix_reply=fix_reply))
    return found


def _is_ours(author: dict | None, bot_login: str | None) -> bool:
    if not author or author.get("__typename") != "Bot":
        return False
    if bot_login is None:
        return True
    return _bare_login(str(author.get("login") or "")) == _bare_login(bot_login)


def _bare_login(login: str) -> str:
    return login.removesuffix("[bot]").lower()


def _next_page(connection: dict) -> tuple[bool, str | None]:
    info = connection.get("pageInfo") or {}
    if info.get("hasNextPage") and info.get("endCursor"):
        return True, str(info["endCursor"])
    return False, None
