"""The fake's GraphQL: not a GraphQL engine, but enough of GitHub's schema for the documents the
App sends, recognised by their fields and aliases, with variables resolved as GitHub would:

- `repository { fN: object(expression: $eN) { ... on Blob { oid byteSize isBinary isTruncated text } } }`
- `repository { pullRequest(number:) { reviews(first:, after:) reviewThreads(first:, after:) } }`
- mutations `addPullRequestReviewThreadReply` and `resolveReviewThread`, aliased, in order.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakegithub.patches import git_blob_sha, is_binary
from tests.fakegithub.state import BOT_LOGIN, GRAPHQL_BOT_LOGIN, FakePull, FakeRepo

_OBJECT = re.compile(r"(\w+):\s*object\(expression:\s*\$(\w+)\)")
_REPLY = re.compile(r"(\w+):\s*addPullRequestReviewThreadReply\(input:\s*\{\s*pullRequestReviewThreadId:\s*\$(\w+),"
                    r"\s*body:\s*\$(\w+)\s*\}\)")
_RESOLVE = re.compile(r"(\w+):\s*resolveReviewThread\(input:\s*\{\s*threadId:\s*\$(\w+)\s*\}\)")
_FIRST = re.compile(r"(reviews|reviewThreads)\(first:\s*(\d+)")


def execute(server: Any, installation_id: int, payload: dict[str, Any]) -> dict[str, Any]:
    query = str(payload.get("query") or "")
    variables = dict(payload.get("variables") or {})
    if query.lstrip().startswith("mutation"):
        return _mutation(server, installation_id, query, variables)
    repo = server.repos.get(f"{variables.get('owner')}/{variables.get('name')}")
    if repo is None or repo.installation_id != installation_id:
        return {"data": {"repository": None}, "errors": [
            {"type": "NOT_FOUND", "path": ["repository"],
             "message": f"Could not resolve to a Repository with the name '{variables.get('owner')}/"
                        f"{variables.get('name')}'."}]}
    if "object(expression:" in query:
        return {"data": {"repository": _blobs(server, repo, query, variables)}}
    if "pullRequest(number:" in query:
        pull = repo.pulls.get(int(variables.get("number", 0)))
        if pull is None:
            return {"data": {"repository": {"pullRequest": None}}, "errors": [
                {"type": "NOT_FOUND", "path": ["repository", "pullRequest"],
                 "message": "Could not resolve to a PullRequest with the number of "
                            f"{variables.get('number')}."}]}
        return {"data": {"repository": {"pullRequest": _pull_request(server, pull, query, variables)}}}
    return {"errors": [{"message": "this fake does not understand the query"}]}


def _blobs(server: Any, repo: FakeRepo, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for alias, variable in _OBJECT.findall(query):
        expression = str(variables.get(variable, ""))
        sha, _, path = expression.partition(":")
        commit = repo.commits.get(sha)
        if commit is None or path not in commit.files:
            is_directory = commit is not None and any(p.startswith(path + "/") for p in commit.files)
            result[alias] = {} if is_directory else None  # a Tree is not a Blob: no fields
            continue
        data = commit.files[path]
        binary = is_binary(data)
        truncated = len(data) > server.graphql_text_limit
        text = None if binary else data[: server.graphql_text_limit].decode("utf-8", errors="replace")
        result[alias] = {"oid": git_blob_sha(data), "byteSize": len(data), "isBinary": binary,
                         "isTruncated": truncated, "text": text}
    return result


def _pull_request(server: Any, pull: FakePull, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    firsts = dict(_FIRST.findall(query))
    result: dict[str, Any] = {}
    if "reviews" in firsts:
        nodes = [{"databaseId": r["id"], "body": r["body"], "state": r["state"], "commit": {"oid": r["commit_id"]},
                  "author": _author(r["user"]["login"])} for r in pull.reviews]
        result["reviews"] = _connection(nodes, min(int(firsts["reviews"]), server.graphql_page_size),
                                        variables.get("reviewsAfter"))
    if "reviewThreads" in firsts:
        by_id = {c["id"]: c for c in pull.comments}
        nodes = []
        for thread in pull.threads:
            comments = [by_id[i] for i in thread.comment_ids if i in by_id]
            nodes.append({"id": thread.thread_id, "isResolved": thread.is_resolved, "isOutdated": False,
                          "path": thread.path, "line": thread.line,
                          "comments": {"totalCount": len(comments), "nodes": [
                              {"databaseId": c["id"], "body": c["body"], "author": _author(c["user"]["login"])}
                              for c in comments[:50]]}})
        result["reviewThreads"] = _connection(nodes, min(int(firsts["reviewThreads"]), server.graphql_page_size),
                                              variables.get("threadsAfter"))
    return result


def _connection(nodes: list[dict[str, Any]], first: int, after: str | None) -> dict[str, Any]:
    start = int(after) if after else 0
    page = nodes[start:start + first]
    end = start + len(page)
    return {"pageInfo": {"hasNextPage": end < len(nodes), "endCursor": str(end) if page else after},
            "nodes": page}


def _author(login: str) -> dict[str, str]:
    if login == BOT_LOGIN:
        return {"__typename": "Bot", "login": GRAPHQL_BOT_LOGIN}
    return {"__typename": "Bot" if login.endswith("[bot]") else "User", "login": login.removesuffix("[bot]")}


def _mutation(server: Any, installation_id: int, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    operations = sorted([(m.start(), "reply", m.groups()) for m in _REPLY.finditer(query)]
                        + [(m.start(), "resolve", m.groups()) for m in _RESOLVE.finditer(query)])
    data: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for _, kind, groups in operations:
        alias, thread_variable = groups[0], groups[1]
        found = _thread(server, installation_id, str(variables.get(thread_variable)))
        if found is None:
            data[alias] = None
            errors.append({"type": "NOT_FOUND", "path": [alias], "message": "Could not resolve to a node"})
            continue
        pull, thread = found
        if kind == "resolve":
            if server.forbid_thread_resolution:
                data[alias] = None
                errors.append({"type": "FORBIDDEN", "path": [alias],
                               "message": "Resource not accessible by integration"})
                continue
            thread.is_resolved = True
            data[alias] = {"thread": {"id": thread.thread_id, "isResolved": True}}
        else:
            reply = pull.add_reply(thread.comment_ids[0], str(variables.get(groups[2])), login=BOT_LOGIN)
            data[alias] = {"comment": {"id": reply["node_id"]}}
    result: dict[str, Any] = {"data": data}
    if errors:
        result["errors"] = errors
    return result


def _thread(server: Any, installation_id: int, thread_id: str) -> tuple[FakePull, Any] | None:
    for repo in server.repos.values():
        if repo.installation_id != installation_id:
            continue
        for pull in repo.pulls.values():
            for thread in pull.threads:
                if thread.thread_id == thread_id:
                    return pull, thread
    return None
