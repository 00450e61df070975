"""Admin API sessions and consents (Deliver 1): list live sessions (all, or one user's)
with a cursor, end one (reason admin, audited); list a user's consents, revoke one
(its grants revoked too); emails masked without users:read:pii; error paths."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.support.admin_api import AdminHttp, as_admin, error_code
from tests.support.oauth import World
from tests.support.tokens import audit_events, expect_error, refresh, signed_in, user_tokens

S = "/tenants/acme/sessions"


def refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, \
        f"expected {status} {code}, got {response.status_code}: {response.get_json()}"
    assert error_code(response) == code, response.get_json()


@pytest.fixture
def no_pii(http: FlaskClient, runtime: Runtime, world: World) -> AdminHttp:
    return as_admin(http, runtime, "acme", "nopii", scopes=("admin:read", "admin:write"))


def test_sessions_are_listed_paged_filtered_and_masked(
        admin: AdminHttp, no_pii: AdminHttp, runtime: Runtime, world: World,
        app: Any) -> None:
    sids = [signed_in(app.test_client(), runtime) for _ in range(3)]
    first = admin.get(S, query_string={"limit": 2}).get_json()
    assert [s["sid"] for s in first["items"]] == sids[:2]
    assert first["items"][0]["email"] == "ann@example.com"
    assert first["items"][0]["sub"] == world.user_sub
    assert "token_digest" not in first["items"][0]
    rest = admin.get(S, query_string={"limit": 2, "cursor": first["next_cursor"]}).get_json()
    assert [s["sid"] for s in rest["items"]] == sids[2:] and rest["next_cursor"] is None
    mine = admin.get(S, query_string={"user": world.user_sub}).get_json()["items"]
    assert len(mine) == 3
    assert no_pii.get(S).get_json()["items"][0]["email"] == "a•••n@example.com"
    refused(admin.get(S, query_string={"user": "nobody"}), 404, "not_found")
    refused(admin.get(S, query_string={"cursor": "%%%"}), 400, "invalid_cursor")


def test_ending_a_session_goes_through_end_sessions_with_reason_admin(
        admin: AdminHttp, runtime: Runtime, app: Any) -> None:
    sid = signed_in(app.test_client(), runtime)
    assert admin.delete(f"{S}/{sid}").status_code == 204
    assert admin.get(S).get_json()["items"] == []
    (ended,) = audit_events(runtime, "session.ended")
    assert (ended.target, ended.details["reason"], ended.actor) == (sid, "admin",
                                                                     "client:admin")
    refused(admin.delete(f"{S}/{sid}"), 404, "not_found")
    refused(admin.delete(f"{S}/{'x' * 65}"), 400, "invalid_input")


def test_consents_are_listed_and_one_is_revoked_with_its_grants(
        admin: AdminHttp, world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world, scope="openid offline_access")
    path = f"/tenants/acme/users/{world.user_sub}/consents"
    listed = admin.get(path).get_json()
    assert [c["client_id"] for c in listed["items"]] == ["web"]
    assert "offline_access" in listed["items"][0]["scopes"]
    revoked = admin.delete(f"{path}/web")
    assert revoked.status_code == 200 and revoked.get_json() == {"consent": True, "grants": 1}
    expect_error(refresh(http, tokens.refresh_token, world.web_id, world.web_secret), 400,
                 "invalid_grant", "a refresh token of a revoked consent")
    assert admin.get(path).get_json()["items"] == []
    assert admin.delete(f"{path}/web").get_json() == {"consent": False, "grants": 0}, \
        "nothing left to revoke is no error"
    refused(admin.delete(f"{path}/nope"), 404, "not_found")
    refused(admin.get("/tenants/acme/users/nobody/consents"), 404, "not_found")


def test_a_reader_lists_but_cannot_end_or_revoke(http: FlaskClient, runtime: Runtime,
                                                 world: World, app: Any) -> None:
    sid = signed_in(app.test_client(), runtime)
    reader = as_admin(http, runtime, "acme", "reader", scopes=("admin:read",))
    assert reader.get(S).status_code == 200
    refused(reader.delete(f"{S}/{sid}"), 403, "forbidden")
    refused(reader.delete(f"/tenants/acme/users/{world.user_sub}/consents/web"), 403,
            "forbidden")
    refused(as_admin(http, runtime, "globex").get(S), 403, "forbidden")
