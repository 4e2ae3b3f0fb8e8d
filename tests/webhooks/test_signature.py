from __future__ import annotations

import pytest

from reviewbot.webhooks.signature import InvalidSignature, sign, verify_signature

GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_BODY = b"Hello, World!"
GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_sign_matches_githubs_documented_test_vector():
    assert sign(GITHUB_BODY, GITHUB_SECRET) == GITHUB_SIGNATURE


def test_verify_accepts_githubs_documented_test_vector():
    verify_signature(GITHUB_BODY, GITHUB_SIGNATURE, GITHUB_SECRET.encode())


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing X-Hub-Signature-256 header"),
        ("", "missing X-Hub-Signature-256 header"),
        ("sha1=0123", "X-Hub-Signature-256 is not a sha256= signature"),
        (GITHUB_SIGNATURE[:-1] + "0", "X-Hub-Signature-256 does not match the request body"),
        ("sha256=", "X-Hub-Signature-256 does not match the request body"),
        ("sha256=ü" * 3, "X-Hub-Signature-256 does not match the request body"),
    ],
)
def test_verify_rejects_missing_and_wrong_signatures(header, message):
    with pytest.raises(InvalidSignature) as error:
        verify_signature(GITHUB_BODY, header, GITHUB_SECRET)
    assert str(error.value) == message


def test_a_signature_for_another_body_or_secret_is_refused():
    with pytest.raises(InvalidSignature):
        verify_signature(GITHUB_BODY + b" ", GITHUB_SIGNATURE, GITHUB_SECRET)
    with pytest.raises(InvalidSignature):
        verify_signature(GITHUB_BODY, GITHUB_SIGNATURE, "another secret")
