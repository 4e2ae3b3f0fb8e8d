"""A local stand-in for GitHub, for `reviewbot demo`, the benchmarks and the end-to-end tests.

The GitHub stand-in itself is the fake GitHub server of the test suite (`tests/fakegithub`): a
stateful REST + GraphQL API on 127.0.0.1 that checks the App's JWT and review anchors the way
GitHub does. This package wraps it for programs outside pytest, loads the example pull request
from `examples/`, and runs the whole App (web server, queue, worker) against it.
"""

from reviewbot.sandbox.example import ExamplePullRequest, base_files, load_example
from reviewbot.sandbox.fake import SandboxUnavailable, generate_app_key, load_fake_github
from reviewbot.sandbox.local_app import LocalApp

__all__ = [
    "ExamplePullRequest",
    "LocalApp",
    "SandboxUnavailable",
    "base_files",
    "generate_app_key",
    "load_example",
    "load_fake_github",
]
