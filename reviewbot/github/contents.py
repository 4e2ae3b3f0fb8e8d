"""File contents at a commit, in as few requests as possible.

Files are fetched in GraphQL batches: one query holds up to `batch_size` aliased
`object(expression: "SHA:path")` lookups. GraphQL truncates large blobs and returns no text for
binary ones, so a file whose text is missing, truncated, or not the blob's exact bytes falls back
to REST: the git blobs API when the blob SHA is known (any size up to 100 MB), else the contents
API (which gives no content above 1 MB, then the blob it names). Blobs are content-addressed, so
an in-process LRU cache keyed by blob SHA serves repeated fetches (model files, a re-review).
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote

from reviewbot.github.transport import GitHubApiError, GitHubTransport, NotFound, RateLimited

BLOB_FIELDS = "... on Blob { oid byteSize isBinary isTruncated text }"
NOT_FOUND = "not found"
BINARY = "binary"


@dataclass(frozen=True, slots=True)
class BlobRequest:
    """A file to fetch at the ref; `blob_sha`, when known (the PR file list and git trees give
    it), lets a cached copy answer without a request."""

    path: str
    blob_sha: str | None = None


@dataclass(frozen=True)
class FetchedContents:
    """`files` maps path to bytes; `skipped` maps each file that was not fetched to why:
    "not found", "binary", or "larger than N bytes"."""

    files: dict[str, bytes] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


class BlobCache:
    """Blob bytes by blob SHA, least recently used evicted first, bounded by total size."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, sha: str | None) -> bytes | None:
        if not sha:
            return None
        with self._lock:
            data = self._items.get(sha)
            if data is not None:
                self._items.move_to_end(sha)
                self.hits += 1
            return data

    def put(self, sha: str | None, data: bytes) -> None:
        if not sha or len(data) > self.max_bytes:
            return
        with self._lock:
            if sha in self._items:
                self._items.move_to_end(sha)
                return
            self._items[sha] = data
            self._size += len(data)
            while self._size > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._size -= len(evicted)

    def __len__(self) -> int:
        return len(self._items)


class ContentFetcher:
    def __init__(self, transport: GitHubTransport, cache: BlobCache | None = None, *, batch_size: int = 50,
                 concurrency: int = 4) -> None:
        self._api = transport
        self._cache = cache if cache is not None else BlobCache()
        self._batch_size = max(1, batch_size)
        self._concurrency = max(1, concurrency)

    def fetch(self, repo: str, ref: str, wanted: Sequence[BlobRequest], *,
              max_bytes: int | None = None) -> FetchedContents:
        result = FetchedContents()
        missing: list[BlobRequest] = []
        for request in _unique(wanted):
            cached = self._cache.get(request.blob_sha)
            if cached is not None and (max_bytes is None or len(cached) <= max_bytes):
                result.files[request.path] = cached
            else:
                missing.append(request)
        fallback: list[BlobRequest] = []
        for start in range(0, len(missing), self._batch_size):
            batch = missing[start:start + self._batch_size]
            fallback.extend(self._fetch_batch(repo, ref, batch, result, max_bytes))
        if fallback:
            self._fetch_rest(repo, ref, fallback, result)
        return result

    def _fetch_batch(self, repo: str, ref: str, batch: Sequence[BlobRequest], result: FetchedContents,
                     max_bytes: int | None) -> list[BlobRequest]:
        """Fetch one GraphQL batch into `result`; return the requests REST must answer."""
        owner, name = split_repo(repo)
        variables: dict[str, object] = {"owner": owner, "name": name}
        for index, request in enumerate(batch):
            variables[f"e{index}"] = f"{ref}:{request.path}"
        try:
            data = self._api.query(blob_batch_query(len(batch)), variables, endpoint="graphql.blobs")
        except (RateLimited, NotFound):  # REST would meet the same limit, or the same missing repository
            raise
        except GitHubApiError:
            return list(batch)  # GraphQL unavailable or failing: every file through REST
        repository = data.get("repository") or {}
        fallback: list[BlobRequest] = []
        for index, request in enumerate(batch):
            blob = repository.get(f"f{index}")
            if not blob:  # null: no such path; {}: a tree or a submodule, not a file
                result.skipped[request.path] = NOT_FOUND
                continue
            size = int(blob.get("byteSize") or 0)
            if blob.get("isBinary"):
                result.skipped[request.path] = BINARY
                continue
            if max_bytes is not None and size > max_bytes:
                result.skipped[request.path] = f"larger than {max_bytes} bytes ({size} bytes)"
                continue
            text = blob.get("text")
            encoded = text.encode("utf-8") if isinstance(text, str) else None
            if encoded is None or blob.get("isTruncated") or len(encoded) != size:
                # Missing or truncated text, or text that is not the exact bytes (not UTF-8).
                fallback.append(BlobRequest(request.path, blob.get("oid") or request.blob_sha))
                continue
            self._cache.put(blob.get("oid"), encoded)
            result.files[request.path] = encoded
        return fallback

    def _fetch_rest(self, repo: str, ref: str, requests: Sequence[BlobRequest], result: FetchedContents) -> None:
        with ThreadPoolExecutor(max_workers=min(self._concurrency, len(requests))) as pool:
            outcomes = list(pool.map(lambda request: self._fetch_one(repo, ref, request), requests))
        for request, (data, reason) in zip(requests, outcomes, strict=True):
            if data is not None:
                result.files[request.path] = data
            else:
                result.skipped[request.path] = reason

    def _fetch_one(self, repo: str, ref: str, request: BlobRequest) -> tuple[bytes | None, str]:
        try:
            if request.blob_sha:
                data = self._blob(repo, request.blob_sha)
            else:
                _, entry = self._api.get(f"/repos/{repo}/contents/{quote(request.path)}", {"ref": ref},
                                         endpoint="repos.contents")
                if not isinstance(entry, dict) or entry.get("type", "file") != "file":
                    return None, NOT_FOUND
                if entry.get("encoding") == "base64" and entry.get("content") is not None:
                    data = base64.b64decode(entry["content"])
                else:  # above 1 MB the contents API sends encoding "none" and no content
                    data = self._blob(repo, str(entry["sha"]))
                request = BlobRequest(request.path, str(entry.get("sha") or ""))
        except NotFound:
            return None, NOT_FOUND
        self._cache.put(request.blob_sha, data)
        return data, ""

    def _blob(self, repo: str, sha: str) -> bytes:
        cached = self._cache.get(sha)
        if cached is not None:
            return cached
        _, blob = self._api.get(f"/repos/{repo}/git/blobs/{sha}", endpoint="git.blobs")
        content = blob.get("content") or ""
        if blob.get("encoding") == "base64":
            return base64.b64decode(content)
        return str(content).encode("utf-8")


def blob_batch_query(count: int) -> str:
    """A GraphQL query for `count` files, passed as variables $e0..$eN ("SHA:path"), so paths are
    never spliced into the query text."""
    declarations = "".join(f", $e{i}: String!" for i in range(count))
    fields = "\n".join(f"    f{i}: object(expression: $e{i}) {{ {BLOB_FIELDS} }}" for i in range(count))
    return (f"query($owner: String!, $name: String!{declarations}) {{\n"
            f"  repository(owner: $owner, name: $name) {{\n{fields}\n  }}\n}}")


def split_repo(repo: str) -> tuple[str, str]:
    owner, _, name = repo.partition("/")
    if not owner or not name or "/" in name:
        raise ValueError(f"repository must be 'owner/name', got {repo!r}")
    return owner, name


def _unique(wanted: Sequence[BlobRequest]) -> list[BlobRequest]:
    seen: set[str] = set()
    unique: list[BlobRequest] = []
    for request in wanted:
        if request.path not in seen:
            seen.add(request.path)
            unique.append(request)
    return unique
