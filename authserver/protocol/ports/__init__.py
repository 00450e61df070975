"""What the protocol layer needs from the outside world, as small typed interfaces.

Storage implements them (authserver/storage/oauth.py); tests can fake them. Records
crossing this boundary are frozen dataclasses, never ORM rows, so protocol code cannot
lazy-load or mutate storage by accident.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from authserver.protocol.redirect_uris import redirect_uri_registered

Clock = Callable[[], dt.datetime]


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
    secret_checker: Callable[[str | None, str], bool] | None = field(
        default=None, compare=False, repr=False)

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
        return bool(client_secret) and self.secret_checker is not None and \
            self.secret_checker(self.secret_digest, client_secret)

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
class CodeRecord:
    """A redeemed authorization code, as the token endpoint needs it."""

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


class ClientThrottle(Protocol):
    """Counts failed client authentications (SECURITY.md, throttling).

    Never consulted before credentials are checked: a correct secret or assertion is
    always accepted, so nobody's failures can refuse the real client (docs/security.md).
    """

    def failed(self, client_id: str | None, source: str) -> None:
        """A failure by the confidential client ``client_id``, or (None) with a client_id
        that does not exist, from the address ``source``."""
        ...


class ClientDirectory(Protocol):
    def get(self, client_id: str) -> ClientRecord | None: ...


class SigningKeys(Protocol):
    def current(self, alg: str) -> tuple[str, Any]:
        """(kid, private key object) of the key that signs ``alg`` now; KeyError if none."""
        ...

    def signing_algs(self) -> Sequence[str]: ...

    def published(self) -> list[dict[str, Any]]:
        """Public JWKs currently in the JWKS (tokens signed by any of them still verify)."""
        ...


class UserDirectory(Protocol):
    def by_id(self, user_id: int) -> UserRecord | None: ...
    def by_sub(self, sub: str) -> UserRecord | None: ...


class AssertionReplayGuard(Protocol):
    def first_use(self, client_id: str, jti: str, expires_at: dt.datetime) -> bool: ...


class TokenStore(Protocol):
    """Codes, grants, refresh tokens and revocations: the stateful side of OAuth."""

    def redeem_code(self, code_digest: str, now: dt.datetime) -> tuple[CodeRecord | None, str]:
        """Burn the code atomically: (record, "ok"), (record-or-None, "used"/"unknown")."""
        ...

    def revoke_grant_of_code(self, code_digest: str, reason: str, now: dt.datetime) -> None: ...

    def persist_issuance(self, issuance: Issuance, now: dt.datetime) -> str:
        """Store a token response in one transaction: "ok"; "code_replayed" (stored, but
        the grant is revoked because a replay of its code was seen meanwhile); or
        "refresh_spent" (nothing stored: a concurrent request rotated the token first);
        or "user_disabled" (nothing stored: the user of a new grant was disabled or
        deleted after the code was checked)."""
        ...

    def find_refresh_token(self, digest: str, now: dt.datetime
                           ) -> tuple[GrantRecord | None, str]:
        """(grant, "ok"|"reused"|"expired"|"revoked"|"unknown"); writes nothing."""
        ...

    def refresh_token_expires_at(self, digest: str) -> dt.datetime | None:
        """When the refresh token stops working if unused (its idle limit)."""
        ...

    def revoke_grant(self, grant_id: str, reason: str, now: dt.datetime) -> None: ...

    def revoke_refresh_token(self, digest: str, client_id: str, now: dt.datetime) -> bool: ...

    def save_code(self, **values: Any) -> None: ...

    def access_token_grant_live(self, jti: str, now: dt.datetime) -> bool | None:
        """None if ``jti`` is not a user token; else whether its grant is still live."""
        ...

    def access_token_grant(self, jti: str, now: dt.datetime) -> GrantRecord | None: ...

    def revoke_access_token(self, jti: str, expires_at: dt.datetime) -> None: ...

    def is_access_token_revoked(self, jti: str) -> bool: ...

