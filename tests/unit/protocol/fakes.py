"""In-memory fakes of the protocol ports (authserver/protocol/ports), for table tests.

Each fake keeps the rules its port promises and nothing more: a code is burned once, a
refresh token is spent once, a grant dies with its user or its sign-in session, a
``jti`` is seen once. They hold plain dicts, so a test can look at what was stored.
None of them opens a database or a Flask app.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hmac
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwcrypto.jwk import JWK

from authserver.protocol.context import TenantContext
from authserver.protocol.jws import PrivateKey
from authserver.protocol.ports import (
    ApiRecord,
    ClientRecord,
    CodeRecord,
    CodeStatus,
    GrantRecord,
    Issuance,
    IssuanceOutcome,
    RefreshStatus,
    UserRecord,
)
from authserver.protocol.server import FormRequest, TokenServer
from authserver.protocol.tokens import Lifetimes, digest

ISSUER = "https://as.example/t/acme"
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


class FixedClock:
    """Stands still until a test moves it (the ``Clock`` port)."""

    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def check_secret(stored_digest: str | None, presented: str) -> bool:
    """The ``secret_checker`` of a client: the SHA-256 digest, compared in constant time."""
    return stored_digest is not None and hmac.compare_digest(stored_digest, digest(presented))


def client(client_id: str = "app", **changes: Any) -> ClientRecord:
    """A confidential web client using every grant; ``changes`` override any field."""
    values: dict[str, Any] = {
        "client_id": client_id, "name": client_id.title(), "is_public": False,
        "secret_digest": digest(f"{client_id}-secret"),
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ("authorization_code", "refresh_token", "client_credentials"),
        "redirect_uris": ("https://app.example/cb",), "post_logout_redirect_uris": (),
        "allowed_scopes": ("openid", "profile", "email", "offline_access", "stores:read"),
        "first_party": False, "require_pkce": True, "require_state": False,
        "id_token_signed_response_alg": "RS256", "secret_checker": check_secret,
    }
    values.update(changes)
    return ClientRecord(**values)


class FakeApis:
    """The ApiDirectory port over a fixed list of APIs."""

    def __init__(self, apis: Iterable[ApiRecord] = ()) -> None:
        self.apis = {a.identifier: a for a in apis}

    def get(self, identifier: str) -> ApiRecord | None:
        return self.apis.get(identifier)

    def scopes(self) -> frozenset[str]:
        return frozenset(s for a in self.apis.values() for s in a.scopes)


def api(identifier: str, *scopes: str, **changes: Any) -> ApiRecord:
    return ApiRecord(identifier=identifier, name=identifier, scopes=frozenset(scopes),
                     **changes)


def public_client(client_id: str = "spa", **changes: Any) -> ClientRecord:
    return client(client_id, **{"is_public": True, "secret_digest": None,
                                "token_endpoint_auth_method": "none",
                                "grant_types": ("authorization_code", "refresh_token"),
                                **changes})


def user(user_id: int = 1, **changes: Any) -> UserRecord:
    values: dict[str, Any] = {
        "id": user_id, "sub": f"sub-{user_id}", "email": f"user{user_id}@example.com",
        "email_verified": True, "username": f"user{user_id}", "given_name": "Ada",
        "family_name": "Lovelace", "disabled": False, "updated_at": START,
    }
    values.update(changes)
    return UserRecord(**values)


class FakeClientDirectory:
    """``ClientDirectory``: the clients a test registered, by client_id."""

    def __init__(self, clients: Iterable[ClientRecord] = ()) -> None:
        self.clients = {c.client_id: c for c in clients}

    def get(self, client_id: str) -> ClientRecord | None:
        return self.clients.get(client_id)

    def add(self, record: ClientRecord) -> ClientRecord:
        self.clients[record.client_id] = record
        return record


class FakeUserDirectory:
    """``UserDirectory``: users by id and by ``sub``; ``disable`` mimics ``user disable``."""

    def __init__(self, users: Iterable[UserRecord] = ()) -> None:
        self.users = {u.id: u for u in users}

    def by_id(self, user_id: int) -> UserRecord | None:
        return self.users.get(user_id)

    def by_sub(self, sub: str) -> UserRecord | None:
        return next((u for u in self.users.values() if u.sub == sub), None)

    def disable(self, user_id: int) -> None:
        self.users[user_id] = dataclasses.replace(self.users[user_id], disabled=True)


@cache
def _private_key(alg: str) -> PrivateKey:
    # Cached per process: RSA generation is the slowest thing these tests would do.
    if alg == "RS256" or alg == "PS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: PrivateKey, kid: str, alg: str) -> dict[str, Any]:
    jwk: dict[str, Any] = JWK.from_pyca(key.public_key()).export_public(as_dict=True)
    return {**jwk, "kid": kid, "alg": alg, "use": "sig"}


class FakeSigningKeys:
    """``SigningKeys``: one key per algorithm, all active and published."""

    def __init__(self, algs: Iterable[str] = ("ES256", "RS256")) -> None:
        self.keys = {alg: (f"kid-{alg.lower()}", _private_key(alg)) for alg in algs}

    def current(self, alg: str) -> tuple[str, Any]:
        if alg not in self.keys:
            raise KeyError(f"no active {alg} signing key")
        return self.keys[alg]

    def signing_algs(self) -> list[str]:
        return sorted(self.keys)

    def published(self) -> list[dict[str, Any]]:
        return [public_jwk(key, kid, alg) for alg, (kid, key) in self.keys.items()]


class FakeReplayGuard:
    """``AssertionReplayGuard``: each (client, jti) is accepted once; ``seen`` keeps
    until when each was to be remembered."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], dt.datetime] = {}

    def first_use(self, client_id: str, jti: str, expires_at: dt.datetime) -> bool:
        if (client_id, jti) in self.seen:
            return False
        self.seen[(client_id, jti)] = expires_at
        return True


class FakeClientThrottle:
    """``ClientThrottle``: records each failure as (client_id or None, source)."""

    def __init__(self) -> None:
        self.failures: list[tuple[str | None, str]] = []

    def failed(self, client_id: str | None, source: str) -> None:
        self.failures.append((client_id, source))


@dataclasses.dataclass
class _Refresh:
    grant_id: str
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


class FakeTokenStore:
    """The six token-side ports in dicts, with the outcomes of services/oauth_store.py.

    A grant that is not offline lives as long as its sign-in session (``sid``); a test
    ends one with :meth:`end_session`. Users come from the shared user directory, so a
    disabled user's grants stop working as they do in SQL.
    """

    def __init__(self, users: FakeUserDirectory) -> None:
        self.users = users
        self.codes: dict[str, CodeRecord] = {}
        self.used_codes: set[str] = set()
        self.grant_of_code: dict[str, str | None] = {}
        self.grants: dict[str, GrantRecord] = {}
        self.revoked_grants: dict[str, str] = {}  # grant_id -> reason
        self.refresh: dict[str, _Refresh] = {}
        self.access: dict[str, str] = {}  # jti -> grant_id
        self.revoked_jtis: dict[str, dt.datetime] = {}
        self.ended_sessions: set[str] = set()

    def end_session(self, sid: str) -> None:
        self.ended_sessions.add(sid)

    # --- codes
    def save_code(self, code: CodeRecord) -> None:
        self.codes[code.code_digest] = code
        self.grant_of_code[code.code_digest] = None

    def redeem_code(self, code_digest: str, now: dt.datetime
                    ) -> tuple[CodeRecord | None, CodeStatus]:
        record = self.codes.get(code_digest)
        if record is None:
            return None, CodeStatus.UNKNOWN
        if code_digest in self.used_codes:
            return record, CodeStatus.USED
        self.used_codes.add(code_digest)
        return record, CodeStatus.OK

    def revoke_grant_of_code(self, code_digest: str, reason: str, now: dt.datetime) -> None:
        grant_id = self.grant_of_code.get(code_digest)
        if code_digest not in self.codes:
            return
        if grant_id is None:
            self.grant_of_code[code_digest] = "!replayed"  # the grant will be born revoked
        elif grant_id != "!replayed":
            self.revoke_grant(grant_id, reason, now)

    # --- issuing
    def persist_issuance(self, issuance: Issuance, now: dt.datetime) -> IssuanceOutcome:
        spent = issuance.spent_refresh_digest
        if spent is not None:
            token = self.refresh.get(spent)
            if token is None or token.used_at is not None:
                return IssuanceOutcome.REFRESH_SPENT
        grant = issuance.grant
        outcome = IssuanceOutcome.OK
        if issuance.new_grant:
            holder = self.users.by_id(grant.user_id)
            if holder is None or holder.disabled:
                return IssuanceOutcome.USER_DISABLED
            if issuance.code_digest is not None:
                if self.grant_of_code.get(issuance.code_digest) is None:
                    self.grant_of_code[issuance.code_digest] = grant.grant_id
                else:
                    self.revoked_grants[grant.grant_id] = "code_replay"
                    outcome = IssuanceOutcome.CODE_REPLAYED
            self.grants[grant.grant_id] = grant
        if spent is not None:
            self.refresh[spent].used_at = now
        self.access[issuance.access_jti] = grant.grant_id
        if issuance.refresh_digest is not None and issuance.refresh_expires_at is not None:
            self.refresh[issuance.refresh_digest] = _Refresh(grant.grant_id,
                                                             issuance.refresh_expires_at)
        return outcome

    # --- refresh tokens
    def find_refresh_token(self, digest: str, now: dt.datetime
                           ) -> tuple[GrantRecord | None, RefreshStatus]:
        token = self.refresh.get(digest)
        if token is None:
            return None, RefreshStatus.UNKNOWN
        grant = self.grants[token.grant_id]
        if token.used_at is not None:
            return grant, RefreshStatus.REUSED
        if grant.grant_id in self.revoked_grants:
            return grant, RefreshStatus.REVOKED
        if token.expires_at <= now or grant.absolute_expires_at <= now:
            return grant, RefreshStatus.EXPIRED
        return grant, RefreshStatus.OK if self._live(grant) else RefreshStatus.REVOKED

    def refresh_token_expires_at(self, digest: str) -> dt.datetime | None:
        token = self.refresh.get(digest)
        return token.expires_at if token else None

    def revoke_grant(self, grant_id: str, reason: str, now: dt.datetime) -> None:
        if grant_id in self.grants:
            self.revoked_grants.setdefault(grant_id, reason)

    def revoke_refresh_token(self, digest: str, client_id: str, now: dt.datetime) -> bool:
        token = self.refresh.get(digest)
        if token is None or self.grants[token.grant_id].client_id != client_id:
            return False
        self.revoke_grant(token.grant_id, "revoked_by_client", now)
        return True

    # --- access tokens
    def access_token_grant_live(self, jti: str, now: dt.datetime) -> bool | None:
        grant = self.grants.get(self.access.get(jti, ""))
        if grant is None:
            return None
        return grant.grant_id not in self.revoked_grants and self._live(grant)

    def access_token_grant(self, jti: str, now: dt.datetime) -> GrantRecord | None:
        return self.grants[self.access[jti]] if self.access_token_grant_live(jti, now) else None

    def revoke_access_token(self, jti: str, expires_at: dt.datetime,
                            client_id: str | None = None) -> None:
        self.revoked_jtis.setdefault(jti, expires_at)

    def is_access_token_revoked(self, jti: str) -> bool:
        return jti in self.revoked_jtis

    def _live(self, grant: GrantRecord) -> bool:
        holder = self.users.by_id(grant.user_id)
        if holder is None or holder.disabled:
            return False
        return grant.offline or grant.sid is None or grant.sid not in self.ended_sessions


@dataclasses.dataclass
class World:
    """One tenant's protocol wiring over the fakes, as runtime builds it over SQL."""

    clock: FixedClock
    clients: FakeClientDirectory
    users: FakeUserDirectory
    keys: FakeSigningKeys
    store: FakeTokenStore
    replay: FakeReplayGuard
    throttle: FakeClientThrottle
    ctx: TenantContext
    server: TokenServer


LIFETIMES = Lifetimes(access_token=600, id_token=300, refresh_idle=86_400,
                      refresh_absolute=30 * 86_400)


def world(clients: Iterable[ClientRecord] = (), users: Iterable[UserRecord] = (),
          **context: Any) -> World:
    """A token server for one tenant over fresh fakes; ``context`` sets TenantContext fields."""
    clock, directory, people = FixedClock(), FakeClientDirectory(clients), FakeUserDirectory(users)
    keys, replay, throttle = FakeSigningKeys(), FakeReplayGuard(), FakeClientThrottle()
    store = FakeTokenStore(people)
    ctx = TenantContext(issuer=ISSUER, clients=directory, keys=keys, users=people,
                        code_storage=store, code_redemption=store, issuance=store,
                        refresh_tokens=store, grant_revocation=store, access_tokens=store,
                        replay_guard=replay, lifetimes=LIFETIMES, clock=clock,
                        client_throttle=throttle, **context)
    return World(clock, directory, people, keys, store, replay, throttle, ctx, TokenServer(ctx))


def form_request(form: Mapping[str, str], *, basic: tuple[str, str] | None = None,
                 resources: Iterable[str] = (), source: str = "203.0.113.7") -> FormRequest:
    """A token-endpoint POST as the web layer hands it in."""
    headers = {}
    if basic is not None:
        pair = f"{basic[0]}:{basic[1]}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    return FormRequest("POST", f"{ISSUER}/token", headers, form, tuple(resources), source)
