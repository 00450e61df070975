"""Admin API: who may call it (Deliver 2), the tenants resource, and the conventions every
resource shares — one JSON error shape with stable codes, ETag/If-Match on updates,
cursor paging, 405 with Allow, and the version for administrators only (Deliver 1)."""

from __future__ import annotations

import dataclasses
from importlib import metadata

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.settings import Settings
from authserver.storage.database import Database
from tests.conftest import Clock
from tests.support.admin_api import AdminHttp, admin_audience, as_admin, error_code
from tests.support.oauth import basic, build_world
from tests.support.runtimes import make_app, make_runtime
from tests.support.tokens import audit_events


def denials(runtime: Runtime) -> list[dict[str, object]]:
    return [{"actor": e.actor, "tenant_id": e.tenant_id, **e.details}
            for e in audit_events(runtime, "admin.denied")]


# --- authentication and permissions -------------------------------------------------

def test_no_token_is_401_with_a_bearer_challenge_and_an_audit_record(
        http: FlaskClient, runtime: Runtime, admin: AdminHttp) -> None:
    response = AdminHttp(http, None).get("/tenants/acme")
    assert response.status_code == 401, "a request without a token must be refused"
    assert error_code(response) == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="admin-api"')
    assert any(d["reason"] == "no bearer token" and d["path"] == "/admin/api/v1/tenants/acme"
               for d in denials(runtime)), "every refusal must leave an audit record"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30.",
                                   "x" * 9000])
def test_a_token_that_is_not_ours_is_401(http: FlaskClient, admin: AdminHttp,
                                         token: str) -> None:
    response = AdminHttp(http, token).get("/tenants/acme")
    assert response.status_code == 401, f"token {token[:20]!r} must be refused"
    assert error_code(response) == "unauthenticated"


def test_a_token_for_another_audience_is_401(http: FlaskClient, runtime: Runtime,
                                            admin: AdminHttp) -> None:
    # The administering client, asking for a token without naming the admin API: a
    # token for authserver itself (admin scopes are the admin API's, never defaults).
    from tests.support.admin_api import admin_client
    secret = admin_client(runtime, "acme", "other-aud")
    response = http.post("/t/acme/token", headers=basic("other-aud", secret), data={
        "grant_type": "client_credentials"})
    token = response.get_json()["access_token"]
    refused = AdminHttp(http, token).get("/tenants/acme")
    assert refused.status_code == 401, "a token for authserver itself is not an admin token"


def test_a_revoked_token_is_401(http: FlaskClient, runtime: Runtime, admin: AdminHttp
                                ) -> None:
    from tests.support.admin_api import admin_client, admin_token
    secret = admin_client(runtime, "acme", "revoker")
    token = admin_token(http, runtime, "acme", "revoker", secret)
    assert AdminHttp(http, token).get("/tenants/acme").status_code == 200
    revoked = http.post("/t/acme/revoke", headers=basic("revoker", secret),
                        data={"token": token})
    assert revoked.status_code == 200
    assert AdminHttp(http, token).get("/tenants/acme").status_code == 401, \
        "a revoked token must stop working at once"


def test_a_client_without_the_admin_scope_gets_403_and_an_audit_record(
        http: FlaskClient, runtime: Runtime, world: object) -> None:
    reader = as_admin(http, runtime, "acme", "reader", scopes=("admin:read",))
    response = reader.patch("/tenants/acme", json={"display_name": "Nope"},
                            etag=reader.etag_of("/tenants/acme"))
    assert response.status_code == 403, "admin:read must not change anything"
    assert error_code(response) == "forbidden"
    assert response.get_json()["error"]["details"] == {"permission": "admin:write"}
    assert {"actor": "client:reader", "reason": "missing permission",
            "permission": "admin:write"}.items() <= denials(runtime)[-1].items()


def test_a_token_with_other_scopes_only_gets_403(http: FlaskClient, runtime: Runtime,
                                                 world: object) -> None:
    nobody = as_admin(http, runtime, "acme", "nobody", scopes=("stores:read",))
    response = nobody.get("/tenants/acme")
    assert response.status_code == 403
    assert error_code(response) == "forbidden"


def test_admin_write_implies_admin_read(http: FlaskClient, runtime: Runtime,
                                        world: object) -> None:
    writer = as_admin(http, runtime, "acme", "writer", scopes=("admin:write",))
    assert writer.get("/tenants/acme").status_code == 200


# --- tenant isolation -----------------------------------------------------------------

def test_tenant_a_admin_cannot_read_or_change_tenant_b(http: FlaskClient, runtime: Runtime,
                                                       admin: AdminHttp) -> None:
    other = as_admin(http, runtime, "globex")
    for response in (other.get("/tenants/acme"),
                     other.patch("/tenants/acme", json={"display_name": "Pwned"},
                                 etag='"anything"')):
        assert response.status_code == 403, "another tenant's admin must be refused"
        assert error_code(response) == "forbidden"
    assert admin.get("/tenants/acme").get_json()["display_name"] == "Acme"
    assert any(d["actor"] == "client:admin" and "acme" in str(d["reason"])
               for d in denials(runtime)), "the cross-tenant attempt must be audited"


def test_a_missing_tenant_looks_the_same_as_another_tenant(admin: AdminHttp) -> None:
    response = admin.get("/tenants/no-such-tenant")
    assert response.status_code == 403, "existence of other tenants must not be told"


def test_the_list_shows_only_the_callers_own_tenant(http: FlaskClient, runtime: Runtime,
                                                    admin: AdminHttp) -> None:
    as_admin(http, runtime, "globex")
    body = admin.get("/tenants").get_json()
    assert [t["slug"] for t in body["items"]] == ["acme"]
    assert body["next_cursor"] is None


def test_creating_a_tenant_needs_the_operator_tenant(admin: AdminHttp) -> None:
    response = admin.post("/tenants", json={"slug": "initech"})
    assert response.status_code == 403
    assert error_code(response) == "forbidden"


@pytest.fixture
def operator(settings: Settings, database: Database, clock: Clock) -> AdminHttp:
    """An administrator of the operator tenant ``ops`` (ADMIN_OPERATOR_TENANT)."""
    runtime = make_runtime(dataclasses.replace(settings, admin_operator_tenant="ops"),
                           database, clock)
    http = make_app(runtime).test_client()
    build_world(runtime)
    return as_admin(http, runtime, "ops")


def test_the_operator_tenant_administers_every_tenant(operator: AdminHttp) -> None:
    created = operator.post("/tenants", json={"slug": "initech", "display_name": "Initech"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["issuer"].endswith("/t/initech")
    assert operator.get("/tenants/acme").status_code == 200
    assert operator.get("/tenants/no-such-tenant").status_code == 404
    assert error_code(operator.get("/tenants/no-such-tenant")) == "not_found"
    again = operator.post("/tenants", json={"slug": "initech"})
    assert again.status_code == 409 and error_code(again) == "conflict"


def test_tenants_page_by_cursor(operator: AdminHttp) -> None:
    for slug in ("t-a", "t-b", "t-c"):
        assert operator.post("/tenants", json={"slug": slug}).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = operator.get("/tenants" + query).get_json()
        assert len(body["items"]) <= 2
        seen += [t["slug"] for t in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["acme", "ops", "t-a", "t-b", "t-c"], "every tenant once, in slug order"


@pytest.mark.parametrize("body,field", [
    ({"slug": "Bad Slug"}, "slug"), ({"slug": ""}, "slug"), ({}, "slug"),
    ({"slug": "ok", "extra": 1}, "extra")])
def test_a_bad_new_tenant_is_400_naming_the_field(operator: AdminHttp, body: dict[str, object],
                                                  field: str) -> None:
    response = operator.post("/tenants", json=body)
    assert response.status_code == 400, response.get_json()
    assert error_code(response) == "invalid_input"
    assert field in response.get_json()["error"]["details"]["json"]


# --- updates: ETag / If-Match -----------------------------------------------------

def test_an_update_needs_if_match(admin: AdminHttp) -> None:
    response = admin.patch("/tenants/acme", json={"display_name": "New"})
    assert response.status_code == 428
    assert error_code(response) == "precondition_required"


def test_a_stale_etag_is_412_and_changes_nothing(admin: AdminHttp) -> None:
    stale = admin.etag_of("/tenants/acme")
    fresh = admin.patch("/tenants/acme", json={"display_name": "First"}, etag=stale)
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] != stale, "the ETag follows the state"
    late = admin.patch("/tenants/acme", json={"display_name": "Second"}, etag=stale)
    assert late.status_code == 412
    assert error_code(late) == "precondition_failed"
    assert admin.get("/tenants/acme").get_json()["display_name"] == "First"


def test_an_update_changes_the_policies_and_is_audited(runtime: Runtime, admin: AdminHttp
                                                       ) -> None:
    response = admin.patch("/tenants/acme", etag=admin.etag_of("/tenants/acme"), json={
        "display_name": "Acme Corp", "sign_in": {"mfa": "required", "mfa_methods": ["totp"]},
        "password_policy": {"min_length": 14}, "signup": {"enabled": True},
        "session_idle_ttl": 600})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["display_name"] == "Acme Corp"
    assert body["sign_in"]["mfa"] == "required" and body["sign_in"]["mfa_methods"] == ["totp"]
    assert body["password_policy"]["min_length"] == 14
    assert body["signup"]["enabled"] is True and body["session_idle_ttl"] == 600
    assert any(e.actor == "client:admin" for e in audit_events(runtime, "tenant.updated"))


@pytest.mark.parametrize("change", [
    {"display_name": ""}, {"sign_in": {"mfa": "sometimes"}}, {"session_idle_ttl": -1},
    {"password_policy": {"min_length": "long"}}, {"sign_in": {"mfa_methods": ["carrier-pigeon"]}},
    {"unknown": True}, {"password_policy": {"min_length": 200, "max_length": 100}}])
def test_a_bad_change_is_400_and_changes_nothing(admin: AdminHttp,
                                                 change: dict[str, object]) -> None:
    before = admin.get("/tenants/acme").get_json()
    response = admin.patch("/tenants/acme", json=change, etag=admin.etag_of("/tenants/acme"))
    assert response.status_code == 400, f"{change}: {response.status_code} {response.data!r}"
    assert error_code(response) == "invalid_input"
    assert admin.get("/tenants/acme").get_json() == before


def test_a_body_that_is_not_json_is_400(admin: AdminHttp) -> None:
    response = admin.http.patch("/admin/api/v1/tenants/acme", data=b"{nope",
                                content_type="application/json",
                                headers={"Authorization": f"Bearer {admin.token}",
                                         "If-Match": admin.etag_of("/tenants/acme")})
    assert response.status_code == 400
    assert error_code(response) == "invalid_input"


# --- shared conventions -------------------------------------------------------------

def test_a_wrong_method_is_405_with_allow(admin: AdminHttp) -> None:
    response = admin.delete("/tenants/acme")
    assert response.status_code == 405
    assert error_code(response) == "method_not_allowed"
    assert {"GET", "PATCH"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_an_unknown_path_is_a_json_404(admin: AdminHttp) -> None:
    response = admin.get("/no-such-resource")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


@pytest.mark.parametrize("query", ["?cursor=%25%25", "?cursor=bm90LWpzb24", "?limit=0",
                                   "?limit=201", "?limit=x", "?color=blue"])
def test_bad_paging_input_is_400(admin: AdminHttp, query: str) -> None:
    response = admin.get("/tenants" + query)
    assert response.status_code == 400, f"{query}: {response.get_json()}"
    assert error_code(response) in ("invalid_cursor", "invalid_input")


def test_responses_are_not_cached(admin: AdminHttp) -> None:
    assert admin.get("/tenants/acme").headers["Cache-Control"] == "no-store"


# --- the version ------------------------------------------------------------------------

def test_the_version_is_for_administrators_only(http: FlaskClient, admin: AdminHttp) -> None:
    version = metadata.version("authserver")
    response = admin.get("/version")
    assert response.status_code == 200 and response.get_json()["version"] == version
    assert AdminHttp(http, None).get("/version").status_code == 401


def test_no_unauthenticated_response_names_the_version(http: FlaskClient, runtime: Runtime,
                                                       world: object) -> None:
    version = metadata.version("authserver")
    paths = ["/", "/t/acme/.well-known/openid-configuration", "/t/acme/jwks",
             "/admin/api/v1/openapi.json", "/admin/api/v1/version", "/healthz", "/readyz",
             "/no-such-page", "/t/acme/authorize"]
    for path in paths:
        response = http.get(path)
        assert version not in response.get_data(as_text=True), f"{path} names the version"
        for name, value in response.headers.items():
            assert version not in value, f"{path}: header {name} names the version"
    token = http.post("/t/acme/token", data={"grant_type": "client_credentials"})
    assert version not in token.get_data(as_text=True)
    assert admin_audience(runtime).endswith("/admin/api")


@pytest.mark.parametrize("field", ["history_period", "max_age"])
def test_a_period_too_long_for_the_database_is_400_not_500(admin: AdminHttp, field: str
                                                           ) -> None:
    # Found by the OpenAPI fuzz on PostgreSQL: 2**40 seconds overflowed its integer column.
    response = admin.patch("/tenants/acme", json={"password_policy": {field: 2**40}},
                           etag=admin.etag_of("/tenants/acme"))
    assert response.status_code == 400, response.get_json()
    assert error_code(response) == "invalid_input"
