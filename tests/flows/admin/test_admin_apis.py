"""The admin API's APIs resource (``/tenants/<slug>/apis``) and a client's direct grants
(``/tenants/<slug>/clients/<client_id>/api-grants``): the same rules as the CLI, JSON
errors with stable codes, ETags on updates, the built-in admin API read-only."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.support.admin_api import AdminHttp, admin_audience, as_admin, error_code
from tests.support.apis import STORES_API
from tests.support.tokens import client_credentials, expect_error, expect_tokens

API = "https://orders.example/api"
NEW = {"identifier": API, "name": "Orders", "scopes": ["orders:read", "orders:write"],
       "access_token_ttl": 300, "access_token_alg": "PS256"}


def created(admin: AdminHttp, **changes: Any) -> dict[str, Any]:
    response = admin.post("/tenants/acme/apis", json={**NEW, **changes})
    assert response.status_code == 201, f"create: {response.get_json()}"
    body: dict[str, Any] = response.get_json()
    return body


def test_create_get_and_list(admin: AdminHttp, runtime: Runtime) -> None:
    api = created(admin, introspection_clients=["service"])
    assert api["id"].startswith("api-") and api["builtin"] is False
    assert (api["access_token_ttl"], api["access_token_alg"]) == (300, "PS256")
    assert api["created_by"] == "client:admin"
    fetched = admin.get(f"/tenants/acme/apis/{api['id']}")
    assert fetched.status_code == 200 and fetched.get_json() == api
    listed = admin.get("/tenants/acme/apis").get_json()
    identifiers = [a["identifier"] for a in listed["items"]]
    assert {API, STORES_API, admin_audience(runtime)} <= set(identifiers)
    assert identifiers == sorted(identifiers) and listed["next_cursor"] is None
    builtin = next(a for a in listed["items"] if a["builtin"])
    assert builtin["id"] == "builtin-admin"


def test_listing_pages_with_a_cursor(admin: AdminHttp) -> None:
    created(admin)
    first = admin.get("/tenants/acme/apis?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = admin.get(f"/tenants/acme/apis?limit=50&cursor={first['next_cursor']}").get_json()
    seen = [a["identifier"] for a in first["items"] + rest["items"]]
    assert len(seen) == len(set(seen)) == 4, "every API once across the pages"
    bad = admin.get("/tenants/acme/apis?cursor=%%%")
    assert bad.status_code == 400 and error_code(bad) == "invalid_cursor"


def test_patch_needs_the_etag_and_changes_the_api(admin: AdminHttp) -> None:
    api = created(admin)
    path = f"/tenants/acme/apis/{api['id']}"
    missing = admin.patch(path, json={"name": "Orders v2"})
    assert missing.status_code == 428, "If-Match is required"
    stale = admin.patch(path, json={"name": "Orders v2"}, etag='"stale"')
    assert stale.status_code == 412
    changed = admin.patch(path, json={"name": "Orders v2", "access_token_alg": None},
                          etag=admin.etag_of(path))
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["name"] == "Orders v2"
    assert changed.get_json()["access_token_alg"] is None, "null goes back to the default"


def test_the_builtin_admin_api_is_read_only(admin: AdminHttp) -> None:
    path = "/tenants/acme/apis/builtin-admin"
    assert admin.get(path).get_json()["scopes"] == ["admin:read", "admin:write",
                                                    "users:read:pii"]
    patched = admin.patch(path, json={"name": "Mine"}, etag=admin.etag_of(path))
    assert (patched.status_code, error_code(patched)) == (403, "api_builtin")
    deleted = admin.delete(path)
    assert (deleted.status_code, error_code(deleted)) == (403, "api_builtin")


def test_create_refusals_have_stable_codes(admin: AdminHttp, runtime: Runtime) -> None:
    created(admin)
    cases = [
        ({**NEW}, 409, "api_exists"),
        ({**NEW, "identifier": admin_audience(runtime)}, 403, "api_builtin"),
        ({**NEW, "identifier": "nope"}, 400, "invalid_input"),
        ({**NEW, "identifier": "https://x.example/", "scopes": ["read"]}, 400,
         "invalid_input"),
        ({**NEW, "identifier": "https://x.example/", "access_token_alg": "HS256"}, 400,
         "invalid_input"),
        ({**NEW, "identifier": "https://x.example/", "introspection_clients": ["spa"]}, 400,
         "invalid_input"),
        ({**NEW, "identifier": "https://x.example/", "colour": "red"}, 400, "invalid_input"),
    ]
    for body, status, code in cases:
        response = admin.post("/tenants/acme/apis", json=body)
        assert (response.status_code, error_code(response)) == (status, code), (
            f"{body}: {response.get_json()}")
    unknown = admin.get("/tenants/acme/apis/api-999999")
    assert (unknown.status_code, error_code(unknown)) == (404, "not_found")


def test_delete(admin: AdminHttp) -> None:
    api = created(admin)
    assert admin.delete(f"/tenants/acme/apis/{api['id']}").status_code == 204
    assert admin.get(f"/tenants/acme/apis/{api['id']}").status_code == 404


def test_grants_are_listed_and_replaced_and_take_effect(
    admin: AdminHttp, http: FlaskClient, runtime: Runtime, world: Any
) -> None:
    created(admin, access_token_alg=None)
    path = "/tenants/acme/clients/service/api-grants"
    before = admin.get(path).get_json()["grants"]
    assert {g["api"] for g in before} >= {STORES_API}
    replaced = admin.put(path, json={"grants": [{"api": API, "scopes": ["orders:read"]}]})
    assert replaced.status_code == 200, replaced.get_json()
    assert replaced.get_json() == {"grants": [{"api": API, "scopes": ["orders:read"]}]}
    expect_tokens(client_credentials(http, world, resources=[API]), "the new grant")
    expect_error(client_credentials(http, world, resources=[STORES_API]), 400,
                 "invalid_target", "the replaced grant")
    bad = admin.put(path, json={"grants": [{"api": API, "scopes": ["orders:delete"]}]})
    assert (bad.status_code, error_code(bad)) == (400, "invalid_input")
    ghost = admin.put("/tenants/acme/clients/ghost/api-grants", json={"grants": []})
    assert (ghost.status_code, error_code(ghost)) == (404, "not_found")


def test_another_tenants_admin_cannot_read_or_change_the_apis(
    admin: AdminHttp, http: FlaskClient, runtime: Runtime
) -> None:
    other = as_admin(http, runtime, "globex")
    assert other.get("/tenants/acme/apis").status_code == 403
    assert other.post("/tenants/acme/apis", json=NEW).status_code == 403
    reader = as_admin(http, runtime, "acme", "reader", scopes=("admin:read",))
    refused = reader.post("/tenants/acme/apis", json=NEW)
    assert (refused.status_code, error_code(refused)) == (403, "forbidden")
