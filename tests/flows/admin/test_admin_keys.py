"""Admin API signing keys (Deliver 1): list (kid, alg, status and lifecycle times, never
private material), rotate (after the publish lead, or at once), revoke — checked against
the tenant's published JWKS, with each error path's status and code."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.conftest import Clock
from tests.flows.admin.test_admin_clients import every_page
from tests.support.admin_api import AdminHttp, as_admin, error_code
from tests.support.tokens import JWKS, audit_events

KEYS = "/tenants/acme/keys"
FIELDS = {"kid", "alg", "status", "created_at", "activates_at", "retires_at", "expires_at",
          "revoked_at"}


def listed(admin: AdminHttp) -> list[dict[str, Any]]:
    response = admin.get(KEYS)
    assert response.status_code == 200, response.get_json()
    items: list[dict[str, Any]] = response.get_json()["items"]
    return items


def published_kids(http: FlaskClient) -> set[str]:
    return {k["kid"] for k in http.get(JWKS).get_json()["keys"]}


def test_the_list_shows_lifecycle_facts_and_no_private_material(admin: AdminHttp) -> None:
    keys = listed(admin)
    assert {k["alg"] for k in keys} == {"RS256", "ES256"}
    assert all(set(k) == FIELDS for k in keys), f"exactly the public facts: {keys}"
    assert all(k["status"] == "active" and k["activates_at"] and k["created_at"]
               for k in keys)
    raw = admin.get(KEYS).get_data(as_text=True)
    for secret_part in ('"d"', '"p"', '"q"', "private", "sealed"):
        assert secret_part not in raw, f"{secret_part} must never be answered"


def test_keys_page_by_cursor(admin: AdminHttp) -> None:
    admin.post(f"{KEYS}:rotate", json={})  # two more keys
    seen = [k["kid"] for k in every_page(admin, KEYS, 1)]
    assert len(seen) == len(set(seen)) == 4, "every key once"


def test_rotation_publishes_first_and_signs_after_the_lead(
        admin: AdminHttp, http: FlaskClient, clock: Clock, runtime: Runtime) -> None:
    response = admin.post(f"{KEYS}:rotate", json={"algs": ["ES256"]})
    assert response.status_code == 200, response.get_json()
    [new] = response.get_json()["keys"]
    assert (new["alg"], new["status"]) == ("ES256", "published")
    assert new["kid"] in published_kids(http), "a new key is in JWKS before it signs"
    statuses = {k["kid"]: k["status"] for k in listed(admin)}
    assert statuses[new["kid"]] == "published"
    again = admin.post(f"{KEYS}:rotate", json={"algs": ["ES256"]})
    assert again.status_code == 409 and error_code(again) == "conflict", \
        "a second rotation while one is scheduled"
    assert [e.actor for e in audit_events(runtime, "keys.rotated")] == ["client:admin"]


def test_immediate_rotation_signs_at_once(admin: AdminHttp) -> None:
    body = admin.post(f"{KEYS}:rotate", json={"algs": ["RS256"], "immediate": True}
                      ).get_json()
    assert [k["status"] for k in body["keys"]] == ["active"]
    old = [k for k in listed(admin) if k["alg"] == "RS256" and k["kid"] != body["keys"][0]["kid"]]
    assert [k["status"] for k in old] == ["retired"]


def test_revocation_withdraws_the_key_and_a_second_one_is_409(
        admin: AdminHttp, http: FlaskClient, runtime: Runtime) -> None:
    rs256 = next(k for k in listed(admin) if k["alg"] == "RS256")
    response = admin.post(f"{KEYS}/{rs256['kid']}:revoke")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["kid"] == rs256["kid"]
    assert body["replacement"]["alg"] == "RS256" and body["replacement"]["status"] == "active"
    assert rs256["kid"] not in published_kids(http), "out of JWKS at once"
    assert {k["kid"]: k["status"] for k in listed(admin)}[rs256["kid"]] == "revoked"
    twice = admin.post(f"{KEYS}/{rs256['kid']}:revoke")
    assert twice.status_code == 409 and error_code(twice) == "conflict"
    assert [e.target for e in audit_events(runtime, "key.revoked")] == [rs256["kid"]]


@pytest.mark.parametrize("kid", ["no-such-kid", "x" * 65])
def test_revoking_an_unknown_key_is_404(admin: AdminHttp, kid: str) -> None:
    response = admin.post(f"{KEYS}/{kid}:revoke")
    assert response.status_code == 404 and error_code(response) == "not_found"


@pytest.mark.parametrize(("body", "field"), [
    ({"algs": ["HS256"]}, "algs"), ({"algs": "ES256"}, "algs"),
    ({"immediate": "soon"}, "immediate"), ({"everything": True}, "everything")])
def test_a_bad_rotation_is_400_naming_the_field(admin: AdminHttp, body: dict[str, Any],
                                                field: str) -> None:
    response = admin.post(f"{KEYS}:rotate", json=body)
    assert response.status_code == 400 and error_code(response) == "invalid_input"
    assert field in response.get_json()["error"]["details"]["json"]
    assert len(listed(admin)) == 2, "a refused rotation makes no key"


@pytest.mark.parametrize("query", ["?cursor=bm9wZQ", "?cursor=InMi", "?limit=201"])
def test_bad_paging_input_is_400(admin: AdminHttp, query: str) -> None:
    response = admin.get(KEYS + query)
    assert response.status_code == 400
    assert error_code(response) in ("invalid_cursor", "invalid_input")


def test_another_tenants_admin_and_a_reader_are_refused(http: FlaskClient, runtime: Runtime,
                                                        admin: AdminHttp) -> None:
    kid = listed(admin)[0]["kid"]
    other = as_admin(http, runtime, "globex")
    for response in (other.get(KEYS), other.post(f"{KEYS}:rotate", json={}),
                     other.post(f"{KEYS}/{kid}:revoke")):
        assert response.status_code == 403 and error_code(response) == "forbidden"
    reader = as_admin(http, runtime, "acme", "reader", scopes=("admin:read",))
    assert reader.get(KEYS).status_code == 200
    for response in (reader.post(f"{KEYS}:rotate", json={}),
                     reader.post(f"{KEYS}/{kid}:revoke")):
        assert response.status_code == 403 and error_code(response) == "forbidden"
    assert {k["status"] for k in listed(admin)} == {"active"}, "nothing changed"
