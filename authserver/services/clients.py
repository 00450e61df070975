"""Client registration: validated metadata, generated credentials, secrets kept as digests.

Redirect URIs follow RFC 9700 §4.1: registered in full and later matched exactly, so
nothing that could act as a pattern (wildcards, fragments) is accepted at all.
"""

from __future__ import annotations

import hmac
import re
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from authserver.protocol import registry
from authserver.protocol.grants.common import USER_SCOPES
from authserver.protocol.tokens import digest
from authserver.services.errors import Conflict, InvalidInput
from authserver.services.keys import SUPPORTED_ALGS
from authserver.services.refresh_limits import (
    InheritedAbsolute,
    RefreshLimits,
    check_refresh_limits,
    inherited_absolute,
)
from authserver.services.uris import (
    DEFAULT_PORTS,
    NotAUri,
    canonical_uri,
    internal_host,
    port_of,
)
from authserver.storage.models import Client
from authserver.storage.repositories import AuditRepository, ClientRepository

GRANT_TYPES = registry.GRANT_TYPE_NAMES
AUTH_METHODS = registry.AUTH_METHODS
SECRET_METHODS = registry.SECRET_AUTH_METHODS
DEFAULT_SCOPES = ("openid", "profile", "email")
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._~-]{3,64}$")
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 §3.3 scope-token


@dataclass(frozen=True, slots=True)
class ClientSpec:
    name: str
    public: bool = False
    grant_types: Sequence[str] = ()
    redirect_uris: Sequence[str] = ()
    post_logout_redirect_uris: Sequence[str] = ()
    # None: DEFAULT_SCOPES for clients that sign users in; others must name theirs.
    scopes: Sequence[str] | None = None
    auth_method: str | None = None
    first_party: bool = False
    require_pkce: bool = True
    require_state: bool = True
    id_token_alg: str = "RS256"
    access_token_alg: str = "ES256"
    refresh_token_idle_ttl: int | None = None
    refresh_token_absolute_ttl: int | None = None
    jwks: dict[str, Any] | None = field(default=None)
    jwks_uri: str | None = None
    client_id: str | None = None
    web_origins: Sequence[str] = ()
    # None: "web" for confidential clients and browser apps (with web origins), "native"
    # for other public clients.
    application_type: str | None = None


@dataclass(frozen=True, slots=True)
class RegisteredClient:
    client: Client
    client_secret: str | None  # shown once, never stored


_ID_ALPHABET = string.ascii_letters + string.digits


def new_client_id() -> str:
    """24 letters and digits (~143 bits). Not token_urlsafe: an id starting with '-' would
    be read as an option by the CLI and by many operators' scripts."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


def secret_digest(secret: str) -> str:
    # Generated secrets carry 256 bits of entropy, so a fast hash suffices (and keeps the
    # token endpoint fast); a slow KDF only matters for human-chosen passwords.
    return digest(secret)


def secret_digest_matches(stored_digest: str | None, presented: str) -> bool:
    """Constant-time comparison of a presented secret against the stored digest."""
    if stored_digest is None or not presented or len(presented) > 512:
        return False
    return hmac.compare_digest(stored_digest, secret_digest(presented))


def validate_redirect_uri(uri: str, field_name: str = "redirect_uri", public: bool = False) -> str:
    def bad(problem: str) -> InvalidInput:
        return InvalidInput(field_name, f"{uri!r} {problem}")

    if len(uri) > 2000 or any(c.isspace() for c in uri):
        raise bad("is too long or contains white space")
    if not uri.isascii() or not uri.isprintable():
        raise bad("is not printable ASCII: percent-encode the path, write the host in "
                  "punycode (xn--...)")
    if "*" in uri:
        raise bad("contains a wildcard; redirect URIs are matched exactly")
    if "\\" in uri:
        raise bad("contains a backslash, which browsers read as '/'")
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise bad("is not a valid URI") from None
    if not parts.scheme:
        raise bad("is not an absolute URI")
    if "#" in uri:
        raise bad("must not contain a fragment (RFC 6749 §3.1.2)")
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise bad("has no host")
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            raise bad("must not contain user information")
        if scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            raise bad("must use https (http is only for loopback addresses)")
    elif scheme in ("javascript", "data", "vbscript", "file"):
        raise bad("uses a forbidden scheme")
    elif not public:
        raise bad("uses a private-use scheme, which only native (public) clients may")
    elif "." not in scheme:
        # RFC 8252 §7.1: private-use schemes are reverse domain names.
        raise bad("private-use schemes must be reverse domain names (com.example.app:/cb)")
    try:
        canonical = canonical_uri(uri, parts)
    except NotAUri as exc:
        raise bad(str(exc)) from None
    if canonical != uri:
        # Matching is byte for byte (RFC 9700 §4.1.3) and clients send the normalised
        # form, so this spelling could never match: name the one to register.
        raise bad(f"must be written {canonical!r}")
    return uri


def validate_jwks_uri(uri: str, allow_private: bool = False) -> str:
    """An https URL this server will fetch: refused when it names an internal host, so an
    operator's typo or a pasted test value cannot make the server call its own network.
    ``allow_private``: the JWKS_URI_ALLOW_PRIVATE development setting, which the fetch
    honours too (services/remote_jwks.py)."""
    def bad(problem: str) -> InvalidInput:
        return InvalidInput("jwks_uri", f"{uri!r} {problem}")

    if len(uri) > 2000 or not uri.isascii() or not uri.isprintable() or " " in uri:
        raise bad("is too long, contains white space or is not ASCII")
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise bad("is not a valid URL") from None
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidInput("jwks_uri", "must be an https URL")
    if parts.username is not None or "@" in parts.netloc or "#" in uri:
        raise bad("must not contain user information or a fragment")
    try:
        port_of(parts)
    except NotAUri as exc:
        raise bad(str(exc)) from None
    if not allow_private and (problem := internal_host(parts.hostname)):
        raise bad(f"must name a public host: {parts.hostname!r} {problem}")
    return uri


APPLICATION_TYPES = ("web", "native")


def validate_web_origin(origin: str) -> str:
    """An origin exactly as browsers send it in ``Origin`` (RFC 6454 §6.2): lower-case
    scheme and host, the port only when it is not the scheme's default, nothing else.

    CORS compares origins as strings, so a registered value in any other form would
    silently never match; it is refused with the form to register instead.
    """
    def bad(problem: str) -> InvalidInput:
        return InvalidInput("web_origin", f"{origin!r} {problem}")

    if len(origin) > 300 or any(c.isspace() for c in origin) or not origin.isascii():
        raise bad("is too long, contains white space or is not ASCII (use punycode)")
    parts = urlsplit(origin)
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise bad("is not an http(s) origin such as https://app.example")
    if parts.username is not None or "@" in parts.netloc or "*" in origin:
        raise bad("must be a plain origin: no user information, no wildcard")
    try:
        port = port_of(parts)
    except NotAUri as exc:
        raise bad(str(exc)) from None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        raise bad("must use https (http is only for loopback addresses)")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    canonical = f"{scheme}://{netloc}"
    if origin != canonical:
        extra = parts.path not in ("", "/") or parts.query or parts.fragment or "?" in origin
        raise bad(("is more than an origin, which is only scheme, host and port" if extra
                   else "is not an origin as browsers send it") + f": register {canonical!r}")
    return origin


def _choose_application_type(spec: ClientSpec, web_origins: Sequence[str]) -> str:
    chosen = spec.application_type or (
        "native" if spec.public and not web_origins else "web")
    if chosen not in APPLICATION_TYPES:
        raise InvalidInput("application_type", f"must be one of {', '.join(APPLICATION_TYPES)}")
    if chosen == "native" and web_origins:
        raise InvalidInput("web_origin", "web origins are for browser apps; a native "
                                         "application makes no cross-origin calls")
    return chosen


def validate_scopes(scopes: Sequence[str]) -> list[str]:
    result: list[str] = []
    for scope in scopes:
        if not _SCOPE_TOKEN.fullmatch(scope):
            raise InvalidInput("scope", f"{scope!r} is not a valid scope token")
        if scope not in result:
            result.append(scope)
    return result


def _choose_scopes(spec: ClientSpec, grants: Sequence[str]) -> list[str]:
    signs_users_in = "authorization_code" in grants
    if spec.scopes is None:
        if signs_users_in:
            return list(DEFAULT_SCOPES)
        # Like Okta's and Auth0's machine-to-machine apps: a client acting for itself gets
        # API scopes chosen for it, never a default that would mean "everything".
        raise InvalidInput("scope", "a client without authorization_code acts for itself, "
                           "not a user: name the API scopes it may request "
                           "(--scope 'stores:read')")
    scopes = validate_scopes(spec.scopes)
    if not scopes:
        raise InvalidInput("scope", "is empty: name at least one scope")
    user_scopes = [s for s in scopes if s in USER_SCOPES]
    if user_scopes and not signs_users_in:
        verb = "describes" if len(user_scopes) == 1 else "describe"
        raise InvalidInput("scope", f"{' '.join(user_scopes)} {verb} a user, and a client "
                           "without authorization_code never has one: remove them")
    return scopes


def _choose_auth_method(spec: ClientSpec) -> str:
    method = spec.auth_method or ("none" if spec.public else "client_secret_basic")
    if method not in AUTH_METHODS:
        raise InvalidInput("auth_method", f"must be one of {', '.join(AUTH_METHODS)}")
    if spec.public and method != "none":
        raise InvalidInput("auth_method", "public clients have no credentials: use none")
    if not spec.public and method == "none":
        raise InvalidInput("auth_method", "none is only for public clients (--public)")
    if spec.jwks is not None and spec.jwks_uri is not None:
        raise InvalidInput("jwks", "give jwks or jwks_uri, not both (RFC 7591 §2)")
    if method == "private_key_jwt" and not (spec.jwks or spec.jwks_uri):
        raise InvalidInput("auth_method", "private_key_jwt needs the client's jwks or jwks_uri")
    if method != "private_key_jwt" and (spec.jwks is not None or spec.jwks_uri is not None):
        name = "jwks" if spec.jwks is not None else "jwks_uri"
        raise InvalidInput(name, f"only private_key_jwt clients have a key set; this client "
                           f"authenticates with {method}")
    return method


def _choose_grant_types(spec: ClientSpec) -> list[str]:
    grants = list(dict.fromkeys(spec.grant_types)) or list(registry.DEFAULT_GRANT_TYPES)
    problem = registry.grant_types_problem(grants, public=spec.public,
                                           has_redirect_uri=bool(spec.redirect_uris))
    if problem:
        raise InvalidInput(*problem)
    return grants


def inherited_absolute_for(repo: ClientRepository,
                        global_limits: RefreshLimits | None) -> InheritedAbsolute:
    tenant = repo.owner()
    own = RefreshLimits(tenant.refresh_token_idle_ttl, tenant.refresh_token_absolute_ttl) \
        if tenant is not None else None
    return inherited_absolute(own, global_limits)


def validated_fields(spec: ClientSpec, inherited: InheritedAbsolute,
                     allow_private_jwks_uri: bool = False) -> dict[str, Any]:
    """Every rule of registration, for create and update alike: the Client columns that
    ``spec`` describes (not client_id, is_public or the secret), or InvalidInput."""
    name = spec.name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("name", "must be 1-200 characters")
    method = _choose_auth_method(spec)
    grants = _choose_grant_types(spec)
    for field_name, alg in (("id_token_alg", spec.id_token_alg),
                            ("access_token_alg", spec.access_token_alg)):
        if alg not in SUPPORTED_ALGS:
            raise InvalidInput(field_name, f"must be one of {', '.join(SUPPORTED_ALGS)}")
    check_refresh_limits(
        RefreshLimits(spec.refresh_token_idle_ttl, spec.refresh_token_absolute_ttl), inherited)
    if spec.jwks_uri is not None:
        validate_jwks_uri(spec.jwks_uri, allow_private_jwks_uri)
    web_origins = [validate_web_origin(o) for o in dict.fromkeys(spec.web_origins)]
    code_flow = "authorization_code" in grants
    return {
        "name": name, "token_endpoint_auth_method": method, "grant_types": grants,
        "redirect_uris": [validate_redirect_uri(u, "redirect_uri", spec.public)
                          for u in dict.fromkeys(spec.redirect_uris)],
        "post_logout_redirect_uris": [
            validate_redirect_uri(u, "post_logout_redirect_uri", spec.public)
            for u in dict.fromkeys(spec.post_logout_redirect_uris)],
        "allowed_scopes": _choose_scopes(spec, grants), "first_party": spec.first_party,
        # PKCE and state belong to authorization requests: stored False (and shown so)
        # for a client that never makes one. RFC 9700 §2.1.1: PKCE is mandatory for
        # public clients, whatever was asked.
        "require_pkce": code_flow and (spec.require_pkce or spec.public),
        "require_state": code_flow and spec.require_state,
        "id_token_signed_response_alg": spec.id_token_alg,
        "access_token_signed_response_alg": spec.access_token_alg,
        "jwks": spec.jwks, "jwks_uri": spec.jwks_uri,
        "refresh_token_idle_ttl": spec.refresh_token_idle_ttl,
        "refresh_token_absolute_ttl": spec.refresh_token_absolute_ttl,
        "web_origins": web_origins,
        "application_type": _choose_application_type(spec, web_origins),
    }


def register_client(repo: ClientRepository, audit: AuditRepository, spec: ClientSpec,
                    actor: str, *, global_limits: RefreshLimits | None = None,
                    allow_private_jwks_uri: bool = False) -> RegisteredClient:
    """Register a client. ``global_limits``: the REFRESH_TOKEN_* settings, and
    ``allow_private_jwks_uri`` the JWKS_URI_ALLOW_PRIVATE one, which the service cannot
    read itself (services do not import settings)."""
    client_id = spec.client_id if spec.client_id is not None else new_client_id()
    if not _CLIENT_ID.fullmatch(client_id):
        raise InvalidInput("client_id", "use 3-64 letters, digits, '.', '_', '~' or '-'")
    if repo.get(client_id) is not None:
        raise Conflict(f"client {client_id!r} already exists in this tenant")
    fields = validated_fields(spec, inherited_absolute_for(repo, global_limits),
                              allow_private_jwks_uri)
    method = fields["token_endpoint_auth_method"]
    secret = secrets.token_urlsafe(32) if method in SECRET_METHODS else None
    client = repo.add(Client(
        client_id=client_id, is_public=spec.public,
        secret_digest=secret_digest(secret) if secret else None, **fields))
    audit.record(actor, "client.created", client.client_id, name=fields["name"],
                 public=spec.public, grant_types=fields["grant_types"])
    return RegisteredClient(client=client, client_secret=secret)


def client_summary(client: Client) -> dict[str, Any]:
    """Everything about a client that is safe to print (no secret digest)."""
    return {
        "client_id": client.client_id,
        "name": client.name,
        "public": client.is_public,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "grant_types": list(client.grant_types),
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "scope": " ".join(client.allowed_scopes),
        "first_party": client.first_party,
        "require_pkce": client.require_pkce,
        "require_state": client.require_state,
        "id_token_signed_response_alg": client.id_token_signed_response_alg,
        "access_token_signed_response_alg": client.access_token_signed_response_alg,
        "refresh_token_idle_ttl": client.refresh_token_idle_ttl,
        "refresh_token_absolute_ttl": client.refresh_token_absolute_ttl,
        "web_origins": list(client.web_origins or ()),
        "application_type": client.application_type,
        "jwks_uri": client.jwks_uri,
        "jwks": client.jwks,
        "created_at": client.created_at.isoformat() if client.created_at else None,
    }
