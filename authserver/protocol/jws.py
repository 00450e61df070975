"""Compact JWS (RFC 7515) signing and strict verification with ``cryptography`` keys.

Signing is on the token endpoint's hot path, so it works on parsed key objects held by
the key ring and does one JSON + base64 pass; jwcrypto is kept for key generation and
JWK export (docs/architecture.md, "Hot path"). Verification is for inputs we receive
(client assertions, ``id_token_hint``): explicit algorithm allow-list, never ``none`` or
HMAC, the key chosen only from keys we hold (``jku``/``jwk``/``x5u`` ignored), unknown
``crit`` refused, header members of the wrong JSON type refused, base64url decoded
strictly (RFC 7515 §2), and size and nesting limits checked before and while parsing
(RFC 8725 §3.9, protocol/json_input.py).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from jwcrypto.jwk import JWK

from authserver.protocol import json_input

MAX_TOKEN_BYTES = 16 * 1024
SIGNING_ALGS = ("ES256", "RS256", "PS256", "EdDSA")

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


class JWSError(Exception):
    """The input is not a token we accept; the message is for logs, not clients."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding (RFC 7515 §2): only the URL-safe alphabet, and
    only the one canonical encoding of each byte string. Python's decoder alone would take
    ``+`` and ``/``, skip other junk, and ignore non-zero trailing bits, so one signature
    would have many spellings."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise JWSError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise JWSError("not base64url") from None
    if b64url(data) != text:
        raise JWSError("non-canonical base64url (trailing bits set)")
    return data


@lru_cache(maxsize=256)
def _encoded_header(alg: str, kid: str, typ: str | None) -> str:
    header: dict[str, str] = {"alg": alg, "kid": kid}
    if typ:
        header["typ"] = typ
    return b64url(orjson.dumps(header))


def sign(claims: Mapping[str, Any], key: PrivateKey, alg: str, kid: str,
         typ: str | None = None) -> str:
    """Serialize ``claims`` as a compact JWS signed by ``key``."""
    signing_input = f"{_encoded_header(alg, kid, typ)}.{b64url(orjson.dumps(claims))}"
    return f"{signing_input}.{b64url(_raw_sign(key, alg, signing_input.encode()))}"


def _raw_sign(key: PrivateKey, alg: str, data: bytes) -> bytes:
    if alg == "ES256" and isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if alg == "RS256" and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if alg == "PS256" and isinstance(key, rsa.RSAPrivateKey):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return key.sign(data, pss, hashes.SHA256())
    if alg == "EdDSA" and isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    raise JWSError(f"key does not fit {alg}")


def _verify_raw(key: PublicKey, alg: str, signature: bytes, data: bytes) -> bool:
    try:
        if alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
            if len(signature) != 64 or not isinstance(key.curve, ec.SECP256R1):
                return False
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                       int.from_bytes(signature[32:], "big"))
            key.verify(der, data, ec.ECDSA(hashes.SHA256()))
        elif alg == "RS256" and isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "PS256" and isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            key.verify(signature, data, pss, hashes.SHA256())
        elif alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            return False
    except InvalidSignature:
        return False
    return True


_PUBLIC_MEMBERS = ("kty", "crv", "x", "y", "n", "e", "kid", "alg", "use")


def public_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    """Import a public JWK; private members, if a client sent them, are ignored."""
    members = tuple((k, jwk[k]) for k in _PUBLIC_MEMBERS if isinstance(jwk.get(k), str))
    return _import_public(members)


@lru_cache(maxsize=512)
def _import_public(members: tuple[tuple[str, str], ...]) -> PublicKey:
    # Cached: userinfo, introspection and logout verify against the same few keys, and
    # jwcrypto's import costs far more than the signature check.
    try:
        public = JWK(**dict(members))
        key = public.get_op_key("verify")
    except Exception as exc:  # jwcrypto raises a variety of types for bad keys
        raise JWSError(f"unusable JWK: {type(exc).__name__}") from None
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey
                      | ed25519.Ed25519PublicKey):
        raise JWSError("unsupported key type")
    return key


def parse_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Split and decode a compact JWS: (header, claims, signing input, signature)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_BYTES:
        raise JWSError("token missing or too large")
    parts = token.split(".")
    if len(parts) != 3:
        raise JWSError("not a compact JWS")
    try:
        header = json_input.loads(b64url_decode(parts[0]), max_bytes=MAX_TOKEN_BYTES)
        claims = json_input.loads(b64url_decode(parts[1]), max_bytes=MAX_TOKEN_BYTES)
    except json_input.JSONInputError as exc:
        raise JWSError(f"header or payload: {exc}") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JWSError("header and payload must be JSON objects")
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), b64url_decode(parts[2])


def verify(token: str, jwks: Iterable[Mapping[str, Any]], algorithms: Iterable[str],
           expected_typ: str | None = None) -> dict[str, Any]:
    """Verify ``token`` against keys from ``jwks`` and return its claims (not yet validated)."""
    header, claims, signing_input, signature = parse_unverified(token)
    alg, kid, typ = _checked_header(header)
    if alg not in set(algorithms) or alg not in SIGNING_ALGS:
        raise JWSError(f"algorithm {alg[:20]!r} not allowed")
    if expected_typ is not None and (typ or "").lower() != expected_typ:
        raise JWSError("unexpected typ")
    candidates = [k for k in jwks if (kid is None or k.get("kid") == kid)
                  and k.get("use", "sig") == "sig" and k.get("alg", alg) == alg]
    for jwk in candidates:
        try:
            key = public_key_from_jwk(jwk)
        except JWSError:
            continue
        if _verify_raw(key, alg, signature, signing_input):
            return claims
    raise JWSError("signature does not verify with any known key")


def _checked_header(header: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """(alg, kid, typ), each a string as RFC 7515 §4.1 defines them. Anything else, a
    list or object above all, is refused here: compared or hashed later it would either
    raise or match in ways nobody meant."""
    alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ")
    if not isinstance(alg, str):
        raise JWSError("alg must be a string")
    if kid is not None and not isinstance(kid, str):
        raise JWSError("kid must be a string")
    if typ is not None and not isinstance(typ, str):
        raise JWSError("typ must be a string")
    if "crit" in header:
        # We understand no extension, so any crit (even a malformed one) is refused (§4.1.11).
        raise JWSError("unsupported critical header")
    return alg, kid, typ
