"""Shared test helpers: runtime-generated keys, a token minter and a real local HTTP server.

Named uniquely (not ``helpers``/``utils``) so it cannot clash with the
server's test modules when both trees are collected in one pytest run.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ISSUER_PATH = "/t/default"
AUDIENCE = "https://stores.example.test"
ALL_ALGS = ("ES256", "ES384", "RS256", "PS256", "EdDSA")


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(n: int, size: int | None = None) -> str:
    size = size or (n.bit_length() + 7) // 8
    return b64u(n.to_bytes(size, "big"))


@dataclass
class TestKey:
    """A private key plus its public JWK."""

    __test__ = False  # not a pytest test class

    kid: str
    alg: str
    private: Any

    @property
    def public(self) -> Any:
        return self.private.public_key()

    def jwk(self, **extra: Any) -> dict[str, Any]:
        pub = self.public
        if isinstance(pub, rsa.RSAPublicKey):
            nums = pub.public_numbers()
            jwk = {"kty": "RSA", "n": _int_b64(nums.n), "e": _int_b64(nums.e)}
        elif isinstance(pub, ec.EllipticCurvePublicKey):
            size = (pub.curve.key_size + 7) // 8
            crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[pub.curve.name]
            nums = pub.public_numbers()
            jwk = {
                "kty": "EC",
                "crv": crv,
                "x": _int_b64(nums.x, size),
                "y": _int_b64(nums.y, size),
            }
        else:
            raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
        jwk.update({"kid": self.kid, "use": "sig"})
        jwk.update(extra)
        return jwk


def sign(private: Any, alg: str, data: bytes) -> bytes:
    """Produce a JWS signature (raw r||s for ECDSA) with any key/alg combination."""
    hash_cls = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}.get(alg[-3:])
    if alg.startswith("ES"):
        der = private.sign(data, ec.ECDSA(hash_cls()))
        r, s = decode_dss_signature(der)
        size = (private.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    if alg.startswith("RS"):
        return private.sign(data, padding.PKCS1v15(), hash_cls())
    if alg.startswith("PS"):
        pss = padding.PSS(mgf=padding.MGF1(hash_cls()), salt_length=hash_cls.digest_size)
        return private.sign(data, pss, hash_cls())
    if alg == "EdDSA":
        return private.sign(data)
    raise ValueError(alg)


def default_claims(issuer: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": "user-123",
        "aud": AUDIENCE,
        "exp": now + 300,
        "iat": now,
        "jti": "jti-1",
        "client_id": "client-abc",
        "scope": "stores:read profile",
    }
    for name, value in overrides.items():
        if value is ...:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def encode_segments(header: dict[str, Any] | bytes, claims: dict[str, Any] | bytes) -> bytes:
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    p = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
    return f"{b64u(h)}.{b64u(p)}".encode("ascii")


def mint(
    key: TestKey,
    claims: dict[str, Any],
    *,
    alg: str | None = None,
    header: dict[str, Any] | None = None,
    kid: Any = ...,
    typ: Any = "at+jwt",
) -> str:
    """Build and sign a token. ``kid``/``typ`` = ``...``/None drop the member."""
    alg = alg or key.alg
    hdr: dict[str, Any] = {"alg": alg}
    if typ is not None:
        hdr["typ"] = typ
    if kid is ...:
        hdr["kid"] = key.kid
    elif kid is not None:
        hdr["kid"] = kid
    hdr.update(header or {})
    signing_input = encode_segments(hdr, claims)
    return signing_input.decode() + "." + b64u(sign(key.private, alg, signing_input))


def make_keys() -> dict[str, TestKey]:
    return {
        "ES256": TestKey("ec256", "ES256", ec.generate_private_key(ec.SECP256R1())),
        "ES384": TestKey("ec384", "ES384", ec.generate_private_key(ec.SECP384R1())),
        "RS256": TestKey("rsa2048", "RS256", rsa.generate_private_key(65537, 2048)),
        "PS256": TestKey("rsa2048-pss", "PS256", rsa.generate_private_key(65537, 2048)),
        "EdDSA": TestKey("ed25519", "EdDSA", ed25519.Ed25519PrivateKey.generate()),
    }


@dataclass
class ServerState:
    """Mutable behaviour and counters of the fake authorization server."""

    jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    jwks_status: int = 200
    cache_control: str | None = "public, max-age=300"
    openid_config_status: int = 200
    metadata_issuer: str | None = None  # None: the real issuer
    introspection_client: tuple[str, str] = ("stores-api", "s3cret:/+")
    introspection_responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    introspection_status: int = 200
    hits: dict[str, int] = field(default_factory=dict)
    bad_auth: int = 0
    gate: threading.Event | None = None  # when set, JWKS responses wait for it
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, path: str) -> int:
        with self.lock:
            return self.hits.get(path, 0)


class FakeAuthServer:
    """A real HTTP server on 127.0.0.1 serving discovery, JWKS and introspection."""

    def __init__(self) -> None:
        self.state = ServerState()
        state = self.state
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _hit(self) -> str:
                path = urllib.parse.urlsplit(self.path).path
                with state.lock:
                    state.hits[path] = state.hits.get(path, 0) + 1
                return path

            def do_GET(self) -> None:
                path = self._hit()
                if path == ISSUER_PATH + "/jwks":
                    if state.gate is not None:
                        state.gate.wait(10)
                    headers = {"Cache-Control": state.cache_control} if state.cache_control else {}
                    if state.jwks_status != 200:
                        self._send(state.jwks_status, {"error": "boom"})
                    else:
                        self._send(200, state.jwks, headers)
                elif path == ISSUER_PATH + "/.well-known/openid-configuration":
                    if state.openid_config_status != 200:
                        self._send(state.openid_config_status, {"error": "not_found"})
                    else:
                        self._send(200, outer.metadata())
                elif path in (
                    "/.well-known/oauth-authorization-server" + ISSUER_PATH,
                    ISSUER_PATH + "/.well-known/oauth-authorization-server",
                ):
                    self._send(200, outer.metadata())
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:
                path = self._hit()
                length = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                if path != ISSUER_PATH + "/introspect":
                    self._send(404, {"error": "not_found"})
                    return
                cid, secret = state.introspection_client
                expected = (
                    "Basic "
                    + base64.b64encode(
                        (
                            urllib.parse.quote(cid, safe="")
                            + ":"
                            + urllib.parse.quote(secret, safe="")
                        ).encode()
                    ).decode()
                )
                if self.headers.get("Authorization") != expected:
                    with state.lock:
                        state.bad_auth += 1
                    self._send(401, {"error": "invalid_client"})
                    return
                if state.introspection_status != 200:
                    self._send(state.introspection_status, {"error": "server_error"})
                    return
                token = form.get("token", [""])[0]
                self._send(200, state.introspection_responses.get(token, {"active": False}))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.issuer = self.base + ISSUER_PATH
        self.jwks_uri = self.issuer + "/jwks"
        self.introspection_endpoint = self.issuer + "/introspect"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.state.metadata_issuer or self.issuer,
            "jwks_uri": self.jwks_uri,
            "introspection_endpoint": self.introspection_endpoint,
        }

    def jwks_fetches(self) -> int:
        return self.state.count(ISSUER_PATH + "/jwks")

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeClock:
    """Monotonic clock the tests move by hand, so cache tests never sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
