"""The admin API's access groups (``/tenants/<slug>/access-groups``, ``:deactivate``,
``:activate``), the default group and a client's groups: built-in groups listed with
``builtin: true`` and read-only, deactivation only while unused (409 listing the
clients), search with ``q``, counts."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.services.clients import ClientSpec
from tests.support.admin_api import AdminHttp, as_admin, error_code
from tests.support.apis import BILLING_API
from tests.support.tokens import add_client, client_credentials, expect_error, expect_tokens

NEW = {"name": "Tills", "description": "Shop tills",
       "permissions": {BILLING_API: ["invoices:read"]}}


def created(admin: AdminHttp, **changes: Any) -> dict[str, Any]:
    response = admin.post("/tenants/acme/access-groups", json={**NEW, **changes})
    assert response.status_code == 201, f"create: {response.get_json()}"
    body: dict[str, Any] = response.get_json()
    return body


def test_listing_marks_builtin_groups_and_searches(admin: AdminHttp) -> None:
    group = created(admin)
    listed = admin.get("/tenants/acme/access-groups").get_json()["items"]
    assert [g["name"] for g in listed] == ["Admin", "Instore", "POS", "Tills"]
    assert [g["builtin"] for g in listed] == [True, True, True, False]
    assert listed[3] == {**group, "clients": 0}
    found = admin.get("/tenants/acme/access-groups?q=TIL").get_json()["items"]
    assert [g["id"] for g in found] == [group["id"]]
    first = admin.get("/tenants/acme/access-groups?limit=3").get_json()
    rest = admin.get(f"/tenants/acme/access-groups?cursor={first['next_cursor']}").get_json()
    assert [g["name"] for g in rest["items"]] == ["Tills"] and rest["next_cursor"] is None
    bad = admin.get("/tenants/acme/access-groups?cursor=WzFd")  # [1]
    assert (bad.status_code, error_code(bad)) == (400, "invalid_cursor")


def test_a_builtin_group_cannot_be_edited_or_deactivated(admin: AdminHttp) -> None:
    path = "/tenants/acme/access-groups/builtin-pos"
    patched = admin.patch(path, json={"name": "Mine"}, etag=admin.etag_of(path))
    assert (patched.status_code, error_code(patched)) == (403, "access_group_builtin")
    off = admin.post(f"{path}:deactivate")
    assert (off.status_code, error_code(off)) == (403, "access_group_builtin")


def test_rename_and_edit_with_the_etag(admin: AdminHttp) -> None:
    group = created(admin)
    path = f"/tenants/acme/access-groups/{group['id']}"
    assert admin.patch(path, json={"name": "X"}).status_code == 428
    renamed = admin.patch(path, json={"name": "Shop tills", "permissions": {}},
                          etag=admin.etag_of(path))
    assert renamed.status_code == 200, renamed.get_json()
    assert renamed.get_json()["name"] == "Shop tills" and renamed.get_json()["permissions"] == {}
    taken = admin.patch(path, json={"name": "pos"}, etag=admin.etag_of(path))
    assert (taken.status_code, error_code(taken)) == (409, "access_group_exists")


def test_deactivate_only_while_unused_and_activate(
    admin: AdminHttp, http: FlaskClient, world: Any
) -> None:
    group = created(admin)
    path = f"/tenants/acme/access-groups/{group['id']}"
    put = admin.put("/tenants/acme/clients/web/access-groups", json={"groups": [group["id"]]})
    assert put.status_code == 200 and put.get_json()["groups"][0]["name"] == "Tills"
    assert admin.get(path).get_json()["clients"] == 1
    refused = admin.post(f"{path}:deactivate")
    assert (refused.status_code, error_code(refused)) == (409, "access_group_in_use")
    assert refused.get_json()["error"]["details"] == {"clients": ["web"]}
    assert admin.put("/tenants/acme/clients/web/access-groups",
                     json={"groups": []}).status_code == 200
    off = admin.post(f"{path}:deactivate")
    assert off.status_code == 200 and off.get_json()["status"] == "inactive"
    join = admin.put("/tenants/acme/clients/web/access-groups", json={"groups": [group["id"]]})
    assert (join.status_code, error_code(join)) == (409, "access_group_inactive")
    on = admin.post(f"{path}:activate")
    assert on.status_code == 200 and on.get_json()["status"] == "active"


def test_a_clients_groups_grant_its_apis(admin: AdminHttp, http: FlaskClient,
                                        runtime: Runtime, world: Any) -> None:
    group = created(admin)
    secret = add_client(runtime, ClientSpec(name="Till", client_id="till",
                                            grant_types=("client_credentials",),
                                            scopes=("stores:read",))) or ""
    admin.put("/tenants/acme/clients/till/access-groups", json={"groups": [group["id"]]})
    body = expect_tokens(client_credentials(http, world, resources=[BILLING_API],
                                            client_id="till", secret=secret), "via group")
    assert body["scope"] == "invoices:read"
    admin.put("/tenants/acme/clients/till/access-groups", json={"groups": []})
    expect_error(client_credentials(http, world, resources=[BILLING_API], client_id="till",
                                    secret=secret), 400, "invalid_target", "group left")


def test_the_default_group(admin: AdminHttp) -> None:
    assert admin.get("/tenants/acme/default-access-group").get_json() == {"group": None}
    group = created(admin)
    set_to = admin.put("/tenants/acme/default-access-group", json={"group": group["id"]})
    assert set_to.status_code == 200 and set_to.get_json()["group"]["default"] is True
    off = admin.post(f"/tenants/acme/access-groups/{group['id']}:deactivate")
    assert (off.status_code, error_code(off)) == (409, "access_group_is_default")
    cleared = admin.put("/tenants/acme/default-access-group", json={"group": None})
    assert cleared.get_json() == {"group": None}
    unknown = admin.put("/tenants/acme/default-access-group", json={"group": "grp-999"})
    assert (unknown.status_code, error_code(unknown)) == (404, "not_found")


def test_bad_input_and_other_tenants(admin: AdminHttp, http: FlaskClient,
                                     runtime: Runtime) -> None:
    for body, code in (({"name": ""}, "invalid_input"), ({**NEW, "extra": 1}, "invalid_input"),
                       ({"name": "X", "permissions": {"https://nobody.example/": ["a:b"]}},
                        "not_found"),
                       ({"name": "X", "permissions": {BILLING_API: ["nope:x"]}},
                        "invalid_input")):
        response = admin.post("/tenants/acme/access-groups", json=body)
        assert error_code(response) == code, f"{body}: {response.get_json()}"
    missing = admin.get("/tenants/acme/access-groups/grp-999999")
    assert (missing.status_code, error_code(missing)) == (404, "not_found")
    other = as_admin(http, runtime, "globex")
    assert other.get("/tenants/acme/access-groups").status_code == 403
    assert other.get("/tenants/globex/access-groups").status_code == 200
