"""The HTTP contract every integration must honour, shared by the integration tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from avtestkit import AUDIENCE, TestKey, default_claims, mint

from authserver_verifier import Verifier

REALM = "stores"
ISSUER = "https://issuer.example.test/t/default"

# (status, headers, json body)
Result = tuple[int, dict[str, str], Any]
Requester = Callable[[str, str, str | None], Result]


def make_verifier(keys: dict[str, TestKey]) -> Verifier:
    return Verifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        algorithms=("ES256",),
        realm=REALM,
        jwks={"keys": [keys["ES256"].jwk()]},
    )


def check_contract(request: Requester, keys: dict[str, TestKey], name: str) -> None:
    """Drive GET/POST /stores (stores:read / stores:write) through ``request``."""
    good = mint(keys["ES256"], default_claims(ISSUER))  # scope: stores:read profile
    expired = mint(keys["ES256"], default_claims(ISSUER, exp=int(time.time()) - 3600))
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")

    status, headers, body = request("GET", "/stores", f"Bearer {good}")
    assert status == 200, f"{name}: valid token refused: {status} {body}"
    assert body == {"sub": "user-123"}, f"{name}: claims not passed to the view: {body}"

    status, headers, body = request("GET", "/stores", None)
    assert status == 401, f"{name}: missing token must be 401, got {status}"
    assert headers.get("www-authenticate") == f'Bearer realm="{REALM}"', (
        f"{name}: missing token challenge must carry no error: {headers.get('www-authenticate')}"
    )

    status, headers, _ = request("GET", "/stores", "Basic dXNlcjpwYXNz")
    assert status == 401 and headers.get("www-authenticate") == f'Bearer realm="{REALM}"', (
        f"{name}: other auth scheme must be treated as no token"
    )

    status, headers, body = request("GET", "/stores", f"Bearer {expired}")
    assert status == 401, f"{name}: expired token must be 401, got {status}"
    assert headers.get("www-authenticate") == (
        f'Bearer realm="{REALM}", error="invalid_token", error_description="token expired"'
    ), f"{name}: wrong challenge for expired token: {headers.get('www-authenticate')}"
    assert body == {"error": "invalid_token", "error_description": "token expired"}, (
        f"{name}: wrong JSON body: {body}"
    )
    assert headers.get("content-type", "").startswith("application/json"), f"{name}: not JSON"

    status, headers, body = request("GET", "/stores", f"Bearer {forged}")
    assert status == 401 and body["error"] == "invalid_token", f"{name}: forged token: {status}"

    status, headers, body = request("POST", "/stores", f"Bearer {good}")
    assert status == 403, f"{name}: missing scope must be 403, got {status}"
    assert headers.get("www-authenticate") == (
        f'Bearer realm="{REALM}", error="insufficient_scope", '
        f'error_description="token lacks required scope", scope="stores:write"'
    ), f"{name}: wrong insufficient_scope challenge: {headers.get('www-authenticate')}"
    assert body["error"] == "insufficient_scope", f"{name}: wrong 403 body {body}"

    for bad in ("Bearer", "Bearer ", "Bearer a b", "Bearer tok,en", "Bearer a=b"):
        status, headers, body = request("GET", "/stores", bad)
        assert status == 400, f"{name}: malformed header {bad!r} must be 400, got {status}"
        assert headers.get("www-authenticate") == (
            f'Bearer realm="{REALM}", error="invalid_request", '
            f'error_description="malformed Authorization header"'
        ), f"{name}: wrong invalid_request challenge for {bad!r}"
        assert body["error"] == "invalid_request", f"{name}: wrong 400 body {body}"
