"""Records crossing the protocol/storage boundary: frozen dataclasses, never ORM rows,
so protocol code cannot lazy-load or mutate storage by accident."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from authserver.protocol.claim_mapping import NO_MAPPING, ClaimMapping
from authserver.protocol.redirect_uris import redirect_uri_registered


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """A registered client, with the checks Authlib's ``ClientMixin`` expects."""

    client_id: str
    name: str
    is_public: bool
    # repr=False: Authlib logs clients with %r at DEBUG; digests stay out of logs too.
    secret_digest: str | None = field(repr=False)
    token_endpoint_auth_method: str = field()
    grant_types: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    allowed_scopes: tuple[str, ...]
    first_party: bool
    require_pkce: bool
    require_state: bool
    id_token_signed_response_alg: str
    access_token_signed_response_alg: str = "ES256"
    jwks: Mapping[str, Any] | None = None
    refresh_token_idle_ttl: int | None = None
    refresh_token_absolute_ttl: int | None = None
    web_origins: tuple[str, ...] = ()
    application_type: str = "web"
    # Which of the user's roles and attributes its tokens carry (protocol/claim_mapping.py).
    claim_mapping: ClaimMapping = NO_MAPPING
    # The APIs this client may get tokens for, and the scopes of each (identifier →
    # scopes): its direct grants and its active access groups, merged when it is cached.
    api_permissions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    secret_checker: Callable[[str | None, str], bool] | None = field(
        default=None, compare=False, repr=False)
    # The secret a rotation replaced, while its overlap lasts. The client directory drops
    # it (and ``secret_digest`` once the secret expires) at the instant it ends, so the
    # record holds only digests that authenticate now.
    previous_secret_digest: str | None = field(default=None, repr=False)

    # --- authlib.oauth2.rfc6749.ClientMixin
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # OIDC requires redirect_uri on every request; never guess one.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        return " ".join(s for s in scope.split() if s in self.allowed_scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri_registered(redirect_uri, self.redirect_uris,
                                       any_loopback_port=self.application_type == "native")

    def check_client_secret(self, client_secret: str) -> bool:
        # An empty secret never authenticates, whatever a checker would say of it.
        if not client_secret or self.secret_checker is None:
            return False
        # Both compared whether or not the first matches: which secret is in use stays
        # out of the response time.
        current = self.secret_checker(self.secret_digest, client_secret)
        previous = self.previous_secret_digest is not None and \
            self.secret_checker(self.previous_secret_digest, client_secret)
        return current or previous

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "token":
            return method == self.token_endpoint_auth_method
        # Introspection and revocation: same credentials as at the token endpoint.
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


@dataclass(frozen=True, slots=True)
class ApiRecord:
    """An API (resource server) of the tenant: the ``aud`` of its tokens, matched against
    the RFC 8707 ``resource`` parameter, and what it overrides in the tokens for it."""

    identifier: str
    name: str
    scopes: frozenset[str]
    # None: the tenant's (or the server's) access-token lifetime / the client's algorithm.
    access_token_ttl: int | None = None
    access_token_alg: str | None = None
    # The clients that act as this API's resource server: they may introspect its tokens.
    introspection_clients: frozenset[str] = frozenset()
    builtin: bool = False
    # Every client may name it without a grant: the tenant's issuer (authserver itself,
    # for userinfo beside an API), which carries only the user scopes.
    open_to_all: bool = False


@dataclass(frozen=True, slots=True)
class CodeRecord:
    """An authorization code: stored when minted, returned when redeemed."""

    client_id: str
    user_id: int
    sid: str | None
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    resources: tuple[str, ...]
    claims: Mapping[str, Any] | None
    auth_time: dt.datetime
    acr: str
    amr: tuple[str, ...]
    expires_at: dt.datetime
    code_digest: str

    # --- authlib AuthorizationCodeMixin
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.auth_time.timestamp())


@dataclass(frozen=True, slots=True)
class GrantRecord:
    grant_id: str
    client_id: str
    user_id: int
    sid: str | None
    scope: str
    resources: tuple[str, ...]
    claims: Mapping[str, Any] | None
    auth_time: dt.datetime
    acr: str
    amr: tuple[str, ...]
    offline: bool
    absolute_expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    sub: str
    email: str
    email_verified: bool
    username: str | None
    given_name: str | None
    family_name: str | None
    disabled: bool
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Issuance:
    """Everything one token response stores, written in a single transaction.

    ``code_digest`` links a new grant to the code it came from; ``spent_refresh_digest``
    is the refresh token being rotated, which must still be unused when this commits.
    """

    grant: GrantRecord
    new_grant: bool
    access_jti: str
    access_expires_at: dt.datetime
    refresh_digest: str | None
    refresh_expires_at: dt.datetime | None
    code_digest: str | None = None
    spent_refresh_digest: str | None = None
