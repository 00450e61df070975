"""The demo relying party's half of OpenID Connect, as any application would do it.

Discovery, the authorization code flow with PKCE S256, state and nonce, the code exchange
with ``client_secret_basic``, ID token validation (OIDC Core §3.1.3.7: signature against
the JWKS, iss, aud, azp, exp, iat, nonce, at_hash), refresh (§12), userinfo (§5.3) and
revocation (RFC 7009). Every call goes over real HTTP to the issuer's published
endpoints; nothing here reads the server's database or keys.

The calls are synchronous requests from inside one of this server's own workers, so they
need a second free worker thread (``authserver serve`` runs 2 workers of 4 threads); the
timeout turns a server with a single thread into an error page instead of a hang.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from authserver.protocol import jws

TIMEOUT_SECONDS = 10
CLOCK_SKEW = 60
SCOPE = "openid profile email offline_access"


class RPError(Exception):
    """Why the demo RP cannot go on; shown on its page, so it never contains a token."""


class RPUnreachable(RPError):
    """An endpoint did not answer at all (a 502 for the demo RP's page)."""


@dataclass(frozen=True)
class RPConfig:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    post_logout_redirect_uri: str
    id_token_alg: str


@dataclass(frozen=True)
class Pending:
    """What the RP remembers between sending the browser away and its return."""

    state: str
    nonce: str
    verifier: str

    @classmethod
    def new(cls) -> Pending:
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(24),
                   secrets.token_urlsafe(48))

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _call(url: str, form: Mapping[str, str] | None = None, basic: RPConfig | None = None,
          bearer: str | None = None) -> Any:
    """One HTTP request; the JSON answer, or RPError naming the endpoint and the error."""
    if not url.startswith(("http://", "https://")):
        raise RPError(f"refusing to call {url!r}: not an http(s) URL")
    headers = {"Accept": "application/json"}
    data = urlencode(form).encode("ascii") if form is not None else None
    if data is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if basic is not None:
        # RFC 6749 §2.3.1: each part form-urlencoded before base64.
        pair = f"{quote(basic.client_id, safe='')}:{quote(basic.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (checked)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections
        reason = getattr(exc, "reason", exc)
        raise RPUnreachable(f"could not reach {url} ({reason}). The demo relying party calls this "
                      "server over HTTP at its PUBLIC_URL, which needs a free worker thread "
                      "(authserver serve --threads 2 or more).") from None
    try:
        # RFC 7009 §2.2: a successful revocation may answer with an empty body.
        answer = json.loads(body) if body else {}
    except ValueError:
        raise RPError(f"{url} answered {status} with a body that is not JSON") from None
    if status >= 400:
        error = answer.get("error", "") if isinstance(answer, dict) else ""
        detail = answer.get("error_description", "") if isinstance(answer, dict) else ""
        raise RPError(f"{url} answered {status} {error}: {detail}".rstrip(": "))
    return answer


def discover(issuer: str) -> dict[str, Any]:
    meta = _call(f"{issuer}/.well-known/openid-configuration")
    if not isinstance(meta, dict) or meta.get("issuer") != issuer:
        raise RPError("the discovery document does not name the expected issuer")
    return meta


def authorization_url(meta: Mapping[str, Any], config: RPConfig, pending: Pending) -> str:
    params = {"response_type": "code", "client_id": config.client_id,
              "redirect_uri": config.redirect_uri, "scope": SCOPE, "state": pending.state,
              "nonce": pending.nonce, "code_challenge": pending.challenge,
              "code_challenge_method": "S256", "prompt": "consent"}
    return f"{meta['authorization_endpoint']}?{urlencode(params)}"


def _token_response(answer: Any, *required: str) -> dict[str, Any]:
    if not isinstance(answer, dict) or not all(isinstance(answer.get(k), str)
                                               for k in required):
        raise RPError(f"the token response lacks {' or '.join(required)}")
    return answer


def exchange_code(meta: Mapping[str, Any], config: RPConfig, code: str,
                  pending: Pending) -> dict[str, Any]:
    return _token_response(_call(meta["token_endpoint"], basic=config, form={
        "grant_type": "authorization_code", "code": code, "redirect_uri": config.redirect_uri,
        "code_verifier": pending.verifier}), "access_token", "id_token")


def refresh(meta: Mapping[str, Any], config: RPConfig, refresh_token: str) -> dict[str, Any]:
    return _token_response(_call(meta["token_endpoint"], basic=config, form={
        "grant_type": "refresh_token", "refresh_token": refresh_token}), "access_token")


def userinfo(meta: Mapping[str, Any], access_token: str) -> dict[str, Any]:
    claims: dict[str, Any] = _call(meta["userinfo_endpoint"], bearer=access_token)
    return claims


def revoke(meta: Mapping[str, Any], config: RPConfig, token: str) -> None:
    _call(meta["revocation_endpoint"], basic=config,
          form={"token": token, "token_type_hint": "refresh_token"})


def end_session_url(meta: Mapping[str, Any], config: RPConfig, id_token: str,
                    state: str) -> str:
    params = {"id_token_hint": id_token, "client_id": config.client_id,
              "post_logout_redirect_uri": config.post_logout_redirect_uri, "state": state}
    return f"{meta['end_session_endpoint']}?{urlencode(params)}"


def _half_hash(value: str, alg: str) -> str:
    # OIDC Core §3.1.3.6: the left half of the hash the ID token's algorithm uses.
    hash_fn = hashlib.sha512 if alg == "EdDSA" else hashlib.sha256
    digest = hash_fn(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def validate_id_token(meta: Mapping[str, Any], config: RPConfig, id_token: str, *,
                      now: float, nonce: str | None, access_token: str | None,
                      sub: str | None = None) -> dict[str, Any]:
    """The ID token's claims once every OIDC Core §3.1.3.7 check passes (§12.2 on
    refresh: ``nonce`` None, ``sub`` the one signed in)."""
    keys = _call(meta["jwks_uri"]).get("keys", [])
    try:
        claims = jws.verify(id_token, keys, (config.id_token_alg,))
    except jws.JWSError as exc:
        raise RPError(f"the ID token was refused: {exc}") from None
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    problems = [
        ("iss", claims.get("iss") == config.issuer),
        ("aud", config.client_id in audiences),
        ("azp", claims.get("azp", config.client_id) == config.client_id),
        ("exp", isinstance(claims.get("exp"), int) and claims["exp"] > now - CLOCK_SKEW),
        ("iat", isinstance(claims.get("iat"), int) and claims["iat"] < now + CLOCK_SKEW),
        ("nonce", nonce is None or claims.get("nonce") == nonce),
        ("sub", isinstance(claims.get("sub"), str) and sub in (None, claims["sub"])),
        ("at_hash", access_token is None or "at_hash" not in claims
         or claims["at_hash"] == _half_hash(access_token, config.id_token_alg)),
    ]
    failed = [name for name, ok in problems if not ok]
    if failed:
        raise RPError(f"the ID token was refused: wrong or missing {', '.join(failed)}")
    return claims
