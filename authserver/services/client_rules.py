"""The rules of client registration, one path for create and update alike.

:func:`validated_fields` turns a :class:`ClientSpec` into the columns of a client row,
or refuses it with InvalidInput naming the field and what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from authserver.protocol import registry
from authserver.protocol.grants.common import USER_SCOPES
from authserver.services.client_uris import (
    validate_backchannel_logout_uri,
    validate_jwks_uri,
    validate_redirect_uri,
    validate_web_origin,
)
from authserver.services.errors import InvalidInput
from authserver.services.keys import SUPPORTED_ALGS
from authserver.services.refresh_limits import (
    InheritedAbsolute,
    RefreshLimits,
    check_refresh_limits,
)

GRANT_TYPES = registry.GRANT_TYPE_NAMES
AUTH_METHODS = registry.AUTH_METHODS
SECRET_METHODS = registry.SECRET_AUTH_METHODS
DEFAULT_SCOPES = ("openid", "profile", "email")
APPLICATION_TYPES = ("web", "native")
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
    # OIDC Back-Channel Logout 1.0 §2.2: where logout tokens are POSTed (None: not told).
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool = False
    # The sign-up API tells this client the precise reason (email taken …), once it
    # authenticates with its secret (services/signup.explicit_errors).
    explicit_errors: bool = False


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


def _explicit_errors(spec: ClientSpec, method: str) -> bool:
    # The grant is honoured only for a caller that proves it with the client secret
    # (HTTP Basic): on any other client it would be a setting that silently never works.
    if spec.explicit_errors and (spec.public or method not in SECRET_METHODS):
        raise InvalidInput("explicit_errors", "only a confidential client with a client "
                           "secret can be granted explicit errors (it proves the grant "
                           "with its secret)")
    return spec.explicit_errors


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
        "backchannel_logout_uri": validate_backchannel_logout_uri(spec.backchannel_logout_uri)
        if spec.backchannel_logout_uri is not None else None,
        "backchannel_logout_session_required": spec.backchannel_logout_session_required,
        "explicit_errors": _explicit_errors(spec, method),
    }
