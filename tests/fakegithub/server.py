"""A fake GitHub REST + GraphQL API on 127.0.0.1, with state, for tests of the real PyGithub stack.

It answers the endpoints the App uses, the way GitHub does: JWT-checked token exchange, Link
pagination, `url` fields rendered from its own base URL, the 3,000-file limit of a PR's file
list, the contents API's "encoding: none" above 1 MB, review anchors checked against the patch
hunks with GitHub's 422 texts, 50 annotations per check-run request, and GraphQL for blob
batches, review threads and thread resolution. Faults can be injected per endpoint, before or
after the request takes effect. Every request is logged.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import jwt
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.fakegithub import graphql
from tests.fakegithub.patches import git_blob_sha, is_binary, right_side_lines
from tests.fakegithub.state import BOT_LOGIN, FakePull, FakeRepo, Thread, _user, next_id

MAX_PR_FILES = 3000
CONTENTS_API_MAX = 1024 * 1024
MAX_ANNOTATIONS = 50
REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
SECONDARY_RATE_LIMIT = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class HttpError(Exception):
    def __init__(self, status: int, message: str, errors: list[Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "documentation_url": "https://docs.github.com/rest"}
        if errors is not None:
            self.body["errors"] = errors
            self.body["status"] = str(status)
        self.headers = headers or {}


@dataclass
class RecordedCall:
    method: str
    path: str  # without the API prefix
    query: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]
    times: int
    after: bool  # let the request take effect, then answer with the fault


@dataclass
class Installation:
    id: int
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (epoch seconds)


class FakeGitHub:
    def __init__(self, *, app_id: str, public_key: str, app_slug: str = "reviewbot", prefix: str = "") -> None:
        self.app_id = str(app_id)
        self.public_key = public_key
        self.app_slug = app_slug
        self.prefix = prefix.rstrip("/")
        self.graphql_path = (self.prefix.removesuffix("/v3") if self.prefix else "") + "/graphql"
        self.installations: dict[int, Installation] = {}
        self.repos: dict[str, FakeRepo] = {}
        self.calls: list[RecordedCall] = []
        self.faults: list[Fault] = []
        self.graphql_text_limit = 512 * 1024  # GraphQL truncates blob text above this
        self.graphql_page_size = 100
        self.forbid_thread_resolution = False  # resolving needs contents:write
        self.token_lifetime = 3600.0
        self.lock = threading.RLock()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ------------------------------------------------------------ lifecycle

    def start(self) -> FakeGitHub:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + self.prefix

    @property
    def web_url(self) -> str:
        return self.origin + "/web"

    # ------------------------------------------------------------ arranging state

    def add_installation(self, installation_id: int = 1) -> int:
        self.installations.setdefault(installation_id, Installation(installation_id))
        return installation_id

    def add_repo(self, full_name: str = "octo/shop", installation_id: int = 1) -> FakeRepo:
        self.add_installation(installation_id)
        repo = FakeRepo(self, full_name, installation_id)
        self.repos[full_name] = repo
        return repo

    def inject(self, method: str, path: str, status: int, *, body: Any = None, headers: dict[str, str] | None = None,
               times: int = 1, after: bool = False) -> None:
        """Answer the next `times` requests matching `method` and the `path` regex (searched in
        the path without the API prefix, e.g. `/pulls/1/reviews$`) with `status`."""
        if body is None:
            body = {"message": SECONDARY_RATE_LIMIT if status in (403, 429) else "Server Error"}
        self.faults.append(Fault(method.upper(), re.compile(path), status, body, dict(headers or {}), times, after))

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Requests logged with `method` whose path matches the `path` regex (searched)."""
        with self.lock:
            return sum(1 for call in self.calls
                       if (method is None or call.method == method.upper())
                       and (path is None or re.search(path, call.path)))

    def api_calls(self) -> int:
        """Requests other than the token exchange (which a review does not pay for)."""
        return sum(1 for call in self.calls if "/access_tokens" not in call.path)

    def reset_calls(self) -> None:
        with self.lock:
            self.calls.clear()

    def url(self, path: str) -> str:
        return self.base_url + path

    # ------------------------------------------------------------ WSGI

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        response = self._respond(request)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        path = request.path
        if self.prefix and path.startswith(self.prefix + "/"):
            path = path[len(self.prefix):]
        elif path == self.graphql_path:
            path = "/graphql"
        try:
            body = request.get_json(silent=True) if request.data else None
        except Exception:  # noqa: BLE001 - a body that is not JSON is logged as None
            body = None
        call = RecordedCall(request.method, path, dict(request.args), body)
        with self.lock:
            self.calls.append(call)
            fault = self._take_fault(request.method, path)
            try:
                if fault is not None and not fault.after:
                    raise HttpError(fault.status, "", headers=fault.headers)
                status, data, headers = self._route(request, path, body)
                if fault is not None:
                    raise HttpError(fault.status, "", headers=fault.headers)
            except HttpError as error:
                call.status = error.status
                payload = fault.body if fault is not None and error.status == fault.status else error.body
                return _json(error.status, payload, error.headers)
        call.status = status
        return _json(status, data, headers)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and fault.path.search(path):
                fault.times -= 1
                return fault
        return None

    def _route(self, request: Request, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        method = request.method
        for route_method, pattern, handler in self._routes():
            if route_method != method:
                continue
            match = re.fullmatch(pattern, path)
            if match:
                return handler(request, body, **match.groupdict())
        raise HttpError(404, "Not Found")

    def _routes(self) -> list[tuple[str, str, Callable[..., tuple[int, Any, dict[str, str]]]]]:
        return [
            ("POST", r"/app/installations/(?P<installation>\d+)/access_tokens", self._create_token),
            ("GET", r"/app", self._get_app),
            ("GET", REPO + r"/installation", self._repo_installation),
            ("POST", r"/graphql", self._graphql),
            ("GET", REPO, self._get_repo),
            ("GET", REPO + r"/pulls/(?P<number>\d+)", self._get_pull),
            ("GET", REPO + r"/pulls/(?P<number>\d+)/files", self._list_files),
            ("GET", REPO + r"/pulls/(?P<number>\d+)/reviews", self._list_reviews),
            ("POST", REPO + r"/pulls/(?P<number>\d+)/reviews", self._create_review),
            ("DELETE", REPO + r"/pulls/(?P<number>\d+)/reviews/(?P<review>\d+)", self._delete_review),
            ("GET", REPO + r"/pulls/(?P<number>\d+)/comments", self._list_review_comments),
            ("PATCH", REPO + r"/pulls/comments/(?P<comment>\d+)", self._edit_review_comment),
            ("DELETE", REPO + r"/pulls/comments/(?P<comment>\d+)", self._delete_review_comment),
            ("GET", REPO + r"/commits/(?P<sha>[0-9a-f]+)", self._get_commit),
            ("GET", REPO + r"/contents/(?P<file_path>.+)", self._get_contents),
            ("GET", REPO + r"/git/blobs/(?P<sha>[0-9a-f]+)", self._get_blob),
            ("GET", REPO + r"/git/trees/(?P<sha>[0-9a-f]+)", self._get_tree),
            ("GET", REPO + r"/issues/comments/(?P<comment>\d+)", self._get_issue_comment),
            ("POST", REPO + r"/issues/comments/(?P<comment>\d+)/reactions", self._create_reaction),
            ("GET", REPO + r"/collaborators/(?P<user>[^/]+)/permission", self._collaborator_permission),
            ("POST", REPO + r"/check-runs", self._create_check_run),
            ("PATCH", REPO + r"/check-runs/(?P<check_run>\d+)", self._update_check_run),
            ("GET", REPO + r"/check-runs/(?P<check_run>\d+)", self._get_check_run),
        ]

    # ------------------------------------------------------------ authentication

    def _check_jwt(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise HttpError(401, "A JSON web token could not be decoded")
        try:
            claims = jwt.decode(header[len("Bearer "):], self.public_key, algorithms=["RS256"],
                                options={"require": ["exp", "iat", "iss"]})
        except jwt.PyJWTError as error:
            raise HttpError(401, f"A JSON web token could not be decoded: {error}") from None
        if str(claims["iss"]) != self.app_id:
            raise HttpError(401, "'Issuer' claim ('iss') must be an Integer")
        if claims["exp"] - time.time() > 600 or claims["exp"] - claims["iat"] > 660:
            raise HttpError(401, "'Expiration time' claim ('exp') is too far in the future")

    def _repo_for_token(self, request: Request, owner: str, repo: str) -> FakeRepo:
        header = request.headers.get("Authorization", "")
        token = header[len("token "):] if header.startswith("token ") else ""
        installation = next((i for i in self.installations.values() if token in i.tokens), None)
        if installation is None or installation.tokens[token] < time.time():
            raise HttpError(401, "Bad credentials")
        found = self.repos.get(f"{owner}/{repo}")
        if found is None or found.installation_id != installation.id:
            raise HttpError(404, "Not Found")
        return found

    def _pull(self, request: Request, owner: str, repo: str, number: str) -> FakePull:
        pull = self._repo_for_token(request, owner, repo).pulls.get(int(number))
        if pull is None:
            raise HttpError(404, "Not Found")
        return pull

    def _create_token(self, request: Request, body: Any, installation: str) -> tuple[int, Any, dict[str, str]]:
        self._check_jwt(request)
        found = self.installations.get(int(installation))
        if found is None:
            raise HttpError(404, "Not Found")
        token = "ghs_" + secrets.token_hex(18)
        expires = time.time() + self.token_lifetime
        found.tokens[token] = expires
        return 201, {"token": token, "expires_at": _iso(expires), "permissions": {}, "repository_selection": "all"}, {}

    def _get_app(self, request: Request, body: Any) -> tuple[int, Any, dict[str, str]]:
        self._check_jwt(request)
        return 200, {"id": int(self.app_id) if self.app_id.isdigit() else 1, "slug": self.app_slug,
                     "name": self.app_slug}, {}

    def _repo_installation(self, request: Request, body: Any, owner: str, repo: str) -> tuple[int, Any, dict[str, str]]:
        self._check_jwt(request)
        found = self.repos.get(f"{owner}/{repo}")
        if found is None:
            raise HttpError(404, "Not Found")
        return 200, {"id": found.installation_id, "app_id": self.app_id}, {}

    # ------------------------------------------------------------ repositories and pulls

    def _repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        return {"id": repo.id, "name": repo.name, "full_name": repo.full_name, "owner": {"login": repo.owner},
                "url": self.url(f"/repos/{repo.full_name}"), "html_url": f"{self.web_url}/{repo.full_name}",
                "default_branch": "main", "private": False}

    def _get_repo(self, request: Request, body: Any, owner: str, repo: str) -> tuple[int, Any, dict[str, str]]:
        return 200, self._repo_json(self._repo_for_token(request, owner, repo)), {}

    def _get_pull(self, request: Request, body: Any, owner: str, repo: str,
                  number: str) -> tuple[int, Any, dict[str, str]]:
        pull = self._pull(request, owner, repo, number)
        base_repo = self._repo_json(pull.repo)
        head_repo = None if pull.head_repo is None else {**base_repo, "full_name": pull.head_repo}
        return 200, {
            "id": pull.number * 7, "number": pull.number, "state": pull.state, "title": pull.title,
            "draft": pull.draft, "changed_files": len(pull.files),
            "url": self.url(f"/repos/{pull.repo.full_name}/pulls/{pull.number}"),
            "html_url": f"{self.web_url}/{pull.repo.full_name}/pull/{pull.number}",
            "head": {"sha": pull.head_sha, "ref": "feature", "repo": head_repo},
            "base": {"sha": pull.base_sha, "ref": "main", "repo": base_repo},
            "user": _user("alice"),
        }, {}

    def _list_files(self, request: Request, body: Any, owner: str, repo: str,
                    number: str) -> tuple[int, Any, dict[str, str]]:
        pull = self._pull(request, owner, repo, number)
        return self._page(request, pull.files[:MAX_PR_FILES])

    def _get_commit(self, request: Request, body: Any, owner: str, repo: str, sha: str) -> tuple[int, Any, dict]:
        found = self._repo_for_token(request, owner, repo)
        commit = found.commits.get(sha)
        if commit is None:
            raise HttpError(422, f"No commit found for SHA: {sha}")
        return 200, {"sha": sha, "url": self.url(f"/repos/{found.full_name}/commits/{sha}"),
                     "parents": [{"sha": commit.parent}] if commit.parent else []}, {}

    def _get_contents(self, request: Request, body: Any, owner: str, repo: str,
                      file_path: str) -> tuple[int, Any, dict[str, str]]:
        found = self._repo_for_token(request, owner, repo)
        commit = found.commits.get(request.args.get("ref", ""))
        if commit is None:
            raise HttpError(404, "No commit found for the ref")
        if file_path not in commit.files:
            directory = file_path.rstrip("/") + "/"
            if any(p.startswith(directory) for p in commit.files):
                return 200, self._directory_listing(found, commit.files, directory), {}
            raise HttpError(404, "Not Found")
        data = commit.files[file_path]
        entry = self._content_entry(found, file_path, data)
        if len(data) > CONTENTS_API_MAX:
            entry.update(encoding="none", content="")
        else:
            entry.update(encoding="base64", content=base64.encodebytes(data).decode())
        return 200, entry, {}

    def _content_entry(self, repo: FakeRepo, path: str, data: bytes) -> dict[str, Any]:
        sha = git_blob_sha(data)
        return {"type": "file", "name": path.rsplit("/", 1)[-1], "path": path, "sha": sha, "size": len(data),
                "url": self.url(f"/repos/{repo.full_name}/contents/{path}"),
                "git_url": self.url(f"/repos/{repo.full_name}/git/blobs/{sha}")}

    def _directory_listing(self, repo: FakeRepo, files: dict[str, bytes], directory: str) -> list[dict[str, Any]]:
        """A directory's entries, as the contents API lists them: files and subdirectories,
        without content."""
        entries: dict[str, dict[str, Any]] = {}
        for path, data in sorted(files.items()):
            if not path.startswith(directory):
                continue
            name, _, rest = path[len(directory):].partition("/")
            if rest:
                entries.setdefault(name, {"type": "dir", "name": name, "path": directory + name, "sha": "0" * 40,
                                          "size": 0, "url": self.url(f"/repos/{repo.full_name}/contents/"
                                                                     f"{directory}{name}")})
            else:
                entries[name] = self._content_entry(repo, path, data)
        return [entries[name] for name in sorted(entries)]

    def _get_blob(self, request: Request, body: Any, owner: str, repo: str, sha: str) -> tuple[int, Any, dict]:
        found = self._repo_for_token(request, owner, repo)
        data = found.blobs.get(sha)
        if data is None:
            raise HttpError(404, "Not Found")
        return 200, {"sha": sha, "size": len(data), "encoding": "base64",
                     "content": base64.encodebytes(data).decode(),
                     "url": self.url(f"/repos/{found.full_name}/git/blobs/{sha}")}, {}

    def _get_tree(self, request: Request, body: Any, owner: str, repo: str, sha: str) -> tuple[int, Any, dict]:
        found = self._repo_for_token(request, owner, repo)
        commit = found.commits.get(sha)
        if commit is None:
            raise HttpError(404, "Not Found")
        recursive = request.args.get("recursive") not in (None, "", "0", "false")
        entries: list[dict[str, Any]] = []
        directories: set[str] = set()
        for path, data in sorted(commit.files.items()):
            parts = path.split("/")
            for depth in range(1, len(parts)):
                directories.add("/".join(parts[:depth]))
            if recursive or len(parts) == 1:
                blob = git_blob_sha(data)
                entries.append({"path": path, "mode": "100644", "type": "blob", "sha": blob, "size": len(data),
                                "url": self.url(f"/repos/{found.full_name}/git/blobs/{blob}")})
        for directory in sorted(directories):
            if recursive or "/" not in directory:
                entries.append({"path": directory, "mode": "040000", "type": "tree", "sha": "0" * 40})
        return 200, {"sha": sha, "url": self.url(f"/repos/{found.full_name}/git/trees/{sha}"), "tree": entries,
                     "truncated": False}, {}

    def _collaborator_permission(self, request: Request, body: Any, owner: str, repo: str,
                                 user: str) -> tuple[int, Any, dict[str, str]]:
        found = self._repo_for_token(request, owner, repo)
        permission = found.collaborators.get(user, "none")
        legacy = {"maintain": "write", "triage": "read"}.get(permission, permission)
        return 200, {"permission": legacy, "role_name": permission, "user": _user(user)}, {}

    # ------------------------------------------------------------ issue comments and reactions

    def add_issue_comment(self, repo: FakeRepo, number: int, body: str, login: str = "alice") -> dict[str, Any]:
        comment_id = next_id()
        comment = {"id": comment_id, "body": body, "user": _user(login),
                   "url": self.url(f"/repos/{repo.full_name}/issues/comments/{comment_id}"),
                   "issue_url": self.url(f"/repos/{repo.full_name}/issues/{number}")}
        repo.issue_comments[comment_id] = comment
        return comment

    def _get_issue_comment(self, request: Request, body: Any, owner: str, repo: str,
                           comment: str) -> tuple[int, Any, dict[str, str]]:
        found = self._repo_for_token(request, owner, repo)
        if int(comment) not in found.issue_comments:
            raise HttpError(404, "Not Found")
        return 200, found.issue_comments[int(comment)], {}

    def _create_reaction(self, request: Request, body: Any, owner: str, repo: str,
                         comment: str) -> tuple[int, Any, dict[str, str]]:
        found = self._repo_for_token(request, owner, repo)
        if int(comment) not in found.issue_comments:
            raise HttpError(404, "Not Found")
        content = (body or {}).get("content")
        if content not in ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"):
            raise HttpError(422, "Validation Failed", [{"resource": "Reaction", "field": "content", "code": "invalid"}])
        for reaction in found.reactions:
            if reaction["comment_id"] == int(comment) and reaction["content"] == content:
                return 200, reaction, {}
        reaction = {"id": next_id(), "comment_id": int(comment), "content": content, "user": _user(BOT_LOGIN)}
        found.reactions.append(reaction)
        return 201, reaction, {}

    # ------------------------------------------------------------ reviews

    def review_comment(self, pull: FakePull, *, path: str, line: int | None, body: str, user: dict[str, Any],
                       review_id: int | None, commit_id: str, start_line: int | None = None,
                       side: str = "RIGHT") -> dict[str, Any]:
        comment_id = next_id()
        full_name = pull.repo.full_name
        comment = {"id": comment_id, "node_id": f"PRRC_{comment_id}", "pull_request_review_id": review_id,
                   "path": path, "line": line, "side": side, "start_line": start_line,
                   "start_side": side if start_line else None, "body": body, "commit_id": commit_id,
                   "original_commit_id": commit_id, "user": user,
                   "url": self.url(f"/repos/{full_name}/pulls/comments/{comment_id}"),
                   "html_url": f"{self.web_url}/{full_name}/pull/{pull.number}#discussion_r{comment_id}",
                   "pull_request_url": self.url(f"/repos/{full_name}/pulls/{pull.number}")}
        return comment

    def _review_json(self, pull: FakePull, review: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in review.items() if not key.startswith("_")}

    def _list_reviews(self, request: Request, body: Any, owner: str, repo: str,
                      number: str) -> tuple[int, Any, dict[str, str]]:
        pull = self._pull(request, owner, repo, number)
        return self._page(request, [self._review_json(pull, r) for r in pull.reviews])

    def _create_review(self, request: Request, body: Any, owner: str, repo: str,
                       number: str) -> tuple[int, Any, dict[str, str]]:
        pull = self._pull(request, owner, repo, number)
        body = body or {}
        event = body.get("event")
        states = {None: "PENDING", "COMMENT": "COMMENTED", "REQUEST_CHANGES": "CHANGES_REQUESTED",
                  "APPROVE": "APPROVED"}
        if event not in states:
            raise HttpError(422, "Unprocessable Entity", [f"Invalid event: {event}"])
        if event in ("COMMENT", "REQUEST_CHANGES") and not body.get("body") and not body.get("comments"):
            raise HttpError(422, "Unprocessable Entity", ["Body is required for comment and request changes"])
        if any(r["state"] == "PENDING" and r["user"]["login"] == BOT_LOGIN for r in pull.reviews):
            raise HttpError(422, "Unprocessable Entity",
                            ["User can only have one pending review per pull request"])
        commit_id = body.get("commit_id") or pull.head_sha
        if commit_id not in pull.repo.commits:
            raise HttpError(422, "Unprocessable Entity", [f"No commit found for SHA: {commit_id}"])
        comments = body.get("comments") or []
        for comment in comments:
            problem = self._anchor_problem(pull, comment)
            if problem:
                raise HttpError(422, "Unprocessable Entity", [problem])
        review_id = next_id()
        state = states[event]
        full_name = pull.repo.full_name
        review = {"id": review_id, "node_id": f"PRR_{review_id}", "user": _user(BOT_LOGIN),
                  "body": body.get("body") or "", "state": state, "commit_id": commit_id,
                  "html_url": f"{self.web_url}/{full_name}/pull/{pull.number}#pullrequestreview-{review_id}",
                  "pull_request_url": self.url(f"/repos/{full_name}/pulls/{pull.number}"),
                  "submitted_at": None if state == "PENDING" else _iso(time.time())}
        pull.reviews.append(review)
        for comment in comments:
            stored = self.review_comment(pull, path=comment["path"], line=comment.get("line"), body=comment["body"],
                                         user=_user(BOT_LOGIN), review_id=review_id, commit_id=commit_id,
                                         start_line=comment.get("start_line"), side=comment.get("side", "RIGHT"))
            pull.comments.append(stored)
            if state != "PENDING":
                pull.threads.append(Thread(thread_id=f"PRRT_{stored['id']}", path=stored["path"],
                                           line=stored["line"], comment_ids=[stored["id"]]))
        return 200, self._review_json(pull, review), {}

    def _anchor_problem(self, pull: FakePull, comment: dict[str, Any]) -> str:
        """GitHub's 422 text for a comment it cannot place, or ""."""
        if "position" in comment:
            return "position is not supported by this fake; use line and side"
        entry = pull.file(str(comment.get("path")))
        if entry is None:
            return "Path could not be resolved"
        if comment.get("side", "RIGHT") != "RIGHT" or comment.get("start_side", "RIGHT") != "RIGHT":
            return "only RIGHT-side comments are supported by this fake"
        if not entry.get("patch"):
            return "Pull request review thread diff hunk can't be blank"
        line = comment.get("line")
        if not isinstance(line, int) or line < 1:
            return "Line could not be resolved"
        lines = right_side_lines(entry["patch"])
        if line not in lines:
            return "Pull request review thread line must be part of the diff"
        start = comment.get("start_line")
        if start is not None:
            if not isinstance(start, int) or start >= line:
                return "Pull request review thread start line must precede the end line."
            if lines.get(start) != lines[line]:
                return "Pull request review thread start line must be part of the same hunk as the line."
        return ""

    def _delete_review(self, request: Request, body: Any, owner: str, repo: str, number: str,
                       review: str) -> tuple[int, Any, dict[str, str]]:
        pull = self._pull(request, owner, repo, number)
        found = next((r for r in pull.reviews if r["id"] == int(review)), None)
        if found is None:
            raise HttpError(404, "Not Found")
        if found["state"] != "PENDING":
            raise HttpError(422, "Unprocessable Entity", ["Can not delete a non-pending pull request review"])
        pull.reviews.remove(found)
        pull.comments = [c for c in pull.comments if c.get("pull_request_review_id") != found["id"]]
        return 200, self._review_json(pull, found), {}

    def _list_review_comments(self, request: Request, body: Any, owner: str, repo: str,
                              number: str) -> tuple[int, Any, dict[str, str]]:
        pull = self._pull(request, owner, repo, number)
        return self._page(request, pull.submitted_comments())

    def _find_review_comment(self, request: Request, owner: str, repo: str,
                             comment: str) -> tuple[FakePull, dict[str, Any]]:
        found = self._repo_for_token(request, owner, repo)
        for pull in found.pulls.values():
            for item in pull.comments:
                if item["id"] == int(comment):
                    return pull, item
        raise HttpError(404, "Not Found")

    def _edit_review_comment(self, request: Request, body: Any, owner: str, repo: str,
                             comment: str) -> tuple[int, Any, dict[str, str]]:
        _, item = self._find_review_comment(request, owner, repo, comment)
        item["body"] = (body or {}).get("body", item["body"])
        return 200, item, {}

    def _delete_review_comment(self, request: Request, body: Any, owner: str, repo: str,
                               comment: str) -> tuple[int, Any, dict[str, str]]:
        pull, item = self._find_review_comment(request, owner, repo, comment)
        pull.comments.remove(item)
        for thread in pull.threads:
            if item["id"] in thread.comment_ids:
                thread.comment_ids.remove(item["id"])
        pull.threads = [t for t in pull.threads if t.comment_ids]
        return 204, None, {}

    # ------------------------------------------------------------ check runs

    def _create_check_run(self, request: Request, body: Any, owner: str, repo: str) -> tuple[int, Any, dict]:
        found = self._repo_for_token(request, owner, repo)
        body = body or {}
        if not body.get("name") or not body.get("head_sha"):
            raise HttpError(422, "Validation Failed", [{"resource": "CheckRun", "code": "missing_field"}])
        check_id = next_id()
        run = {"id": check_id, "name": body["name"], "head_sha": body["head_sha"], "status": "queued",
               "conclusion": None, "external_id": body.get("external_id"), "details_url": body.get("details_url"),
               "output": {"title": None, "summary": None, "annotations_count": 0}, "annotations": [],
               "updates": 0, "url": self.url(f"/repos/{found.full_name}/check-runs/{check_id}"),
               "html_url": f"{self.web_url}/{found.full_name}/runs/{check_id}"}
        found.check_runs[check_id] = run
        self._apply_check_run(run, body)
        return 201, self._check_run_json(run), {}

    def _update_check_run(self, request: Request, body: Any, owner: str, repo: str,
                          check_run: str) -> tuple[int, Any, dict[str, str]]:
        found = self._repo_for_token(request, owner, repo)
        run = found.check_runs.get(int(check_run))
        if run is None:
            raise HttpError(404, "Not Found")
        run["updates"] += 1
        self._apply_check_run(run, body or {})
        return 200, self._check_run_json(run), {}

    def _get_check_run(self, request: Request, body: Any, owner: str, repo: str,
                       check_run: str) -> tuple[int, Any, dict[str, str]]:
        found = self._repo_for_token(request, owner, repo)
        run = found.check_runs.get(int(check_run))
        if run is None:
            raise HttpError(404, "Not Found")
        return 200, self._check_run_json(run), {}

    def _apply_check_run(self, run: dict[str, Any], body: dict[str, Any]) -> None:
        output = body.get("output") or {}
        annotations = output.get("annotations") or []
        if len(annotations) > MAX_ANNOTATIONS:
            raise HttpError(422, "Validation Failed",
                            [{"resource": "CheckRun", "field": "annotations", "code": "invalid",
                              "message": "Only 50 annotations may be sent per request"}])
        for annotation in annotations:
            missing = {"path", "start_line", "end_line", "annotation_level", "message"} - set(annotation)
            if missing or annotation["annotation_level"] not in ("notice", "warning", "failure"):
                raise HttpError(422, "Validation Failed", [{"resource": "CheckRun", "field": "annotations",
                                                            "code": "invalid"}])
        if body.get("conclusion") and body.get("status") not in (None, "completed"):
            raise HttpError(422, "Validation Failed", ["conclusion requires status completed"])
        for key in ("title", "summary", "text"):
            if key in output:
                if len(str(output[key])) > 65535:
                    raise HttpError(422, "Validation Failed", [f"output.{key} is too long"])
                run["output"][key] = output[key]
        run["annotations"].extend(annotations)
        run["output"]["annotations_count"] = len(run["annotations"])
        if body.get("status"):
            run["status"] = body["status"]
        if body.get("conclusion"):
            run["conclusion"] = body["conclusion"]
            run["status"] = "completed"

    def _check_run_json(self, run: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in run.items() if key not in ("annotations", "updates")}

    # ------------------------------------------------------------ GraphQL

    def _graphql(self, request: Request, body: Any, **_: str) -> tuple[int, Any, dict[str, str]]:
        header = request.headers.get("Authorization", "")
        token = header[len("token "):] if header.startswith("token ") else ""
        installation = next((i for i in self.installations.values() if token in i.tokens), None)
        if installation is None:
            raise HttpError(401, "Bad credentials")
        return 200, graphql.execute(self, installation.id, body or {}), {}

    # ------------------------------------------------------------ pagination

    def _page(self, request: Request, items: list[Any]) -> tuple[int, Any, dict[str, str]]:
        per_page = min(max(int(request.args.get("per_page", 30)), 1), 100)
        page = max(int(request.args.get("page", 1)), 1)
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page: page * per_page]
        links = []
        path = request.path

        def link(number: int, rel: str) -> str:
            query = {**request.args.to_dict(), "per_page": str(per_page), "page": str(number)}
            return f'<{self.origin}{path}?{urlencode(query)}>; rel="{rel}"'

        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        return 200, chunk, ({"Link": ", ".join(links)} if links else {})


def _json(status: int, data: Any, headers: dict[str, str]) -> Response:
    if status == 204 or data is None:
        return Response(status=status, headers=headers)
    return Response(json.dumps(data), status=status, headers=headers, content_type="application/json")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = ["FakeGitHub", "HttpError", "RecordedCall", "is_binary"]
