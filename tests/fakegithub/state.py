"""What the fake GitHub remembers: repositories with commits and blobs, pull requests with their
file lists, reviews, review comments and threads, issue comments, reactions and check runs."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.fakegithub.patches import git_blob_sha, make_patch, patch_stats

BOT_LOGIN = "reviewbot[bot]"
GRAPHQL_BOT_LOGIN = "reviewbot"  # GraphQL names a bot without the "[bot]" suffix

_ids = itertools.count(1000)


def next_id() -> int:
    return next(_ids)


def as_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


@dataclass
class Commit:
    sha: str
    files: dict[str, bytes]  # path -> content
    parent: str | None = None


@dataclass
class Thread:
    thread_id: str
    path: str
    line: int | None
    comment_ids: list[int] = field(default_factory=list)
    is_resolved: bool = False


class FakePull:
    def __init__(self, repo: FakeRepo, number: int, base_sha: str, head_sha: str, *, title: str, draft: bool,
                 head_repo: str | None) -> None:
        self.repo = repo
        self.number = number
        self.base_sha = base_sha
        self.head_sha = head_sha
        self.title = title
        self.draft = draft
        self.state = "open"
        self.head_repo = head_repo
        self.files: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self.comments: list[dict[str, Any]] = []  # review comments, submitted or pending
        self.threads: list[Thread] = []

    def file(self, path: str) -> dict[str, Any] | None:
        return next((f for f in self.files if f["filename"] == path), None)

    def submitted_comments(self) -> list[dict[str, Any]]:
        pending = {r["id"] for r in self.reviews if r["state"] == "PENDING"}
        return [c for c in self.comments if c.get("pull_request_review_id") not in pending]

    def thread_of(self, comment_id: int) -> Thread | None:
        return next((t for t in self.threads if comment_id in t.comment_ids), None)

    def add_reply(self, comment_id: int, body: str, login: str = "alice") -> dict[str, Any]:
        """A person (or `login`) replies in the thread of review comment `comment_id`."""
        parent = next(c for c in self.comments if c["id"] == comment_id)
        reply = self.repo.server.review_comment(self, path=parent["path"], line=parent.get("line"), body=body,
                                                user=_user(login), review_id=None, commit_id=self.head_sha)
        reply["in_reply_to_id"] = comment_id
        self.comments.append(reply)
        thread = self.thread_of(comment_id)
        if thread is not None:
            thread.comment_ids.append(reply["id"])
        return reply

    def add_human_comment(self, path: str, line: int, body: str, login: str = "alice") -> dict[str, Any]:
        """A person's own inline comment, opening a thread."""
        comment = self.repo.server.review_comment(self, path=path, line=line, body=body, user=_user(login),
                                                  review_id=None, commit_id=self.head_sha)
        self.comments.append(comment)
        self.threads.append(Thread(thread_id=f"PRRT_{comment['id']}", path=path, line=line,
                                   comment_ids=[comment["id"]]))
        return comment

    def push(self, files: Mapping[str, bytes | str | None], **kwargs: Any) -> str:
        """A new head commit on top of the current one (None removes a file); the file list is
        recomputed against the base."""
        head = dict(self.repo.commits[self.head_sha].files)
        for path, content in files.items():
            if content is None:
                head.pop(path, None)
            else:
                head[path] = as_bytes(content)
        self.head_sha = self.repo.commit(head, parent=self.head_sha)
        self.files = self.repo.diff_entries(self.base_sha, self.head_sha, **kwargs)
        return self.head_sha


class FakeRepo:
    def __init__(self, server: Any, full_name: str, installation_id: int) -> None:
        self.server = server
        self.full_name = full_name
        self.owner, self.name = full_name.split("/")
        self.id = next_id()
        self.installation_id = installation_id
        self.commits: dict[str, Commit] = {}
        self.blobs: dict[str, bytes] = {}
        self.pulls: dict[int, FakePull] = {}
        self.collaborators: dict[str, str] = {}
        self.issue_comments: dict[int, dict[str, Any]] = {}
        self.reactions: list[dict[str, Any]] = []
        self.check_runs: dict[int, dict[str, Any]] = {}

    def commit(self, files: Mapping[str, bytes | str], parent: str | None = None) -> str:
        contents = {path: as_bytes(data) for path, data in files.items()}
        digest = hashlib.sha1(repr((sorted(contents.items()), parent, len(self.commits))).encode()).hexdigest()
        for data in contents.values():
            self.blobs[git_blob_sha(data)] = data
        self.commits[digest] = Commit(sha=digest, files=contents, parent=parent)
        return digest

    def add_pull(self, number: int, base: Mapping[str, bytes | str], head: Mapping[str, bytes | str], *,
                 title: str = "Change things", draft: bool = False, renames: Mapping[str, str] | None = None,
                 no_patch: frozenset[str] | set[str] = frozenset(), head_repo: str | None = "") -> FakePull:
        """A PR from a commit with `base` files to one with `head` files. `renames` maps a new path
        to its old path; `no_patch` names files whose diff GitHub would not show (too large)."""
        base_sha = self.commit(base)
        head_sha = self.commit(head, parent=base_sha)
        pull = FakePull(self, number, base_sha, head_sha, title=title, draft=draft,
                        head_repo=self.full_name if head_repo == "" else head_repo)
        pull.files = self.diff_entries(base_sha, head_sha, renames=renames, no_patch=no_patch)
        self.pulls[number] = pull
        return pull

    def diff_entries(self, base_sha: str, head_sha: str, *, renames: Mapping[str, str] | None = None,
                     no_patch: frozenset[str] | set[str] = frozenset()) -> list[dict[str, Any]]:
        base, head = self.commits[base_sha].files, self.commits[head_sha].files
        renames = dict(renames or {})
        renamed_from = set(renames.values())
        entries: list[dict[str, Any]] = []
        for path in sorted(set(base) | set(head)):
            if path in renamed_from and path not in head:
                continue
            old_path = renames.get(path)
            old = base.get(old_path or path)
            new = head.get(path)
            if old == new and old_path is None:
                continue
            status = "renamed" if old_path else "added" if old is None else "removed" if new is None else "modified"
            patch = None if path in no_patch else make_patch(old, new)
            entries.append(self.file_entry(path, status, new if new is not None else old or b"", patch,
                                           previous=old_path))
        return entries

    def file_entry(self, path: str, status: str, content: bytes, patch: str | None, *,
                   previous: str | None = None) -> dict[str, Any]:
        additions, deletions = patch_stats(patch)
        base = self.server.base_url
        sha = git_blob_sha(content)
        entry: dict[str, Any] = {
            "sha": sha, "filename": path, "status": status, "additions": additions, "deletions": deletions,
            "changes": additions + deletions,
            "blob_url": f"{self.server.web_url}/{self.full_name}/blob/{sha}/{path}",
            "raw_url": f"{self.server.web_url}/{self.full_name}/raw/{sha}/{path}",
            "contents_url": f"{base}/repos/{self.full_name}/contents/{path}",
        }
        if patch is not None:
            entry["patch"] = patch
        if previous:
            entry["previous_filename"] = previous
        return entry


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 100000, "type": "Bot" if login.endswith("[bot]") else "User"}
