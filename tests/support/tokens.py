"""Helpers for the token-side flow tests: endpoints, JWT checks against the published JWKS,
extra client registration, client assertions (RFC 7523) and direct database edits that
stand in for an administrator (disabling a user, ending a login session)."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from flask.testing import FlaskClient
from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from authserver.runtime import Runtime
from authserver.services.clients import ClientSpec, register_client
from authserver.services.sessions import SessionService
from authserver.storage.models import AuditEvent, LoginSession, Tenant, User
from authserver.storage.repositories import AuditRepository, ClientRepository, UserRepository
from authserver.web.security import session_cookie_name
from tests.support.oauth import (
    ISSUER,
    ISSUER_PATH,
    Pkce,
    World,
    authorize_params,
    basic,
    build_world,
    exchange,
    obtain_code,
)

TOKEN = f"{ISSUER_PATH}/token"
INTROSPECT = f"{ISSUER_PATH}/introspect"
REVOKE = f"{ISSUER_PATH}/revoke"
USERINFO = f"{ISSUER_PATH}/userinfo"
JWKS = f"{ISSUER_PATH}/jwks"
TOKEN_ENDPOINT = f"{ISSUER}/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


# --- responses ---------------------------------------------------------------------------


def describe(response: Any) -> str:
    return f"HTTP {response.status_code}: {response.get_data(as_text=True)[:300]}"


def expect_error(response: Any, status: int, error: str, what: str) -> dict[str, Any]:
    """Assert an RFC 6749 §5.2 error response; ``what`` says what was being checked."""
    body = response.get_json(silent=True) or {}
    assert response.status_code == status and body.get("error") == error, (
        f"{what}: expected {status} {error}, got {describe(response)}")
    assert response.headers.get("Cache-Control") == "no-store", (
        f"{what}: error responses from the token endpoints must carry Cache-Control: no-store")
    return body


def expect_tokens(response: Any, what: str) -> dict[str, Any]:
    assert response.status_code == 200, f"{what}: expected tokens, got {describe(response)}"
    assert response.headers.get("Cache-Control") == "no-store", (
        f"{what}: token responses must carry Cache-Control: no-store (RFC 6749 §5.1)")
    body: dict[str, Any] = response.get_json()
    assert body.get("token_type") == "Bearer" and body.get("access_token"), (
        f"{what}: not a Bearer token response: {body}")
    return body


# --- JWTs ------------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: Mapping[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    head, body, _sig = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (json.loads(base64.urlsafe_b64decode(pad(head))),
            json.loads(base64.urlsafe_b64decode(pad(body))))


def verify_jwt(http: FlaskClient, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify ``token`` with jwcrypto against the tenant's published JWKS, the way an
    outside resource server would; returns (header, claims)."""
    keys = http.get(JWKS).get_json()["keys"]
    header, _ = unverified_parts(token)
    matching = [k for k in keys if k["kid"] == header.get("kid")]
    assert len(matching) == 1, f"the token's kid {header.get('kid')!r} is not in the JWKS"
    assert header.get("alg") == matching[0]["alg"], "alg must match the published key"
    jws = JWS()
    jws.deserialize(token)
    jws.verify(JWK(**matching[0]), alg=header["alg"])
    return header, json.loads(jws.payload)


def at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return b64url(digest[:16])


# --- token endpoint calls --------------------------------------------------------------------


def client_credentials(http: FlaskClient, world: World, scope: str | None = None,
                       resources: Sequence[str] = (), client_id: str | None = None,
                       secret: str | None = None) -> Any:
    data: list[tuple[str, str]] = [("grant_type", "client_credentials")]
    if scope is not None:
        data.append(("scope", scope))
    data += [("resource", r) for r in resources]
    headers = basic(client_id or world.service_id,
                    secret if secret is not None else world.service_secret)
    return http.post(TOKEN, data=MultiDict(data), headers=headers)


def refresh(http: FlaskClient, refresh_token: str, client_id: str = "web",
            secret: str | None = None, **extra: str) -> Any:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    headers = basic(client_id, secret) if secret is not None else {}
    if secret is None:
        data["client_id"] = client_id
    return http.post(TOKEN, data=data, headers=headers)


def introspect(http: FlaskClient, token: str, client_id: str, secret: str, **extra: str) -> Any:
    return http.post(INTROSPECT, data={"token": token, **extra},
                     headers=basic(client_id, secret))


def revoke(http: FlaskClient, token: str, client_id: str, secret: str, **extra: str) -> Any:
    return http.post(REVOKE, data={"token": token, **extra}, headers=basic(client_id, secret))


def userinfo(http: FlaskClient, access_token: str) -> Any:
    return http.get(USERINFO, headers={"Authorization": f"Bearer {access_token}"})


def own_client(world: World, token: str) -> tuple[str, str]:
    """The credentials of the client ``token`` was issued to (web for refresh tokens):
    introspection describes a token only to it or its API (RFC 7662 §4)."""
    claims: dict[str, Any] = {}
    if token.count(".") == 2:
        try:
            claims = unverified_parts(token)[1]
        except ValueError:
            claims = {}
    secrets_of = {world.web_id: world.web_secret, world.service_id: world.service_secret}
    client_id = claims.get("client_id") or claims.get("azp")
    if client_id not in secrets_of:  # an ID token, a forged or mangled token: ask as web
        client_id = world.web_id
    return client_id, secrets_of[client_id]


def is_active(http: FlaskClient, world: World, token: str) -> bool:
    """Ask the introspection endpoint, as the client the token was issued to."""
    response = introspect(http, token, *own_client(world, token))
    assert response.status_code == 200, f"introspection failed: {describe(response)}"
    return bool(response.get_json()["active"])


@dataclass
class UserTokens:
    body: dict[str, Any]
    pkce: Pkce | None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def access_token(self) -> str:
        return str(self.body["access_token"])

    @property
    def refresh_token(self) -> str:
        return str(self.body["refresh_token"])

    @property
    def id_token(self) -> str:
        return str(self.body["id_token"])


def user_code(http: FlaskClient, world: World, client_id: str = "web", pkce: bool = True,
              **params: str) -> tuple[str, Pkce | None, dict[str, str]]:
    """Authorize as ann (signed in once per ``http`` client; later calls reuse the session
    and consent) and return (code, pkce, the authorization request's parameters)."""
    cookie = session_cookie_name("acme", world.runtime.settings.https)
    if http.get_cookie(cookie) is None:
        signed_in(http, world.runtime)
    verifier = Pkce() if pkce else None
    request = authorize_params(client_id, verifier, **params)
    query = obtain_code(http, request)
    assert "code" in query, f"the authorization request failed: {query}"
    return query["code"], verifier, request


def user_tokens(http: FlaskClient, world: World, client_id: str = "web",
                secret: str | None = None, **params: str) -> UserTokens:
    """Run the whole code flow for ann and exchange the code; the default client is web."""
    if client_id == "web" and secret is None:
        secret = world.web_secret
    code, verifier, request = user_code(http, world, client_id, **params)
    body = expect_tokens(exchange(http, code, verifier, client_id, secret,
                                  redirect_uri=request["redirect_uri"]), "code exchange")
    return UserTokens(body, verifier, request)


def signed_in(http: FlaskClient, runtime: Runtime, email: str = "ann@example.com") -> str:
    """Give ``http`` a live sign-in session for ``email`` the way the login page would
    (SessionService.start plus the session cookie), without paying for argon2 again.
    Returns the session's sid. The login form itself is tested with the pages."""
    tid = tenant_id(runtime)
    with runtime.database.session() as session:
        user = UserRepository(session, tid).by_email(email)
        assert user is not None, f"no user {email}"
        user_id = user.id
    service = SessionService(runtime.database, tid, runtime.settings.session_idle_ttl,
                             runtime.settings.session_absolute_ttl)
    token, sid = service.start(user_id, ["pwd"], "1", runtime.clock())
    http.set_cookie(session_cookie_name("acme", runtime.settings.https), token)
    return sid


# --- direct administration -------------------------------------------------------------------


def tenant_id(runtime: Runtime, slug: str = "acme") -> int:
    with runtime.database.session() as session:
        found = session.scalar(select(Tenant.id).where(Tenant.slug == slug))
        assert found is not None, f"tenant {slug} missing"
        return int(found)


def add_client(runtime: Runtime, spec: ClientSpec) -> str | None:
    """Register another client in tenant acme; returns its secret (None without one).
    Register before the first request that names it: the client cache keeps misses too."""
    tid = tenant_id(runtime)
    with runtime.database.session() as session:
        registered = register_client(ClientRepository(session, tid),
                                     AuditRepository(session, tid), spec, "test")
        return registered.client_secret


def set_user_disabled(runtime: Runtime, email: str, disabled: bool = True) -> None:
    with runtime.database.session() as session:
        session.execute(update(User).where(User.email == email).values(disabled=disabled))


def end_login_session(runtime: Runtime, sid: str) -> None:
    with runtime.database.session() as session:
        changed = session.execute(update(LoginSession).where(LoginSession.sid == sid)
                                  .values(ended_at=runtime.clock())).rowcount
        assert changed == 1, f"no login session {sid}"


def audit_events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.database.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- private_key_jwt -------------------------------------------------------------------------


class ClientKey:
    """A client's own key pair: its public JWKS to register, and assertions it signs."""

    def __init__(self, alg: str = "ES256") -> None:
        self.alg = alg
        self.kid = secrets.token_hex(8)
        if alg == "ES256":
            self.jwk = JWK.generate(kty="EC", crv="P-256", kid=self.kid)
        else:
            self.jwk = JWK.generate(kty="RSA", size=2048, kid=self.kid)

    @property
    def public_jwk(self) -> dict[str, Any]:
        public = dict(json.loads(self.jwk.export_public()))
        public.update(kid=self.kid, alg=self.alg, use="sig")
        return public

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}

    def public_pem(self) -> bytes:
        key = self.jwk.get_op_key("verify")
        return bytes(key.public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo))

    def sign_raw(self, header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
        """Sign exactly ``header`` (no checks at all), with ``cryptography`` directly."""
        signing_input = f"{b64url_json(header)}.{b64url_json(claims)}".encode()
        key = self.jwk.get_op_key("sign")
        if self.alg == "ES256":
            r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        else:
            signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode()}.{b64url(signature)}"

    def sign(self, claims: Mapping[str, Any], header: Mapping[str, Any] | None = None) -> str:
        protected = {"alg": self.alg, "kid": self.kid, "typ": "JWT", **(header or {})}
        jws = JWS(json.dumps(dict(claims)).encode())
        jws.add_signature(self.jwk, alg=self.alg, protected=json.dumps(protected))
        return str(jws.serialize(compact=True))


def assertion_claims(client_id: str, now: float | None = None, **overrides: Any
                     ) -> dict[str, Any]:
    """Valid RFC 7523 claims for ``client_id``; pass name=None to leave a claim out."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {"iss": client_id, "sub": client_id, "aud": ISSUER,
                              "jti": secrets.token_urlsafe(16), "iat": issued,
                              "exp": issued + 120}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def unsigned_jwt(claims: Mapping[str, Any]) -> str:
    return f"{b64url_json({'alg': 'none', 'typ': 'JWT'})}.{b64url_json(claims)}."


def hs256_jwt(claims: Mapping[str, Any], secret: bytes, kid: str | None = None) -> str:
    header: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def assertion_form(client_id: str | None, assertion: str, **extra: str) -> dict[str, str]:
    form = {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion, **extra}
    if client_id:
        form["client_id"] = client_id
    return form



@functools.cache
def jwt_client_key() -> ClientKey:
    """One ES256 key for the ``jwt`` client, made once per test session (RSA/EC key
    generation is the slow part of these fixtures)."""
    return ClientKey("ES256")


def build_world_with_jwt_client(runtime: Runtime) -> World:
    """The usual test world plus ``jwt``, a client-credentials client authenticating with
    private_key_jwt under :func:`jwt_client_key`."""
    world = build_world(runtime)
    add_client(runtime, ClientSpec(
        name="jwt", client_id="jwt", grant_types=("client_credentials",),
        scopes=("stores:read",), auth_method="private_key_jwt", jwks=jwt_client_key().jwks))
    return world
