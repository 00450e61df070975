"""The :class:`Verifier`: checks authserver JWT access tokens (RFC 9068)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn

from ._b64 import b64url_decode
from .claims import Claims, scopes_from_claims
from .errors import InsufficientScope, InvalidToken, VerificationUnavailable, VerifierError
from .introspection import Introspector
from .jwks import JWKSCache
from .keys import KeySet, validate_algorithms

__all__ = ["DEFAULT_LEEWAY", "DEFAULT_MAX_TOKEN_SIZE", "RFC9068_REQUIRED_CLAIMS", "Verifier"]

#: Clock-skew tolerance applied to ``exp``, ``nbf`` and ``iat``, in seconds.
#: 30 s absorbs ordinary NTP drift between hosts while keeping the window in
#: which an expired token still works short.
DEFAULT_LEEWAY = 30.0
#: Tokens longer than this are rejected before any decoding. authserver's
#: ES256 access tokens are well under 1 KiB; 8 KiB is also the common
#: header-size limit of HTTP servers.
DEFAULT_MAX_TOKEN_SIZE = 8192
#: Pass as ``required_claims`` to enforce every claim RFC 9068 §2.2 makes mandatory.
RFC9068_REQUIRED_CLAIMS = ("iss", "exp", "aud", "sub", "client_id", "iat", "jti")

_ACCEPTED_TYPES = frozenset({"at+jwt", "application/at+jwt"})
_HEADER_CACHE_SIZE = 256


def _reject_constant(name: str) -> NoReturn:
    # NaN/Infinity are not JSON (RFC 8259) and would make time comparisons lie.
    raise ValueError(f"non-standard JSON constant {name}")


# One decoder built up front: json.loads with any keyword argument constructs
# a fresh JSONDecoder per call, which costs more than the parse itself.
_PAYLOAD_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_raw_decode = _PAYLOAD_DECODER.raw_decode


def _parse_object(text: str) -> Any:
    # raw_decode skips decode()'s two whitespace regex scans; issuers emit
    # compact JSON, and anything else falls back to the full (strict) decode.
    try:
        value, end = _raw_decode(text)
        if end == len(text):
            return value
    except ValueError:
        pass
    return _PAYLOAD_DECODER.decode(text)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # RFC 7515 §5.2: a header with duplicate names must be rejected, otherwise
    # two parsers could disagree about which "alg" or "kid" applies.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate header parameter")
    return result


def _is_time(value: Any) -> bool:
    # bool is an int subclass; "exp": true must not mean 1970-01-01T00:00:01.
    return type(value) in (int, float) and math.isfinite(value)


class Verifier:
    """Verify access tokens issued by authserver (or any RFC 9068 issuer).

    Keys come from, in order of preference: a static ``jwks`` dict, a
    ``jwks_uri``, or OIDC/RFC 8414 discovery on ``issuer``. ``algorithms`` is a
    mandatory allow-list; ``none`` and ``HS*`` are refused at construction.

    Parameters (keyword-only):

    - ``issuer``: exact expected ``iss`` (also the discovery base URL).
    - ``audience``: this API's identifier; a string or several accepted ones.
    - ``algorithms``: e.g. ``("ES256",)``.
    - ``leeway``: clock-skew seconds for ``exp``/``nbf``/``iat`` (default 30).
    - ``required_claims``: extra claims that must be present, e.g.
      :data:`RFC9068_REQUIRED_CLAIMS`.
    - ``max_token_size``: bytes; longer tokens are rejected unparsed (8 KiB).
    - ``realm``: ``realm`` of ``WWW-Authenticate`` challenges (default: the
      audience, or ``"api"``).
    - ``introspection_endpoint``, ``introspection_client_id``,
      ``introspection_client_secret``: enable RFC 7662 for opaque tokens;
      ``introspection_cache_ttl`` (30 s) and ``introspection_negative_ttl`` (5 s).
    - ``cache_options``: passed to :class:`JWKSCache` (``min_ttl``, ``max_ttl``,
      ``refetch_interval``, ``stale_if_error``, ...), or give a ready
      ``jwks_cache``.
    - ``timeout``: network timeout in seconds; ``allow_http``: permit plain
      http to non-loopback hosts (never do this in production).

    Example::

        verifier = Verifier(
            issuer="https://auth.example.com/t/default",
            audience="https://stores.example.com",
            algorithms=("ES256",),
        )
        claims = verifier.verify(token, required_scopes=["stores:read"])
        print(claims.sub, sorted(claims.scopes))
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str | Iterable[str],
        algorithms: Iterable[str],
        jwks_uri: str | None = None,
        jwks: Mapping[str, Any] | None = None,
        leeway: float = DEFAULT_LEEWAY,
        required_claims: Iterable[str] = (),
        max_token_size: int = DEFAULT_MAX_TOKEN_SIZE,
        realm: str | None = None,
        introspection_endpoint: str | None = None,
        introspection_client_id: str | None = None,
        introspection_client_secret: str | None = None,
        introspection_cache_ttl: float = 30.0,
        introspection_negative_ttl: float = 5.0,
        cache_options: Mapping[str, Any] | None = None,
        jwks_cache: JWKSCache | None = None,
        timeout: float = 5.0,
        allow_http: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(issuer, str) or not issuer:
            raise ValueError("issuer must be a non-empty string")
        self.issuer = issuer
        audiences = (audience,) if isinstance(audience, str) else tuple(audience)
        if not audiences or not all(isinstance(a, str) and a for a in audiences):
            raise ValueError("audience must be a non-empty string or list of strings")
        self.audiences: frozenset[str] = frozenset(audiences)
        self.algorithms = validate_algorithms(algorithms)
        if leeway < 0:
            raise ValueError("leeway must be >= 0")
        self.leeway = float(leeway)
        self.required_claims: tuple[str, ...] = tuple(required_claims)
        self.max_token_size = int(max_token_size)
        self.realm = realm or (audiences[0] if len(audiences) == 1 else "api")
        self._clock = clock
        if jwks_cache is None:
            options = dict(cache_options or {})
            options.setdefault("timeout", timeout)
            options.setdefault("allow_http", allow_http)
            if jwks is not None:
                jwks_cache = JWKSCache(jwks=jwks, **options)
            elif jwks_uri is not None:
                jwks_cache = JWKSCache(jwks_uri, **options)
            else:
                jwks_cache = JWKSCache(issuer=issuer, **options)
        #: The key cache; call ``verifier.jwks.refresh()`` to warm it at start-up.
        self.jwks = jwks_cache
        self.introspector: Introspector | None = None
        if introspection_endpoint is not None:
            if introspection_client_id is None or introspection_client_secret is None:
                raise ValueError("introspection needs introspection_client_id and _client_secret")
            self.introspector = Introspector(
                introspection_endpoint,
                introspection_client_id,
                introspection_client_secret,
                cache_ttl=introspection_cache_ttl,
                negative_ttl=introspection_negative_ttl,
                timeout=timeout,
                allow_http=allow_http,
                clock=clock,
            )
        # Encoded header segment -> (alg, kid). Only filled after a signature
        # verified, so forged tokens cannot evict real entries; bounded anyway.
        self._headers: dict[bytes, tuple[str, str | None]] = {}

    def __repr__(self) -> str:
        return (
            f"Verifier(issuer={self.issuer!r}, audience={sorted(self.audiences)!r}, "
            f"algorithms={sorted(self.algorithms)!r})"
        )

    def _invalid(self, description: str) -> InvalidToken:
        return InvalidToken(description, realm=self.realm)

    # -- public ------------------------------------------------------------
    def verify(self, token: str | bytes, required_scopes: Iterable[str] = ()) -> Claims:
        """Verify ``token`` and return its :class:`Claims`.

        Raises :class:`InvalidToken` for anything wrong with the token (any
        input, however malformed, yields this and no other exception type),
        :class:`InsufficientScope` if a scope in ``required_scopes`` was not
        granted, and :class:`VerificationUnavailable` if keys or the
        introspection endpoint cannot be reached and nothing usable is cached.
        A single string in ``required_scopes`` is read as space-separated scopes.

        Example::

            try:
                claims = verifier.verify(token, required_scopes=["stores:read"])
            except (InvalidToken, InsufficientScope) as exc:
                return exc.status_code, exc.www_authenticate()
        """
        if isinstance(token, str):
            if len(token) > self.max_token_size:
                raise self._invalid("token too large")
            try:
                raw = token.encode("ascii")
            except UnicodeEncodeError:
                raise self._invalid("malformed token") from None
        elif isinstance(token, bytes | bytearray):
            if len(token) > self.max_token_size:
                raise self._invalid("token too large")
            raw = bytes(token)
        else:
            raise self._invalid("token must be a string")

        parts = raw.split(b".")
        if len(parts) != 3:
            if self.introspector is not None and raw and b" " not in raw:
                return self._verify_opaque(raw, required_scopes)
            raise self._invalid("malformed token")
        header_seg, payload_seg, sig_seg = parts

        cached = self._headers.get(header_seg)
        alg, kid = cached if cached is not None else self._parse_header(header_seg)

        try:
            keyset = self.jwks.get_keyset()
        except VerificationUnavailable as exc:
            exc.realm = self.realm
            raise
        entry = keyset.by_kid.get(kid) if kid is not None else keyset.find(None, alg)
        if entry is None:
            entry = self._key_after_refetch(kid, alg)
        check = entry.verifiers.get(alg)
        if check is None:
            raise self._invalid("algorithm does not match the signing key")
        try:
            signature = b64url_decode(sig_seg)
        except ValueError:
            raise self._invalid("malformed signature") from None
        if not check(signature, raw[: len(header_seg) + 1 + len(payload_seg)]):
            raise self._invalid("invalid signature")
        if cached is None and len(self._headers) < _HEADER_CACHE_SIZE:
            self._headers[header_seg] = (alg, kid)

        try:
            payload = _parse_object(b64url_decode(payload_seg).decode("utf-8"))
        except (ValueError, RecursionError):
            raise self._invalid("malformed payload") from None
        if type(payload) is not dict:
            raise self._invalid("malformed payload")
        return self._check_claims(payload, required_scopes, opaque=False)

    def check_scopes(self, claims: Claims, required_scopes: Iterable[str]) -> None:
        """Raise :class:`InsufficientScope` unless ``claims`` grant every scope given.

        Useful when one verification serves several scope checks.

        Example::

            claims = verifier.verify(token)
            verifier.check_scopes(claims, ["stores:write"])
        """
        if isinstance(required_scopes, str):
            required_scopes = required_scopes.split()
        required = tuple(required_scopes)
        granted = claims.scopes
        for scope in required:
            if scope not in granted:
                raise InsufficientScope(required, realm=self.realm)

    # -- internals ---------------------------------------------------------
    def _parse_header(self, segment: bytes) -> tuple[str, str | None]:
        try:
            header = json.loads(
                b64url_decode(segment).decode("utf-8"),
                object_pairs_hook=_no_duplicates,
                parse_constant=_reject_constant,
            )
        except (ValueError, RecursionError):
            raise self._invalid("malformed header") from None
        if type(header) is not dict:
            raise self._invalid("malformed header")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise self._invalid("algorithm not allowed")
        typ = header.get("typ")
        # RFC 9068 §4: rejecting other types stops ID tokens or other JWTs
        # signed by the same key from being replayed as access tokens.
        if not isinstance(typ, str) or typ.lower() not in _ACCEPTED_TYPES:
            raise self._invalid("token type is not at+jwt")
        if "crit" in header:
            # We implement no JWS extensions, so every critical one is unknown (RFC 7515 §4.1.11).
            raise self._invalid("unsupported critical header parameter")
        if "b64" in header:
            raise self._invalid("unencoded payloads are not supported")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise self._invalid("malformed key id")
        # jku, x5u, jwk and x5c are deliberately ignored: keys are chosen only
        # from our own trusted JWKS, never from anything the token supplies.
        return alg, kid

    def _key_after_refetch(self, kid: str | None, alg: str) -> Any:
        keyset: KeySet | None = self.jwks.refresh_for_unknown_kid()
        entry = None
        if keyset is not None:
            entry = keyset.by_kid.get(kid) if kid is not None else keyset.find(None, alg)
        if entry is None:
            raise self._invalid(
                "unknown signing key" if kid is not None else "no unique key for alg"
            )
        return entry

    def _check_claims(
        self, payload: dict[str, Any], required_scopes: Iterable[str], *, opaque: bool
    ) -> Claims:
        iss = payload.get("iss")
        # Introspection answers come from the trusted endpoint itself and may
        # omit iss (RFC 7662 makes it optional); a JWT must always name it.
        if iss != self.issuer and not (opaque and iss is None):
            raise self._invalid("invalid issuer")
        aud = payload.get("aud")
        if isinstance(aud, str):
            if aud not in self.audiences:
                raise self._invalid("invalid audience")
        elif isinstance(aud, list) and aud:
            if not all(isinstance(a, str) for a in aud):
                raise self._invalid("invalid audience")
            if self.audiences.isdisjoint(aud):
                raise self._invalid("invalid audience")
        else:
            raise self._invalid("missing audience")

        now = self._clock()
        leeway = self.leeway
        exp = payload.get("exp")
        if exp is None and opaque:
            pass  # the endpoint just said "active"; its cache entry is short-lived
        elif not _is_time(exp):
            raise self._invalid("missing or invalid exp")
        elif now >= exp + leeway:
            raise self._invalid("token expired")
        if "nbf" in payload:
            nbf = payload["nbf"]
            if not _is_time(nbf):
                raise self._invalid("invalid nbf")
            if nbf > now + leeway:
                raise self._invalid("token not yet valid")
        if "iat" in payload:
            iat = payload["iat"]
            if not _is_time(iat):
                raise self._invalid("invalid iat")
            if iat > now + leeway:
                raise self._invalid("token issued in the future")
        for name in self.required_claims:
            if name not in payload:
                raise self._invalid(f"missing required claim {name}")

        scopes = scopes_from_claims(payload)
        if required_scopes:
            if isinstance(required_scopes, str):
                required_scopes = required_scopes.split()
            required = tuple(required_scopes)
            for scope in required:
                if scope not in scopes:
                    raise InsufficientScope(required, realm=self.realm)
        return Claims._trusted(payload, scopes)

    def _verify_opaque(self, token: bytes, required_scopes: Iterable[str]) -> Claims:
        assert self.introspector is not None  # noqa: S101 - checked by the caller
        try:
            data = self.introspector.introspect(token)
        except VerifierError as exc:
            exc.realm = self.realm
            raise
        # Copy: the introspector's cached dict must not be shared with callers.
        return self._check_claims(dict(data), required_scopes, opaque=True)
