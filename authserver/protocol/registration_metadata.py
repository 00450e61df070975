"""Client metadata of a dynamic registration request (RFC 7591 §2, OIDC Registration 1.0
§2), parsed and checked without I/O.

:func:`parse_request_body` reads the JSON body, :func:`verify_software_statement` checks a
software statement (RFC 7591 §2.3) against the issuers a tenant trusts, and
:func:`parse_metadata` turns the (merged) metadata into a :class:`ClientMetadata` or
raises ``invalid_redirect_uri`` / ``invalid_client_metadata`` with the reason.

These are the rules particular to registration by unknown parties; the registration
rules every client follows (services/client_rules.py, client_uris.py) still run after
them, so nothing here is a second copy of those.

Redirect URIs (RFC 8252, RFC 9700 §4.1, :func:`redirect_uri_problem`): a ``web``
application registers https URIs only; a ``native`` one may also register http on a
loopback address (127.0.0.1, [::1], localhost; RFC 8252 §7.3), and, when it has no client
secret, a private-use scheme in reverse-domain form (``com.example.app:/cb``, RFC 8252
§7.1). Never a fragment, a wildcard or user information.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from authserver.protocol import json_input, jws
from authserver.protocol.errors import (
    InvalidClientMetadataError,
    InvalidRedirectUriError,
    InvalidSoftwareStatementError,
    UnapprovedSoftwareStatementError,
)
from authserver.protocol.numeric_date import to_datetime
from authserver.protocol.registry import AUTH_METHODS

MAX_BODY_BYTES = 64 * 1024
MAX_URIS = 20
MAX_CONTACTS = 20
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
APPLICATION_TYPES = ("web", "native")
# Registered by anyone, so only grants for signing people in: client_credentials would
# mean API access acting for itself, which an operator grants (authserver client create).
DCR_GRANT_TYPES = ("authorization_code", "refresh_token")
RESPONSE_TYPES = ("code",)
DEFAULT_SCOPES = ("openid", "profile", "email")
_FORBIDDEN_SCHEMES = ("javascript", "data", "vbscript", "file", "about", "blob")
# JWT claims of a software statement that describe the statement, not the client.
_STATEMENT_OWN_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "nbf", "jti")
_LEEWAY = dt.timedelta(seconds=30)

# The members the server reads and stores; anything else a client sends is ignored
# (RFC 7591 §2: "the authorization server MUST ignore any client metadata sent by the
# client that it does not understand").
URI_FIELDS = ("client_uri", "logo_uri", "policy_uri", "tos_uri")
TEXT_FIELDS = ("software_id", "software_version")


@dataclass(frozen=True, slots=True)
class ClientMetadata:
    """What a registration request asks for, with the defaults of RFC 7591 §2 and OIDC
    Registration §2 applied."""

    redirect_uris: tuple[str, ...]
    response_types: tuple[str, ...] = RESPONSE_TYPES
    grant_types: tuple[str, ...] = ("authorization_code",)
    application_type: str = "web"
    token_endpoint_auth_method: str = "client_secret_basic"
    client_name: str | None = None
    scope: tuple[str, ...] = DEFAULT_SCOPES
    contacts: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool = False
    id_token_signed_response_alg: str = "RS256"
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    uris: Mapping[str, str] = field(default_factory=dict)  # client_uri, logo_uri …
    texts: Mapping[str, str] = field(default_factory=dict)  # software_id, software_version
    software_statement: str | None = None

    @property
    def public(self) -> bool:
        return self.token_endpoint_auth_method == "none"

    def extras(self) -> dict[str, Any]:
        """The metadata a client row has no column for (kept with the registration)."""
        extras: dict[str, Any] = {**self.uris, **self.texts}
        if self.contacts:
            extras["contacts"] = list(self.contacts)
        if self.software_statement is not None:
            extras["software_statement"] = self.software_statement
        if self.client_name is not None:
            extras["client_name"] = self.client_name
        return extras


def parse_request_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a registration request (RFC 7591 §3.1), bounded in size and
    depth; anything else is ``invalid_client_metadata``."""
    try:
        value = json_input.loads(body, max_bytes=MAX_BODY_BYTES)
    except json_input.JSONInputError as exc:
        raise InvalidClientMetadataError(
            f"The request body must be a JSON object of at most {MAX_BODY_BYTES // 1024} KiB.",
            detail=str(exc)) from None
    if not isinstance(value, dict):
        raise InvalidClientMetadataError("The request body must be a JSON object.")
    return value


def verify_software_statement(statement: Any, trusted: Mapping[str, Mapping[str, Any]],
                              now: dt.datetime) -> dict[str, Any]:
    """The claims of ``statement``, a JWT signed by one of the ``trusted`` issuers (issuer
    → its JWKS). Unsigned, malformed, expired or not verifying:
    ``invalid_software_statement``; signed by an issuer not trusted here:
    ``unapproved_software_statement``."""
    if not isinstance(statement, str) or not statement:
        raise InvalidSoftwareStatementError("software_statement must be a signed JWT.")
    try:
        header, unverified, _, _ = jws.parse_unverified(statement)
    except jws.JWSError as exc:
        raise InvalidSoftwareStatementError("software_statement is not a signed JWT.",
                                            detail=str(exc)) from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in jws.SIGNING_ALGS:
        raise InvalidSoftwareStatementError(
            "software_statement must be signed with one of "
            f"{', '.join(jws.SIGNING_ALGS)} (unsigned and HMAC statements are refused).")
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise InvalidSoftwareStatementError("software_statement has no iss claim.")
    if issuer not in trusted:
        raise UnapprovedSoftwareStatementError(
            "The software statement's issuer is not trusted by this server.",
            detail=f"iss {issuer[:100]!r}")
    keys = trusted[issuer].get("keys", [])
    try:
        claims = jws.verify(statement, keys if isinstance(keys, list) else [], jws.SIGNING_ALGS)
    except jws.JWSError as exc:
        raise InvalidSoftwareStatementError(
            "The software statement's signature does not verify with its issuer's keys.",
            detail=str(exc)) from None
    _check_statement_times(claims, now)
    return claims


def _check_statement_times(claims: Mapping[str, Any], now: dt.datetime) -> None:
    if "exp" in claims:
        expires = to_datetime(claims["exp"])
        if expires is None or expires <= now - _LEEWAY:
            raise InvalidSoftwareStatementError("The software statement has expired.")
    for name in ("iat", "nbf"):
        if name in claims:
            when = to_datetime(claims[name])
            if when is None or when > now + _LEEWAY:
                raise InvalidSoftwareStatementError(
                    f"The software statement's {name} is not a date in the past.")


def merged_with_statement(body: Mapping[str, Any], claims: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7591 §3.1.1: the statement's metadata "MUST take precedence" over the same
    members in the JSON body."""
    merged = dict(body)
    merged.update({k: v for k, v in claims.items()
                   if k not in _STATEMENT_OWN_CLAIMS and k != "software_statement"})
    return merged


def redirect_uri_problem(uri: Any, application_type: str, public: bool) -> str | None:
    """Why ``uri`` may not be registered by a client of this kind, or None."""
    if not isinstance(uri, str) or not uri:
        return "must be a non-empty string"
    if "*" in uri:
        return "contains a wildcard; redirect URIs are matched exactly"
    if "#" in uri:
        return "must not contain a fragment (RFC 6749 §3.1.2)"
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        return "is not a valid URI"
    scheme = parts.scheme.lower()
    if not scheme or ":" not in uri:
        return "is not an absolute URI"
    if "@" in parts.netloc:
        return "must not contain user information"
    if scheme in ("http", "https"):
        return _http_problem(scheme, host, application_type)
    if scheme in _FORBIDDEN_SCHEMES:
        return f"uses the {scheme} scheme, which is never a redirect URI"
    if application_type != "native":
        return ("uses a private-use scheme, which only native applications may "
                "(application_type native)")
    if not public:
        return ("uses a private-use scheme, which only native apps without a client secret "
                "may (token_endpoint_auth_method none): any app can claim a scheme")
    if "." not in scheme:
        return ("private-use schemes must be a reverse domain name, such as "
                "com.example.app:/callback (RFC 8252 §7.1)")
    return None


def _http_problem(scheme: str, host: str | None, application_type: str) -> str | None:
    if not host:
        return "has no host"
    if scheme == "https":
        return None
    if application_type != "native":
        return ("must use https: web applications register https redirect URIs only "
                "(http is for native apps on a loopback address, RFC 8252 §7.3)")
    if host not in LOOPBACK_HOSTS:
        return "must use https (http is only for the loopback addresses 127.0.0.1, [::1] " \
               "and localhost)"
    return None


def _bad(description: str) -> InvalidClientMetadataError:
    return InvalidClientMetadataError(description)


def _string(metadata: Mapping[str, Any], name: str, limit: int = 200) -> str | None:
    value = metadata.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise _bad(f"{name} must be a non-empty string of at most {limit} characters.")
    if not value.isprintable():
        raise _bad(f"{name} must not contain control characters.")
    return value


def _string_list(metadata: Mapping[str, Any], name: str, limit: int) -> list[Any] | None:
    value = metadata.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > limit:
        raise _bad(f"{name} must be a JSON array of at most {limit} values.")
    if not all(isinstance(v, str) for v in value):
        raise _bad(f"{name} must contain strings only.")
    return value


def _boolean(metadata: Mapping[str, Any], name: str) -> bool:
    value = metadata.get(name, False)
    if not isinstance(value, bool):
        raise _bad(f"{name} must be true or false.")
    return value


def _web_uri(metadata: Mapping[str, Any], name: str) -> str | None:
    """client_uri, logo_uri, policy_uri, tos_uri: shown to people, so https only."""
    value = _string(metadata, name, 2000)
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
    if not value.isascii() or " " in value or parts.scheme != "https" or not host \
            or "@" in parts.netloc:
        raise _bad(f"{name} must be an https URL without user information.")
    return value


def _types(metadata: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """response_types and grant_types, and that they fit together (OIDC Registration
    §2: code needs authorization_code, and the reverse)."""
    responses = _string_list(metadata, "response_types", 5)
    grants = _string_list(metadata, "grant_types", 5)
    response_types = tuple(dict.fromkeys(responses if responses is not None else RESPONSE_TYPES))
    grant_types = tuple(dict.fromkeys(grants if grants is not None else ("authorization_code",)))
    for value in response_types:
        if value not in RESPONSE_TYPES:
            raise _bad("response_types: only code is supported (no implicit or hybrid flows).")
    for value in grant_types:
        if value not in DCR_GRANT_TYPES:
            raise _bad(f"grant_types: only {' and '.join(DCR_GRANT_TYPES)} can be registered "
                       "dynamically.")
    if ("code" in response_types) != ("authorization_code" in grant_types):
        raise _bad("response_types and grant_types do not fit: response type code goes "
                   "with grant type authorization_code, and the reverse.")
    if "refresh_token" in grant_types and "authorization_code" not in grant_types:
        raise _bad("grant_types: refresh_token needs authorization_code.")
    return response_types, grant_types


def _auth_method(metadata: Mapping[str, Any]) -> str:
    method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
    if not isinstance(method, str) or method not in AUTH_METHODS:
        raise _bad(f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}.")
    return method


def _key_set(metadata: Mapping[str, Any], method: str) -> tuple[dict[str, Any] | None,
                                                                str | None]:
    jwks, jwks_uri = metadata.get("jwks"), _string(metadata, "jwks_uri", 2000)
    if jwks is not None and jwks_uri is not None:
        raise _bad("Give jwks or jwks_uri, not both (RFC 7591 §2).")
    if method == "private_key_jwt" and jwks is None and jwks_uri is None:
        raise _bad("private_key_jwt needs the client's jwks or jwks_uri.")
    if method != "private_key_jwt" and (jwks is not None or jwks_uri is not None):
        raise _bad("jwks and jwks_uri are only for token_endpoint_auth_method "
                   "private_key_jwt.")
    if jwks is not None:
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list) or not keys or len(keys) > 10 \
                or not all(isinstance(k, dict) for k in keys):
            raise _bad("jwks must be a JWK Set (an object whose keys member lists 1-10 JWKs).")
        for key in keys:
            if any(member in key for member in ("d", "p", "q", "k")):
                raise _bad("jwks must hold public keys only: never send a private key.")
            try:
                jws.public_key_from_jwk(key)
            except jws.JWSError:
                raise _bad("jwks holds a key that is not a usable RSA, EC P-256 or "
                           "Ed25519 public key.") from None
    return jwks, jwks_uri


def _redirect_uris(metadata: Mapping[str, Any], name: str, application_type: str,
                   public: bool, required: bool) -> tuple[str, ...]:
    uris = _string_list(metadata, name, MAX_URIS)
    if not uris:
        if required:
            raise InvalidRedirectUriError(
                "redirect_uris is required: the authorization code flow needs at least one.")
        return ()
    for uri in uris:
        problem = redirect_uri_problem(uri, application_type, public)
        if problem is not None:
            shown = uri if len(uri) <= 100 else uri[:100] + "..."
            if name == "redirect_uris":
                raise InvalidRedirectUriError(f"{shown!r} {problem}.")
            raise _bad(f"{name}: {shown!r} {problem}.")
    return tuple(dict.fromkeys(uris))


def _scopes(metadata: Mapping[str, Any], allowed_scopes: Collection[str]) -> tuple[str, ...]:
    value = _string(metadata, "scope", 1000)
    if value is None:
        return DEFAULT_SCOPES
    scopes = tuple(dict.fromkeys(value.split()))
    refused = [s for s in scopes if s not in allowed_scopes]
    if refused:
        raise _bad(f"scope: {refused[0][:50]!r} cannot be registered dynamically; a "
                   f"client may register {', '.join(sorted(allowed_scopes))}.")
    return scopes


def parse_metadata(metadata: Mapping[str, Any], *, allowed_scopes: Collection[str],
                   signing_algs: Sequence[str] = jws.SIGNING_ALGS) -> ClientMetadata:
    """The registration ``metadata`` checked (RFC 7591 §2), or the error to answer."""
    application_type = metadata.get("application_type", "web")
    if application_type not in APPLICATION_TYPES:
        raise _bad("application_type must be web or native.")
    method = _auth_method(metadata)
    public = method == "none"
    response_types, grant_types = _types(metadata)
    jwks, jwks_uri = _key_set(metadata, method)
    if metadata.get("subject_type", "public") != "public":
        # OIDC Registration §2: only public subject identifiers are offered (discovery
        # says subject_types_supported ["public"]).
        raise _bad("subject_type: only public is supported.")
    alg = metadata.get("id_token_signed_response_alg", "RS256")
    if alg not in signing_algs:
        raise _bad(f"id_token_signed_response_alg must be one of {', '.join(signing_algs)}.")
    backchannel = _string(metadata, "backchannel_logout_uri", 2000)
    contacts = _string_list(metadata, "contacts", MAX_CONTACTS) or []
    if any(not c.strip() or len(c) > 320 or not c.isprintable() for c in contacts):
        raise _bad("contacts must be e-mail addresses of at most 320 characters.")
    return ClientMetadata(
        redirect_uris=_redirect_uris(metadata, "redirect_uris", application_type, public,
                                     required="authorization_code" in grant_types),
        response_types=response_types, grant_types=grant_types,
        application_type=application_type, token_endpoint_auth_method=method,
        client_name=_string(metadata, "client_name"),
        scope=_scopes(metadata, allowed_scopes), contacts=tuple(contacts),
        post_logout_redirect_uris=_redirect_uris(
            metadata, "post_logout_redirect_uris", application_type, public, required=False),
        backchannel_logout_uri=backchannel,
        backchannel_logout_session_required=_boolean(
            metadata, "backchannel_logout_session_required"),
        id_token_signed_response_alg=alg, jwks=jwks, jwks_uri=jwks_uri,
        uris={k: v for k in URI_FIELDS if (v := _web_uri(metadata, k)) is not None},
        texts={k: v for k in TEXT_FIELDS if (v := _string(metadata, k)) is not None},
        software_statement=metadata.get("software_statement")
        if isinstance(metadata.get("software_statement"), str) else None,
    )
