"""protocol/token_activity.py: the one decision whether an access token is active, used by
introspection (RFC 7662 §2.2) and userinfo (OIDC Core §5.3). In-memory fakes of the ports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwcrypto.jwk import JWK

from authserver.protocol import jws
from authserver.protocol.context import TenantContext
from authserver.protocol.ports import GrantRecord, UserRecord
from authserver.protocol.token_activity import Activity, access_token_activity
from authserver.protocol.tokens import ACCESS_TOKEN_TYP, Lifetimes

ISSUER = "https://as.example/t/acme"
NOW = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
USER = UserRecord(id=7, sub="sub-7", email="ann@example.com", email_verified=True,
                  username=None, given_name=None, family_name=None, disabled=False,
                  updated_at=NOW)
GRANT = GrantRecord(grant_id="g1", client_id="web", user_id=7, sid=None, scope="openid",
                    resources=(), claims=None, auth_time=NOW, acr="1", amr=("pwd",),
                    offline=False, absolute_expires_at=NOW + dt.timedelta(days=1))


def _jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    exported: dict[str, Any] = JWK.from_pyca(key.public_key()).export_public(as_dict=True)
    return {**exported, "kid": "k1", "alg": "ES256"}


@dataclass
class FakeKeys:
    def published(self) -> list[dict[str, Any]]:
        return [_jwk(KEY)]


@dataclass
class FakeStore:
    revoked: set[str] = field(default_factory=set)
    grants: dict[str, GrantRecord] = field(default_factory=dict)

    def is_access_token_revoked(self, jti: str) -> bool:
        return jti in self.revoked

    def access_token_grant(self, jti: str, now: dt.datetime) -> GrantRecord | None:
        return self.grants.get(jti)


@dataclass
class FakeUsers:
    users: dict[str, UserRecord] = field(default_factory=dict)

    def by_sub(self, sub: str) -> UserRecord | None:
        return self.users.get(sub)


def _ctx(store: FakeStore, users: FakeUsers) -> TenantContext:
    return TenantContext(issuer=ISSUER, clients=None, keys=FakeKeys(), users=users,  # type: ignore[arg-type]
                         code_storage=None, code_redemption=None,  # type: ignore[arg-type]
                         issuance=None, refresh_tokens=None,  # type: ignore[arg-type]
                         grant_revocation=None, access_tokens=store,  # type: ignore[arg-type]
                         replay_guard=None,  # type: ignore[arg-type]
                         lifetimes=Lifetimes(300, 300, 3600, 86400), clock=lambda: NOW)


def _token(key: ec.EllipticCurvePrivateKey = KEY, typ: str = ACCESS_TOKEN_TYP,
           **claims: Any) -> str:
    body = {"iss": ISSUER, "aud": ISSUER, "exp": int(NOW.timestamp()) + 60, "jti": "j1",
            "client_id": "web", **claims}
    return jws.sign({k: v for k, v in body.items() if v is not None}, key, "ES256", "k1", typ)


USER_CLAIMS = {"sub": "sub-7", "auth_time": int(NOW.timestamp()), "scope": "openid"}
LIVE = FakeStore(grants={"j1": GRANT})
PRESENT = FakeUsers({"sub-7": USER})

CASES = [
    # (id, token, store, users, audience, user_required, expected)
    ("a live user token", _token(**USER_CLAIMS), LIVE, PRESENT, None, False, Activity.ACTIVE),
    ("for the userinfo audience", _token(**USER_CLAIMS), LIVE, PRESENT, ISSUER, True,
     Activity.ACTIVE),
    ("a client's own token", _token(), FakeStore(), FakeUsers(), None, False, Activity.ACTIVE),
    ("a client's own token where a user is needed", _token(), FakeStore(), FakeUsers(), None,
     True, Activity.INACTIVE),
    ("revoked", _token(**USER_CLAIMS), FakeStore({"j1"}, {"j1": GRANT}), PRESENT, None, False,
     Activity.INACTIVE),
    ("a revoked client token", _token(), FakeStore({"j1"}), FakeUsers(), None, False,
     Activity.INACTIVE),
    ("its grant no longer live", _token(**USER_CLAIMS), FakeStore(), PRESENT, None, False,
     Activity.INACTIVE),
    ("its user gone", _token(**USER_CLAIMS), LIVE, FakeUsers(), None, False, Activity.INACTIVE),
    ("its user disabled", _token(**USER_CLAIMS), LIVE,
     FakeUsers({"sub-7": replace(USER, disabled=True)}), None, False, Activity.INACTIVE),
    ("another user's grant", _token(**USER_CLAIMS), LIVE,
     FakeUsers({"sub-7": replace(USER, id=8)}), None, False, Activity.INACTIVE),
    ("for another audience", _token(**USER_CLAIMS, aud="https://api.example"), LIVE, PRESENT,
     ISSUER, True, Activity.INVALID),
    ("another audience, none asked", _token(**USER_CLAIMS, aud="https://api.example"), LIVE,
     PRESENT, None, False, Activity.ACTIVE),
    ("expired", _token(**USER_CLAIMS, exp=int(NOW.timestamp())), LIVE, PRESENT, None, False,
     Activity.INVALID),
    ("another issuer", _token(**USER_CLAIMS, iss="https://evil.example"), LIVE, PRESENT, None,
     False, Activity.INVALID),
    ("signed by another key", _token(OTHER_KEY, **USER_CLAIMS), LIVE, PRESENT, None, False,
     Activity.INVALID),
    ("an ID token", _token(typ="JWT", **USER_CLAIMS), LIVE, PRESENT, None, False,
     Activity.INVALID),
    ("no jti", _token(**USER_CLAIMS, jti=None), LIVE, PRESENT, None, False, Activity.INVALID),
    ("not a JWT", "garbage", LIVE, PRESENT, None, False, Activity.INVALID),
]


@pytest.mark.parametrize(("token", "store", "users", "audience", "user_required", "expected"),
                         [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_whether_an_access_token_is_active(token: str, store: FakeStore, users: FakeUsers,
                                           audience: str | None, user_required: bool,
                                           expected: Activity) -> None:
    activity = access_token_activity(_ctx(store, users), token, NOW, audience=audience,
                                     user_required=user_required)
    assert activity.state is expected
    assert (activity.claims is None) is (expected is Activity.INVALID)
    if expected is Activity.ACTIVE and "auth_time" in (activity.claims or {}):
        assert (activity.grant, activity.user) == (GRANT, USER)
    else:
        assert (activity.grant, activity.user) == (None, None)
