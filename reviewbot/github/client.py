"""`GitHubPullRequestClient`: what a review needs from GitHub, one method per question, each
answered with as few requests as the API allows. Every request goes through one
`GitHubTransport`, whose counter is this client's API call count.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from reviewbot.config import DEFAULT_MIGRATION_PATHS, DEFAULT_TEST_PATHS, path_matches
from reviewbot.diff import FileDiff, file_diff_from_patch
from reviewbot.github import check_runs, threads
from reviewbot.github.contents import BlobCache, BlobRequest, ContentFetcher, FetchedContents
from reviewbot.github.reviews import PostedReview, ReviewPoster
from reviewbot.github.transport import ApiCallCounter, GitHubTransport, NotFound
from reviewbot.render.review_plan import InlineComment

MAX_PR_FILES = 3000  # GitHub lists at most 3,000 files of a pull request
CONFIG_FILES = (".reviewbot.toml", "pyproject.toml")
MODEL_PATTERNS = ("**/models.py", "**/models/*.py", "**/*models*.py", "**/db/*.py", "**/entities.py")
MAX_MODEL_FILES = 200
MAX_MODEL_FILE_BYTES = 1_000_000
MAX_DIRECTORY_FILES = 100  # rule cards in one directory; a larger directory is not a card set
MAX_DIRECTORY_FILE_BYTES = 256 * 1024
REACTIONS = frozenset({"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"})


@dataclass(frozen=True, slots=True)
class PullRequestDetails:
    number: int
    head_sha: str
    base_sha: str
    head_repo: str | None  # None when the fork was deleted
    base_repo: str
    draft: bool
    title: str
    state: str  # "open" or "closed"
    changed_files: int  # as GitHub counts them; the file list stops at 3,000

    @property
    def is_fork(self) -> bool:
        return self.head_repo != self.base_repo


@dataclass(frozen=True, slots=True)
class PullRequestFile:
    """One entry of the PR's file list. `patch` is None for binary files and diffs too large for
    GitHub to show: such a file has no line an inline comment can go on."""

    path: str
    status: str  # added, removed, modified, renamed, copied, changed, unchanged
    blob_sha: str | None
    patch: str | None
    previous_path: str | None = None
    additions: int = 0
    deletions: int = 0
    changes: int = 0

    @property
    def diff(self) -> FileDiff:
        return file_diff_from_patch(self.path, self.patch, self.status, self.previous_path)


@dataclass(frozen=True, slots=True)
class RepoConfigFiles:
    reviewbot_toml: str | None
    pyproject_toml: str | None


class GitHubPullRequestClient:
    def __init__(self, transport: GitHubTransport, *, cache: BlobCache | None = None, graphql_batch_size: int = 50,
                 content_concurrency: int = 4) -> None:
        self.api = transport
        self._contents = ContentFetcher(transport, cache, batch_size=graphql_batch_size,
                                        concurrency=content_concurrency)

    @property
    def api_calls(self) -> ApiCallCounter:
        return self.api.counter

    # ------------------------------------------------------------ reading

    def pull_request(self, repo: str, number: int) -> PullRequestDetails:
        _, data = self.api.get(f"/repos/{repo}/pulls/{number}", endpoint="pulls.get")
        head, base = data.get("head") or {}, data.get("base") or {}
        return PullRequestDetails(
            number=int(data["number"]), head_sha=str(head["sha"]), base_sha=str(base["sha"]),
            head_repo=((head.get("repo") or {}).get("full_name")), base_repo=str((base.get("repo") or {}).get(
                "full_name") or repo), draft=bool(data.get("draft")), title=str(data.get("title") or ""),
            state=str(data.get("state") or "open"), changed_files=int(data.get("changed_files") or 0))

    def changed_files(self, repo: str, number: int, *, max_files: int = MAX_PR_FILES) -> tuple[PullRequestFile, ...]:
        """Every file of the PR, 100 per request, up to GitHub's limit of 3,000."""
        entries = self.api.get_pages(f"/repos/{repo}/pulls/{number}/files", endpoint="pulls.files",
                                     max_items=min(max_files, MAX_PR_FILES))
        return tuple(_pull_request_file(entry) for entry in entries)

    def file_contents(self, repo: str, head_sha: str, files: Iterable[PullRequestFile | BlobRequest | str], *,
                      max_bytes: int | None = None) -> FetchedContents:
        """Contents at `head_sha` of the given files (removed files are skipped). A blob SHA,
        when given, lets the cache answer."""
        wanted: list[BlobRequest] = []
        for item in files:
            if isinstance(item, str):
                wanted.append(BlobRequest(item))
            elif isinstance(item, BlobRequest):
                wanted.append(item)
            elif item.status != "removed":
                wanted.append(BlobRequest(item.path, item.blob_sha))
        return self._contents.fetch(repo, head_sha, wanted, max_bytes=max_bytes)

    def config_files(self, repo: str, sha: str) -> dict[str, bytes]:
        """`.reviewbot.toml` and `pyproject.toml` at `sha`, those that exist (one request)."""
        fetched = self._contents.fetch(repo, sha, [BlobRequest(path) for path in CONFIG_FILES])
        return {path: fetched.files[path] for path in CONFIG_FILES if path in fetched.files}

    def repo_config(self, repo: str, sha: str) -> RepoConfigFiles:
        files = self.config_files(repo, sha)
        return RepoConfigFiles(reviewbot_toml=_text(files.get(".reviewbot.toml")),
                               pyproject_toml=_text(files.get("pyproject.toml")))

    def model_sources(self, repo: str, sha: str, *, exclude: Collection[str] = (), limit: int = MAX_MODEL_FILES,
                      max_bytes: int = MAX_MODEL_FILE_BYTES) -> dict[str, bytes]:
        """The repository's ORM model modules at `sha`, found in one recursive tree listing and
        fetched in GraphQL batches: files named like models (`models.py`, `models/*.py`,
        `*models*.py`, `db/*.py`, `entities.py`), tests and migrations left out."""
        _, tree = self.api.get(f"/repos/{repo}/git/trees/{sha}", {"recursive": "1"}, endpoint="git.trees")
        excluded = set(exclude)
        candidates = [entry for entry in tree.get("tree") or ()
                      if entry.get("type") == "blob" and is_model_path(str(entry.get("path", "")))
                      and entry["path"] not in excluded and int(entry.get("size") or 0) <= max_bytes]
        candidates.sort(key=lambda entry: (entry["path"].count("/"), entry["path"]))
        wanted = [BlobRequest(entry["path"], entry.get("sha")) for entry in candidates[:limit]]
        return self._contents.fetch(repo, sha, wanted, max_bytes=max_bytes).files

    def directory_files(self, repo: str, sha: str, directory: str, *, suffix: str = "", limit: int = MAX_DIRECTORY_FILES,
                        max_bytes: int = MAX_DIRECTORY_FILE_BYTES) -> FetchedContents:
        """The files directly in `directory` at `sha` whose names end with `suffix` (not
        recursive), in two requests: the contents API lists the directory (with blob SHAs, so
        cached blobs cost nothing), then one GraphQL batch fetches the files. A directory that
        does not exist at `sha` (or a path that is a file) has no files. Beyond the first `limit`
        files in name order, and above `max_bytes`, files are listed in `skipped` with why."""
        try:
            _, listing = self.api.get(f"/repos/{repo}/contents/{quote(directory.strip('/'))}", {"ref": sha},
                                      endpoint="repos.contents")
        except NotFound:
            return FetchedContents()
        if not isinstance(listing, list):  # a file, a symlink or a submodule
            return FetchedContents()
        entries = sorted((entry for entry in listing
                          if entry.get("type") == "file" and str(entry.get("name", "")).endswith(suffix)),
                         key=lambda entry: str(entry["path"]))
        wanted: list[BlobRequest] = []
        skipped: dict[str, str] = {}
        for entry in entries:
            size = int(entry.get("size") or 0)
            if size > max_bytes:
                skipped[entry["path"]] = f"larger than {max_bytes} bytes ({size} bytes)"
            elif len(wanted) >= limit:
                skipped[entry["path"]] = f"more than {limit} files in the directory"
            else:
                wanted.append(BlobRequest(str(entry["path"]), entry.get("sha") or None))
        fetched = self._contents.fetch(repo, sha, wanted, max_bytes=max_bytes)
        return FetchedContents(files=fetched.files, skipped={**skipped, **fetched.skipped})

    def collaborator_permission(self, repo: str, user: str) -> str:
        """'admin', 'maintain', 'write', 'triage', 'read' or 'none'."""
        try:
            _, data = self.api.get(f"/repos/{repo}/collaborators/{quote(user, safe='')}/permission",
                                   endpoint="repos.collaborator_permission")
        except NotFound:
            return "none"
        role = str(data.get("role_name") or "")
        if role in ("maintain", "triage"):
            return role
        return str(data.get("permission") or "none")

    def existing_markers(self, repo: str, number: int, *, bot_login: str | None = None) -> threads.ExistingMarkers:
        return threads.existing_markers(self.api, repo, number, bot_login=bot_login)

    # ------------------------------------------------------------ writing

    def add_reaction(self, repo: str, comment_id: int, content: str = "eyes") -> None:
        if content not in REACTIONS:
            raise ValueError(f"unknown reaction {content!r}")
        self.api.write("POST", f"/repos/{repo}/issues/comments/{comment_id}/reactions", {"content": content},
                       endpoint="reactions.create")

    def post_review(self, repo: str, number: int, head_sha: str, body: str, comments: Sequence[InlineComment],
                    event: str = "COMMENT", *,
                    rebuild_body: Callable[[Sequence[InlineComment]], str] | None = None) -> PostedReview:
        return ReviewPoster(self.api, repo, number, head_sha).post(body, comments, event, rebuild_body=rebuild_body)

    def create_check_run(self, repo: str, head_sha: str, *, name: str = check_runs.CHECK_NAME,
                         details_url: str | None = None, external_id: str | None = None) -> int:
        return check_runs.create_check_run(self.api, repo, head_sha, name=name, details_url=details_url,
                                           external_id=external_id)

    def complete_check_run(self, repo: str, check_run_id: int, *, conclusion: str, title: str, summary: str,
                           annotations: Sequence[dict[str, Any]] = ()) -> int:
        return check_runs.complete_check_run(self.api, repo, check_run_id, conclusion=conclusion, title=title,
                                             summary=summary, annotations=annotations)

    def publish_check_run(self, repo: str, head_sha: str, *, conclusion: str, title: str, summary: str,
                          annotations: Sequence[dict[str, Any]] = (), name: str = check_runs.CHECK_NAME,
                          external_id: str | None = None) -> int:
        return check_runs.publish_check_run(self.api, repo, head_sha, conclusion=conclusion, title=title,
                                            summary=summary, annotations=annotations, name=name,
                                            external_id=external_id)

    def resolve_fixed_threads(self, head_sha: str, current_fingerprints: Collection[str],
                              markers: threads.ExistingMarkers, *,
                              analysed_paths: Collection[str] | None = None) -> threads.ResolveOutcome:
        return threads.resolve_fixed_threads(self.api, head_sha, current_fingerprints, markers,
                                             analysed_paths=analysed_paths)


def is_model_path(path: str) -> bool:
    return (path.endswith(".py") and path_matches(path, MODEL_PATTERNS)
            and not path_matches(path, DEFAULT_TEST_PATHS + DEFAULT_MIGRATION_PATHS))


def _pull_request_file(entry: dict[str, Any]) -> PullRequestFile:
    return PullRequestFile(
        path=str(entry["filename"]), status=str(entry.get("status") or "modified"), blob_sha=entry.get("sha") or None,
        patch=entry.get("patch") or None, previous_path=entry.get("previous_filename") or None,
        additions=int(entry.get("additions") or 0), deletions=int(entry.get("deletions") or 0),
        changes=int(entry.get("changes") or 0))


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", errors="replace")
