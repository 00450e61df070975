"""Building hostile structured input (JOSE objects with raw JSON text, deep nesting, wrong
member types) and checking that authserver answered it without a server error."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.support.tokens import ClientKey


def b64url_text(text: str | bytes) -> str:
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def nested(depth: int, leaf: str = "1") -> str:
    """``depth`` nested JSON arrays around ``leaf``, as text (no Python object of that
    depth is ever built, so the test itself cannot hit the recursion limit)."""
    return "[" * depth + leaf + "]" * depth


def compact(header_json: str, payload_json: str, signature: str = "AAAA") -> str:
    """A compact JWS from raw JSON texts and an (unverifiable) signature."""
    return f"{b64url_text(header_json)}.{b64url_text(payload_json)}.{signature}"


def signed_text(key: ClientKey, header_json: str, payload_json: str) -> str:
    """A compact JWS over exactly these JSON texts, validly signed with an ES256 client
    key: the signature is right, so every later check sees the hostile values."""
    signing_input = f"{b64url_text(header_json)}.{b64url_text(payload_json)}".encode()
    r, s = decode_dss_signature(key.jwk.get_op_key("sign").sign(
        signing_input, ec.ECDSA(hashes.SHA256())))
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input.decode()}.{b64url_text(signature)}"


def server_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log records at ERROR or above, or carrying a traceback, since the last clear."""
    return [f"{r.name}: {r.getMessage()[:200]}" for r in caplog.records
            if r.levelno >= logging.ERROR or r.exc_info]


def assert_handled(response: Any, caplog: pytest.LogCaptureFixture, what: str) -> None:
    """Below 500, no stack trace in the body, nothing logged as an error."""
    body = response.get_data(as_text=True)
    assert response.status_code < 500, f"{what}: HTTP {response.status_code} {body[:300]}"
    assert "Traceback" not in body, f"{what}: stack trace in the response"
    errors = server_errors(caplog)
    assert not errors, f"{what}: logged as a server error: {errors}"
