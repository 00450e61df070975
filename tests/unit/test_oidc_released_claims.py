"""The one claim-release rule (OIDC Core §5.4, §5.5; RFC 6749 §3.3) as a table."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from authserver.protocol.oidc import released_claims
from authserver.protocol.ports import GrantRecord, UserRecord

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ANN = UserRecord(id=1, sub="s-ann", email="ann@example.com", email_verified=True,
                 username="ann", given_name="Ann", family_name="Lee", disabled=False,
                 updated_at=NOW)
PROFILE = {"name", "given_name", "family_name", "preferred_username", "updated_at"}
EMAIL = {"email", "email_verified"}


def grant(scope: str, claims: dict[str, Any] | None = None) -> GrantRecord:
    return GrantRecord(grant_id="g", client_id="c", user_id=1, sid=None, scope=scope,
                       resources=(), claims=claims, auth_time=NOW, acr="1", amr=("pwd",),
                       offline=False, absolute_expires_at=NOW)


ASK_ALL = {"userinfo": {"email": None, "name": {"essential": True}},
           "id_token": {"email": {"essential": True}, "name": None, "sub": None}}


@pytest.mark.parametrize(("granted", "token_scope", "claims", "member", "expected"), [
    # The review's attack: only openid granted, personal data asked for.
    ("openid", "openid", ASK_ALL, "userinfo", {"sub"}),
    ("openid", "openid", ASK_ALL, "id_token", set()),
    # Within the granted scopes the claims parameter selects for the ID token.
    ("openid email", "openid email", ASK_ALL, "id_token", {"email"}),
    ("openid email", "openid email", ASK_ALL, "userinfo", {"sub"} | EMAIL),
    ("openid profile email", "openid profile email", ASK_ALL, "id_token", {"email", "name"}),
    # Userinfo releases the granted scopes' claims with or without a claims request.
    ("openid profile", "openid profile", None, "userinfo", {"sub"} | PROFILE),
    ("openid profile", "openid profile", None, "id_token", set()),
    # A token narrowed at refresh releases only what its own scope covers.
    ("openid profile email", "openid", ASK_ALL, "id_token", set()),
    ("openid profile email", "openid email", ASK_ALL, "userinfo", {"sub"} | EMAIL),
    # A token scope wider than the grant (never minted, but) cannot widen it.
    ("openid", "openid email", ASK_ALL, "userinfo", {"sub"}),
])
def test_only_claims_the_granted_scopes_cover_are_released(
    granted: str, token_scope: str, claims: dict[str, Any] | None, member: str,
    expected: set[str],
) -> None:
    released = released_claims(ANN, grant(granted, claims), token_scope, member)  # type: ignore[arg-type]
    assert set(released) == expected, (
        f"granted {granted!r}, token {token_scope!r}, {member}: released {sorted(released)}")
