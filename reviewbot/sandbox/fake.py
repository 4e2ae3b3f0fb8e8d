"""Loading the fake GitHub server from the source checkout, outside pytest."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class SandboxUnavailable(RuntimeError):
    """The sandbox needs the source checkout (tests/fakegithub, examples/) and the dev extra."""


@dataclass(frozen=True)
class AppKey:
    private_pem: str
    public_pem: str


def generate_app_key() -> AppKey:
    """A fresh RSA key pair for a sandboxed App: generated per run, never written to disk."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return AppKey(private_pem=private_pem, public_pem=public_pem)


def load_fake_github() -> Any:
    """The `FakeGitHub` class. It lives with the tests, so the checkout's root must be importable;
    it is appended to `sys.path` (after everything else, so it shadows nothing)."""
    if not (PROJECT_ROOT / "tests" / "fakegithub" / "server.py").is_file():
        raise SandboxUnavailable(f"the GitHub sandbox needs the source checkout; {PROJECT_ROOT / 'tests'} "
                                 "has no fakegithub package")
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.append(str(PROJECT_ROOT))
    try:
        from tests.fakegithub.server import FakeGitHub
    except ImportError as error:
        raise SandboxUnavailable(f"the GitHub sandbox needs {error.name or 'a dev dependency'}: "
                                 "run `make run`, or pip install -e '.[dev]'") from None
    return FakeGitHub
