"""JWK parsing and per-algorithm signature checks built on ``cryptography``.

A JWK is parsed once into a :class:`KeyEntry` holding the ``cryptography``
public key object and one pre-bound verify function per algorithm the key may
be used with. Verification then costs one dict lookup plus the bare signature
check: no per-call key or padding object is allocated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ._b64 import b64url_decode

__all__ = [
    "SUPPORTED_ALGORITHMS",
    "KeyEntry",
    "KeySet",
    "parse_jwk",
    "parse_jwks",
    "validate_algorithms",
]

log = logging.getLogger("authserver_verifier")

#: Every algorithm this library can verify. HMAC (``HS*``) and ``none`` are
#: absent on purpose: keys come from a public JWKS, so a MAC "keyed" with
#: public material would be forgeable by anyone.
SUPPORTED_ALGORITHMS: frozenset[str] = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

MIN_RSA_BITS = 2048

VerifyFn = Callable[[bytes, bytes], bool]

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
# JOSE curve name -> (cryptography curve, coordinate/scalar size in bytes, alg)
_EC_CURVES: dict[str, tuple[ec.EllipticCurve, int, str]] = {
    "P-256": (ec.SECP256R1(), 32, "ES256"),
    "P-384": (ec.SECP384R1(), 48, "ES384"),
    "P-521": (ec.SECP521R1(), 66, "ES512"),
}


def validate_algorithms(algorithms: Iterable[str]) -> frozenset[str]:
    """Check an algorithm allow-list and return it as a frozenset.

    Raises ``ValueError`` for an empty list, ``none``, any HMAC algorithm or
    anything unsupported, so a misconfiguration fails at start-up rather than
    silently weakening verification.

    Example::

        >>> sorted(validate_algorithms(["ES256", "EdDSA"]))
        ['ES256', 'EdDSA']
    """
    if isinstance(algorithms, str):
        # A bare "ES256" would otherwise be iterated as {"E", "S", "2", ...}.
        algorithms = (algorithms,)
    algs = frozenset(algorithms)
    if not algs:
        raise ValueError("algorithms must list at least one algorithm, e.g. ('ES256',)")
    for alg in algs:
        if alg.lower() == "none":
            raise ValueError("the 'none' algorithm is never accepted")
        if alg.upper().startswith("HS"):
            raise ValueError(f"{alg}: HMAC algorithms are never accepted (JWKS keys are public)")
        if alg not in SUPPORTED_ALGORITHMS:
            raise ValueError(
                f"unsupported algorithm {alg!r}; supported: {sorted(SUPPORTED_ALGORITHMS)}"
            )
    return algs


def _ec_verifier(key: ec.EllipticCurvePublicKey, size: int, hash_cls: type) -> VerifyFn:
    scheme = ec.ECDSA(hash_cls())
    verify = key.verify
    expected_len = 2 * size

    def check(signature: bytes, data: bytes) -> bool:
        # JWS carries ECDSA signatures as fixed-width r||s (RFC 7518 §3.4), not
        # DER. Any other length is malformed; checking it here also stops
        # DER-encoded or truncated signatures from being "helpfully" accepted.
        if len(signature) != expected_len:
            return False
        der = encode_dss_signature(
            int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        )
        try:
            verify(der, data, scheme)
        except InvalidSignature:
            return False
        return True

    return check


def _rsa_verifier(
    key: rsa.RSAPublicKey, pad: padding.AsymmetricPadding, hash_cls: type
) -> VerifyFn:
    hash_obj = hash_cls()
    verify = key.verify
    expected_len = (key.key_size + 7) // 8

    def check(signature: bytes, data: bytes) -> bool:
        if len(signature) != expected_len:
            return False
        try:
            verify(signature, data, pad, hash_obj)
        except InvalidSignature:
            return False
        return True

    return check


def _ed25519_verifier(key: Ed25519PublicKey) -> VerifyFn:
    verify = key.verify

    def check(signature: bytes, data: bytes) -> bool:
        if len(signature) != 64:
            return False
        try:
            verify(signature, data)
        except InvalidSignature:
            return False
        return True

    return check


def _b64_int(jwk: Mapping[str, Any], name: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"missing or non-string {name!r}")
    return int.from_bytes(b64url_decode(value.encode("ascii")), "big")


def _b64_fixed(jwk: Mapping[str, Any], name: str, size: int) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise ValueError(f"missing or non-string {name!r}")
    raw = b64url_decode(value.encode("ascii"))
    if len(raw) != size:
        raise ValueError(f"{name!r} must be {size} bytes, got {len(raw)}")
    return raw


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """One usable verification key from a JWKS.

    ``verifiers`` maps each algorithm this key may verify to a pre-bound
    function ``(signature, signing_input) -> bool``.

    Example::

        entry = parse_jwk({"kty": "OKP", "crv": "Ed25519", "x": "...", "kid": "k1"})
        entry.verifiers["EdDSA"](signature, b"header.payload")
    """

    kid: str | None
    kty: str
    public_key: Any
    verifiers: Mapping[str, VerifyFn] = field(repr=False)
    fingerprint: str = field(default="", repr=False)


def parse_jwk(jwk: Mapping[str, Any]) -> KeyEntry:
    """Parse one public JWK into a :class:`KeyEntry`.

    Raises ``ValueError`` for unsupported or unsafe keys: ``oct`` (symmetric),
    RSA below 2048 bits, unknown curves, off-curve points, keys whose ``use``
    is not ``sig`` or whose ``key_ops`` lacks ``verify``. A JWK ``alg`` member
    narrows the key to that one algorithm, as RFC 7517 §4.4 intends.

    Example::

        >>> from cryptography.hazmat.primitives.asymmetric import ed25519
        >>> from authserver_verifier._b64 import b64url_encode
        >>> from cryptography.hazmat.primitives import serialization as s
        >>> raw = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        ...     s.Encoding.Raw, s.PublicFormat.Raw)
        >>> entry = parse_jwk({"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw).decode()})
        >>> sorted(entry.verifiers)
        ['EdDSA']
    """
    if not isinstance(jwk, Mapping):
        raise ValueError("JWK must be a JSON object")
    kty = jwk.get("kty")
    kid = jwk.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise ValueError("'kid' must be a string")
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise ValueError(f"key use {use!r} is not 'sig'")
    key_ops = jwk.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        raise ValueError("key_ops does not allow 'verify'")

    verifiers: dict[str, VerifyFn] = {}
    public_key: Any
    if kty == "RSA":
        public_key = rsa.RSAPublicNumbers(_b64_int(jwk, "e"), _b64_int(jwk, "n")).public_key()
        if public_key.key_size < MIN_RSA_BITS:
            raise ValueError(f"RSA key of {public_key.key_size} bits is below {MIN_RSA_BITS}")
        for bits, hash_cls in _HASHES.items():
            verifiers["RS" + bits] = _rsa_verifier(public_key, padding.PKCS1v15(), hash_cls)
            # RFC 7518 §3.5: PSS salt length equals the hash output length.
            pss = padding.PSS(mgf=padding.MGF1(hash_cls()), salt_length=hash_cls.digest_size)
            verifiers["PS" + bits] = _rsa_verifier(public_key, pss, hash_cls)
    elif kty == "EC":
        crv = jwk.get("crv")
        if crv not in _EC_CURVES:
            raise ValueError(f"unsupported EC curve {crv!r}")
        curve, size, alg = _EC_CURVES[crv]
        x = int.from_bytes(_b64_fixed(jwk, "x", size), "big")
        y = int.from_bytes(_b64_fixed(jwk, "y", size), "big")
        # public_key() rejects points that are not on the curve (invalid-curve attacks).
        public_key = ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
        verifiers[alg] = _ec_verifier(public_key, size, _HASHES[alg[2:]])
    elif kty == "OKP":
        crv = jwk.get("crv")
        if crv != "Ed25519":
            raise ValueError(f"unsupported OKP curve {crv!r}")
        public_key = Ed25519PublicKey.from_public_bytes(_b64_fixed(jwk, "x", 32))
        verifiers["EdDSA"] = _ed25519_verifier(public_key)
    elif kty == "oct":
        raise ValueError("symmetric (oct) keys are never used")
    else:
        raise ValueError(f"unsupported key type {kty!r}")

    jwk_alg = jwk.get("alg")
    if jwk_alg is not None:
        if jwk_alg not in verifiers:
            raise ValueError(f"JWK alg {jwk_alg!r} does not fit key type {kty}")
        verifiers = {jwk_alg: verifiers[jwk_alg]}
    return KeyEntry(
        kid=kid, kty=kty, public_key=public_key, verifiers=verifiers, fingerprint=_fingerprint(jwk)
    )


class KeySet:
    """An immutable set of parsed keys, indexed by ``kid``.

    Example::

        ks = parse_jwks({"keys": [...]})
        entry = ks.find("key-1", "ES256")
    """

    __slots__ = ("by_kid", "entries")

    def __init__(self, entries: Iterable[KeyEntry]) -> None:
        self.entries: tuple[KeyEntry, ...] = tuple(entries)
        by_kid: dict[str, KeyEntry] = {}
        for entry in self.entries:
            # First one wins on duplicate kids so a later key cannot shadow it.
            if entry.kid is not None and entry.kid not in by_kid:
                by_kid[entry.kid] = entry
        self.by_kid = by_kid

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, kid: str | None, alg: str) -> KeyEntry | None:
        """Return the key for ``kid``, or for a kid-less token the only key usable with ``alg``.

        Example::

            >>> KeySet([]).find("missing", "ES256") is None
            True
        """
        if kid is not None:
            return self.by_kid.get(kid)
        candidates = [e for e in self.entries if alg in e.verifiers]
        # Guessing between several keys would let the token pick; refuse instead.
        return candidates[0] if len(candidates) == 1 else None


def parse_jwks(document: Any, previous: KeySet | None = None, max_keys: int = 100) -> KeySet:
    """Parse a JWKS document (``{"keys": [...]}``) into a :class:`KeySet`.

    Unusable keys are skipped with a log message rather than failing the whole
    set, so that one exotic key next to the real one does not lock everybody
    out. Keys identical to one in ``previous`` reuse its parsed object.

    Example::

        >>> len(parse_jwks({"keys": []}))
        0
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("JWKS must be a JSON object with a 'keys' array")
    raw_keys = document["keys"][:max_keys]
    reuse: dict[str, KeyEntry] = {}
    if previous is not None:
        reuse = {entry.fingerprint: entry for entry in previous.entries}
    entries: list[KeyEntry] = []
    for jwk in raw_keys:
        try:
            cached = reuse.get(_fingerprint(jwk)) if isinstance(jwk, Mapping) else None
            entries.append(cached if cached is not None else parse_jwk(jwk))
        except (ValueError, TypeError, UnicodeError) as exc:
            kid = jwk.get("kid") if isinstance(jwk, Mapping) else None
            log.warning("ignoring unusable JWK kid=%r: %s", kid, exc)
    return KeySet(entries)


def _fingerprint(jwk: Mapping[str, Any]) -> str:
    # Every member that influences parse_jwk's result; equal fingerprints mean
    # the previously parsed key object can be reused after a refresh.
    names = ("kid", "kty", "crv", "n", "e", "x", "y", "alg", "use", "key_ops")
    return "|".join(repr(jwk.get(k)) for k in names)
