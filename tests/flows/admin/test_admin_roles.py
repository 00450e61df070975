"""Admin API: roles, user groups, and a user's roles, groups and attributes
(docs/roles-and-claims.md) — each resource and its error paths, tenant isolation, and a
person made an administrator by a role, which stops working the moment it is revoked."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.services.clients import ClientSpec
from tests.support.admin_api import AdminHttp, admin_audience, as_admin, error_code
from tests.support.apis import grant_api
from tests.support.oauth import REDIRECT, World, exchange
from tests.support.tokens import add_client, audit_events, expect_tokens, user_code

ROLES = "/tenants/acme/roles"
GROUPS = "/tenants/acme/user-groups"


def created(admin: AdminHttp, path: str, body: dict[str, object]) -> dict[str, object]:
    response = admin.post(path, json=body)
    assert response.status_code == 201, f"POST {path}: {response.get_json()}"
    result: dict[str, object] = response.get_json()
    return result


def test_a_role_is_created_read_changed_with_if_match_and_deleted(admin: AdminHttp) -> None:
    body = created(admin, ROLES, {"name": "support", "description": "Help desk",
                                  "permissions": ["users:read", "admin:read"]})
    assert body["permissions"] == ["admin:read", "users:read"], body
    assert str(body["created_by"]).startswith("client:"), body
    etag = admin.etag_of(f"{ROLES}/support")
    assert admin.patch(f"{ROLES}/support", json={"description": "x"}).status_code == 428
    changed = admin.patch(f"{ROLES}/support", json={"permissions": ["stores:read"]},
                          etag=etag)
    assert changed.status_code == 200 and changed.get_json()["permissions"] == ["stores:read"]
    stale = admin.patch(f"{ROLES}/support", json={"description": "late"}, etag=etag)
    assert (stale.status_code, error_code(stale)) == (412, "precondition_failed")
    assert admin.delete(f"{ROLES}/support").status_code == 204
    gone = admin.get(f"{ROLES}/support")
    assert (gone.status_code, error_code(gone)) == (404, "not_found")


def test_roles_page_by_cursor_and_filter_by_name(admin: AdminHttp) -> None:
    for name in ("r-a", "r-b", "r-c", "other"):
        created(admin, ROLES, {"name": name})
    seen: list[str] = []
    cursor = None
    while True:
        body = admin.get(f"{ROLES}?limit=2" + (f"&cursor={cursor}" if cursor else "")
                         ).get_json()
        seen += [r["name"] for r in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["r-a", "r-b", "r-c", "other"], seen
    filtered = admin.get(f"{ROLES}?name=r-").get_json()["items"]
    assert [r["name"] for r in filtered] == ["r-a", "r-b", "r-c"]
    assert admin.get(f"{ROLES}?name=sp%20ace").get_json()["items"] == []
    nul = admin.get(f"{ROLES}?name=nul%00")
    assert (nul.status_code, error_code(nul)) == (400, "invalid_input")
    bad = admin.get(f"{ROLES}?cursor=bm90LWFuLWlk")
    assert (bad.status_code, error_code(bad)) == (400, "invalid_cursor")


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"name": "bad name"}, 400, "invalid_input"),
    ({"name": "r", "permissions": ["nocolon"]}, 400, "invalid_input"),
    ({"name": "r", "permissions": "admin:read"}, 400, "invalid_input"),
    ({"name": "r", "colour": "red"}, 400, "invalid_input"),
    ({}, 400, "invalid_input"),
    ({"name": "taken"}, 409, "conflict"),
])
def test_a_bad_role_is_refused_with_its_code(admin: AdminHttp, body: dict[str, object],
                                             status: int, code: str) -> None:
    created(admin, ROLES, {"name": "taken"})
    response = admin.post(ROLES, json=body)
    assert (response.status_code, error_code(response)) == (status, code), response.get_json()


def test_a_held_role_is_409_to_delete_without_force(admin: AdminHttp, world: World) -> None:
    created(admin, ROLES, {"name": "viewer"})
    assert admin.put(f"/tenants/acme/users/{world.user_sub}/roles",
                     json={"roles": ["viewer"]}).status_code == 200
    refused = admin.delete(f"{ROLES}/viewer")
    assert (refused.status_code, error_code(refused)) == (409, "conflict")
    assert admin.delete(f"{ROLES}/viewer?force=true").status_code == 204


def test_a_users_roles_groups_and_attributes_are_read_and_replaced(
        admin: AdminHttp, runtime: Runtime, world: World) -> None:
    created(admin, ROLES, {"name": "viewer", "permissions": ["stores:read"]})
    created(admin, ROLES, {"name": "clerk", "permissions": ["stores:write"]})
    group = created(admin, GROUPS, {"name": "staff", "roles": ["clerk"]})
    assert (group["roles"], group["members"]) == (["clerk"], 0), group
    base = f"/tenants/acme/users/{world.user_sub}"
    view = admin.put(f"{base}/roles", json={"roles": ["viewer"]}).get_json()
    assert view == {"sub": world.user_sub, "roles": ["viewer"], "groups": [],
                    "effective_roles": ["viewer"], "permissions": ["stores:read"]}, view
    view = admin.put(f"{base}/groups", json={"groups": ["staff"]}).get_json()
    assert view["effective_roles"] == ["clerk", "viewer"], view
    assert admin.get(f"{base}/groups").get_json()["groups"] == ["staff"]
    assert "email" not in admin.get(f"{base}/roles").get_json(), "no personal data here"
    put = admin.put(f"{base}/attributes", json={"attributes": {"dept": "sales",
                                                               "regions": ["eu"]}})
    assert put.status_code == 200 and put.get_json()["attributes"]["regions"] == ["eu"]
    assert admin.get(f"{base}/attributes").get_json() == {
        "attributes": {"dept": "sales", "regions": ["eu"]}}
    [changed] = audit_events(runtime, "user.attributes_changed")
    assert changed.details["after"] == {"dept": "sales", "regions": ["eu"]}
    assert admin.get(f"{GROUPS}/staff").get_json()["members"] == 1
    etag = admin.etag_of(f"{GROUPS}/staff")
    assert admin.patch(f"{GROUPS}/staff", json={"roles": []}, etag=etag).status_code == 200
    assert admin.get(f"{base}/roles").get_json()["effective_roles"] == ["viewer"]
    assert admin.delete(f"{GROUPS}/staff").status_code == 204
    assert admin.get(f"{base}/groups").get_json()["groups"] == []


@pytest.mark.parametrize(("path", "body", "status", "code"), [
    ("roles", {"roles": ["ghost"]}, 400, "invalid_input"),
    ("roles", {"roles": "viewer"}, 400, "invalid_input"),
    ("roles", {}, 400, "invalid_input"),
    ("groups", {"groups": ["ghost"]}, 400, "invalid_input"),
    ("attributes", {"attributes": {"1bad": "x"}}, 400, "invalid_input"),
    ("attributes", {"attributes": {"dept": 3}}, 400, "invalid_input"),
    ("attributes", {"attributes": {"dept": {"a": "b"}}}, 400, "invalid_input"),
    ("attributes", {"attributes": {"dept": "a\u0000b"}}, 400, "invalid_input"),
    ("attributes", {"dept": "sales"}, 400, "invalid_input"),
])
def test_bad_user_assignments_are_refused_with_their_code(
        admin: AdminHttp, world: World, path: str, body: dict[str, object], status: int,
        code: str) -> None:
    response = admin.put(f"/tenants/acme/users/{world.user_sub}/{path}", json=body)
    assert (response.status_code, error_code(response)) == (status, code), response.get_json()


@pytest.mark.parametrize("path", ["roles", "groups", "attributes"])
def test_an_unknown_user_is_404(admin: AdminHttp, path: str) -> None:
    for sub in ("no-such-sub", "x" * 300, "nul%00byte"):
        response = admin.get(f"/tenants/acme/users/{sub}/{path}")
        assert (response.status_code, error_code(response)) == (404, "not_found"), sub


def test_names_no_role_can_have_are_404_not_500(admin: AdminHttp) -> None:
    for name in ("nul%00byte", "x" * 300, "sp%20ace"):
        for path in (f"{ROLES}/{name}", f"{GROUPS}/{name}"):
            response = admin.get(path)
            assert (response.status_code, error_code(response)) == (404, "not_found"), path


def test_tenant_a_admin_cannot_read_or_change_tenant_b_roles(
        http: FlaskClient, runtime: Runtime, admin: AdminHttp) -> None:
    globex = as_admin(http, runtime, "globex")
    assert globex.post("/tenants/globex/roles", json={"name": "secret"}).status_code == 201
    for response in (admin.get("/tenants/globex/roles"),
                     admin.get("/tenants/globex/roles/secret"),
                     admin.post("/tenants/globex/roles", json={"name": "mine"}),
                     admin.delete("/tenants/globex/roles/secret"),
                     admin.get("/tenants/globex/user-groups")):
        assert (response.status_code, error_code(response)) == (403, "forbidden")
    assert admin.get(ROLES).get_json()["items"] == [], "globex's role is not acme's"


def test_a_reader_may_list_but_not_change(http: FlaskClient, runtime: Runtime,
                                          world: World) -> None:
    reader = as_admin(http, runtime, "acme", "reader", scopes=("admin:read",))
    assert reader.get(ROLES).status_code == 200
    response = reader.post(ROLES, json={"name": "x"})
    assert (response.status_code, error_code(response)) == (403, "forbidden")
    response = reader.put(f"/tenants/acme/users/{world.user_sub}/roles", json={"roles": []})
    assert (response.status_code, error_code(response)) == (403, "forbidden")


def test_a_person_is_an_administrator_only_while_a_role_says_so(
        http: FlaskClient, runtime: Runtime, admin: AdminHttp, world: World) -> None:
    secret = add_client(runtime, ClientSpec(
        name="Console", client_id="console", redirect_uris=(REDIRECT,),
        scopes=("openid", "admin:read", "admin:write")))
    grant_api(runtime, admin_audience(runtime), "console", ("admin:read", "admin:write"))
    code, verifier, request = user_code(http, world, "console",
                                        scope="openid admin:read admin:write",
                                        resource=admin_audience(runtime))
    tokens = expect_tokens(exchange(http, code, verifier, "console", secret,
                                    redirect_uri=request["redirect_uri"]), "exchange")
    person = AdminHttp(http, tokens["access_token"])
    refused = person.get(ROLES)
    assert (refused.status_code, error_code(refused)) == (403, "forbidden"), \
        "the scopes alone make nobody an administrator"
    created(admin, ROLES, {"name": "admins", "permissions": ["admin:read", "admin:write"]})
    created(admin, GROUPS, {"name": "it", "roles": ["admins"]})
    assert admin.put(f"/tenants/acme/users/{world.user_sub}/groups",
                     json={"groups": ["it"]}).status_code == 200
    allowed = person.post(ROLES, json={"name": "made-by-ann"})
    assert allowed.status_code == 201, allowed.get_json()
    assert allowed.get_json()["created_by"] == f"user:{world.user_sub}"
    assert admin.put(f"/tenants/acme/users/{world.user_sub}/groups",
                     json={"groups": []}).status_code == 200
    assert person.get(ROLES).status_code == 403, "revoking the role works at once"
