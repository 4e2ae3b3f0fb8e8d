"""A fake GitHub API server for tests: REST and GraphQL on 127.0.0.1, with state and fault injection.

Use it as a pytest plugin (`pytest_plugins = ["tests.fakegithub.fixtures"]`) for the `app_key`,
`fake_github` and `github_app` fixtures, or start a `FakeGitHub` yourself.
"""

from tests.fakegithub.patches import git_blob_sha, make_patch, right_side_lines
from tests.fakegithub.server import SECONDARY_RATE_LIMIT, FakeGitHub, HttpError, RecordedCall
from tests.fakegithub.state import BOT_LOGIN, FakePull, FakeRepo

__all__ = [
    "BOT_LOGIN",
    "SECONDARY_RATE_LIMIT",
    "FakeGitHub",
    "FakePull",
    "FakeRepo",
    "HttpError",
    "RecordedCall",
    "git_blob_sha",
    "make_patch",
    "right_side_lines",
]
