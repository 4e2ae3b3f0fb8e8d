"""GitHub webhook signatures (X-Hub-Signature-256): pure functions, no web framework.

The signature is checked over the exact raw bytes before anything is parsed, and fails closed:
a missing, malformed or wrong header is rejected the same way.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


class InvalidSignature(ValueError):
    """The request is not signed with the App's webhook secret."""


def sign(body: bytes, secret: str | bytes) -> str:
    """The X-Hub-Signature-256 value GitHub sends for `body`."""
    key = secret.encode() if isinstance(secret, str) else secret
    return _PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secret: str | bytes) -> None:
    """Raise InvalidSignature unless `header` is the HMAC-SHA256 of `body` under `secret`."""
    if not header:
        raise InvalidSignature(f"missing {SIGNATURE_HEADER} header")
    if not header.startswith(_PREFIX):
        raise InvalidSignature(f"{SIGNATURE_HEADER} is not a sha256= signature")
    expected = sign(body, secret)
    # compare_digest over ASCII bytes: constant time, and no error on non-ASCII input.
    if not hmac.compare_digest(expected.encode(), header.encode("utf-8", "replace")):
        raise InvalidSignature(f"{SIGNATURE_HEADER} does not match the request body")
