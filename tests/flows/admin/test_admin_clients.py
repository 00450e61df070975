"""Admin API clients (Deliver 1): list by cursor, register (the secret in that answer
only), read with an ETag, change every registration field under If-Match keeping the
secret, delete, rotate the secret with an overlap — and each error path's status and
code. The secrets are checked where they matter, at the real token endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from jwcrypto.jwk import JWK

from authserver.runtime import Runtime
from tests.conftest import Clock
from tests.support.admin_api import AdminHttp, as_admin, error_code
from tests.support.oauth import World, basic
from tests.support.tokens import TOKEN, audit_events

CLIENTS = "/tenants/acme/clients"
SERVICE = {"name": "Billing", "client_id": "billing", "grant_types": ["client_credentials"],
           "scope": "billing:read"}


def token_status(http: FlaskClient, client_id: str, secret: str) -> int:
    return http.post(TOKEN, headers=basic(client_id, secret),
                     data={"grant_type": "client_credentials"}).status_code


def create(admin: AdminHttp, body: dict[str, Any] = SERVICE) -> dict[str, Any]:
    response = admin.post(CLIENTS, json=body)
    assert response.status_code == 201, response.get_json()
    created: dict[str, Any] = response.get_json()
    return created


def field_refused(response: Any, field: str, status: int = 400) -> None:
    body = response.get_json()
    assert response.status_code == status, body
    assert error_code(response) == "invalid_input", body
    details = body["error"]["details"]
    assert field in details or field in details.get("json", {}), \
        f"the error must name {field!r}: {body}"


def jwks() -> dict[str, Any]:
    return {"keys": [JWK.generate(kty="EC", crv="P-256").export_public(as_dict=True)]}


# --- list, create, read --------------------------------------------------------------

def every_page(admin: AdminHttp, path: str, limit: int) -> list[dict[str, Any]]:
    """Every item of a list, page by page, following ``next_cursor``."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = admin.get(f"{path}?limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert len(body["items"]) <= limit, f"a page holds at most limit={limit} items"
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_clients_page_by_cursor_without_secrets(admin: AdminHttp) -> None:
    items = every_page(admin, CLIENTS, 2)
    assert all("client_secret" not in c for c in items), "never a secret"
    assert [c["client_id"] for c in items] == ["web", "spa", "service", "admin"], \
        "every client once, in registration order"


def test_a_registration_answers_the_secret_once_and_it_works(
        admin: AdminHttp, http: FlaskClient, runtime: Runtime) -> None:
    created = create(admin)
    assert created["client_id"] == "billing" and len(created["client_secret"]) >= 43
    assert created["token_endpoint_auth_method"] == "client_secret_basic"
    shown = admin.get(f"{CLIENTS}/billing")
    assert shown.status_code == 200 and shown.headers.get("ETag")
    assert "client_secret" not in shown.get_json(), "a read never shows the secret"
    assert shown.get_json() == {k: v for k, v in created.items() if k != "client_secret"}
    assert token_status(http, "billing", created["client_secret"]) == 200
    assert any(e.actor == "client:admin" for e in audit_events(runtime, "client.created"))


def test_a_public_client_gets_no_secret(admin: AdminHttp) -> None:
    created = create(admin, {"name": "SPA 2", "public": True,
                             "redirect_uris": ["https://spa2.example/cb"],
                             "web_origins": ["https://spa2.example"]})
    assert created["client_secret"] is None and created["public"] is True
    assert created["require_pkce"] is True and created["application_type"] == "web"


def test_a_taken_client_id_is_409(admin: AdminHttp) -> None:
    response = admin.post(CLIENTS, json={**SERVICE, "client_id": "web"})
    assert response.status_code == 409 and error_code(response) == "conflict"


@pytest.mark.parametrize(("body", "field"), [
    ({"grant_types": ["client_credentials"], "scope": "x"}, "name"),
    ({**SERVICE, "colour": "blue"}, "colour"),
    ({**SERVICE, "grant_types": ["password"]}, "grant_types"),
    ({**SERVICE, "scope": None}, "scope"),
    ({"name": "S", "grant_types": ["client_credentials"]}, "scope"),
    ({"name": "W", "redirect_uris": ["HTTPS://App.example/cb"]}, "redirect_uris"),
    ({"name": "W", "redirect_uris": ["https://app.example/cb#frag"]}, "redirect_uris"),
    ({"name": "W", "redirect_uris": ["https://app.example/cb"],
      "post_logout_redirect_uris": ["javascript:alert(1)"]}, "post_logout_redirect_uris"),
    ({**SERVICE, "token_endpoint_auth_method": "private_key_jwt"},
     "token_endpoint_auth_method"),
    ({**SERVICE, "jwks": {"keys": "nope"}}, "jwks"),
    ({**SERVICE, "id_token_signed_response_alg": "HS256"}, "id_token_signed_response_alg"),
    ({**SERVICE, "refresh_token_idle_ttl": 0}, "refresh_token_idle_ttl"),
    ({**SERVICE, "client_id": "has space"}, "client_id"),
    ({"name": "W", "public": True, "redirect_uris": ["https://a.example/cb"],
      "web_origins": ["https://a.example/path"]}, "web_origins"),
])
def test_a_bad_registration_is_400_naming_the_field(admin: AdminHttp, body: dict[str, Any],
                                                    field: str) -> None:
    field_refused(admin.post(CLIENTS, json=body), field)
    listed = [c["client_id"] for c in admin.get(CLIENTS).get_json()["items"]]
    assert listed == ["web", "spa", "service", "admin"], "a refusal registers nothing"


def test_an_unknown_client_is_404(admin: AdminHttp) -> None:
    for response in (admin.get(f"{CLIENTS}/nope"),
                     admin.patch(f"{CLIENTS}/nope", json={"name": "x"}, etag='"x"'),
                     admin.delete(f"{CLIENTS}/nope", etag='"x"'),
                     admin.post(f"{CLIENTS}/nope:rotate-secret", json={})):
        assert response.status_code == 404, response.get_json()
        assert error_code(response) == "not_found"


@pytest.mark.parametrize("query", ["?cursor=bm9wZQ", "?cursor=InMi", "?limit=0", "?x=1"])
def test_bad_paging_input_is_400(admin: AdminHttp, query: str) -> None:
    response = admin.get(CLIENTS + query)
    assert response.status_code == 400, response.get_json()
    assert error_code(response) in ("invalid_cursor", "invalid_input")


# --- change --------------------------------------------------------------------------

def test_a_change_needs_if_match_and_a_stale_one_is_412(admin: AdminHttp) -> None:
    missing = admin.patch(f"{CLIENTS}/web", json={"name": "New"})
    assert missing.status_code == 428 and error_code(missing) == "precondition_required"
    stale = admin.etag_of(f"{CLIENTS}/web")
    assert admin.patch(f"{CLIENTS}/web", json={"name": "First"}, etag=stale).status_code == 200
    late = admin.patch(f"{CLIENTS}/web", json={"name": "Second"}, etag=stale)
    assert late.status_code == 412 and error_code(late) == "precondition_failed"
    assert admin.get(f"{CLIENTS}/web").get_json()["name"] == "First"


def test_a_change_of_every_field_keeps_the_secret(admin: AdminHttp, http: FlaskClient,
                                                  world: World, runtime: Runtime) -> None:
    change = {
        "name": "Renamed", "grant_types": ["authorization_code", "refresh_token",
                                           "client_credentials"],
        "redirect_uris": ["https://new.example/cb"],
        "post_logout_redirect_uris": ["https://new.example/bye"],
        "scope": "openid email offline_access stores:read",
        "token_endpoint_auth_method": "client_secret_post", "first_party": True,
        "require_pkce": False, "require_state": False,
        "id_token_signed_response_alg": "PS256", "access_token_signed_response_alg": "RS256",
        "web_origins": ["https://new.example"], "application_type": "web",
        "refresh_token_idle_ttl": 3600, "refresh_token_absolute_ttl": 86400,
        "backchannel_logout_uri": "https://new.example/bcl",
        "backchannel_logout_session_required": True, "explicit_errors": True}
    response = admin.patch(f"{CLIENTS}/web", json=change, etag=admin.etag_of(f"{CLIENTS}/web"))
    body = response.get_json()
    assert response.status_code == 200, body
    assert {k: body[k] for k in change} == change
    assert "client_secret" not in body, "a change keeps the secret and never shows it"
    assert response.headers["ETag"] == admin.etag_of(f"{CLIENTS}/web"), \
        "the answer's ETag is the new state's"
    posted = http.post(TOKEN, data={"grant_type": "client_credentials", "client_id": "web",
                                    "client_secret": world.web_secret})
    assert posted.status_code == 200, "the kept secret works with the new method at once"
    assert any(e.actor == "client:admin" and e.details["changed"]
               for e in audit_events(runtime, "client.updated"))


def test_null_clears_refresh_limits_and_back_channel_logout(admin: AdminHttp) -> None:
    etag = admin.etag_of(f"{CLIENTS}/web")
    admin.patch(f"{CLIENTS}/web", etag=etag, json={
        "refresh_token_idle_ttl": 3600, "backchannel_logout_uri": "https://app.example/bcl"})
    body = admin.patch(f"{CLIENTS}/web", etag=admin.etag_of(f"{CLIENTS}/web"), json={
        "refresh_token_idle_ttl": None, "backchannel_logout_uri": None}).get_json()
    assert (body["refresh_token_idle_ttl"], body["backchannel_logout_uri"]) == (None, None)


def test_leaving_and_taking_up_a_secret_method(admin: AdminHttp, http: FlaskClient,
                                               world: World) -> None:
    path = f"{CLIENTS}/service"
    to_jwt = admin.patch(path, etag=admin.etag_of(path), json={
        "token_endpoint_auth_method": "private_key_jwt", "jwks": jwks()})
    assert to_jwt.status_code == 200, to_jwt.get_json()
    assert "client_secret" not in to_jwt.get_json()
    assert token_status(http, "service", world.service_secret) == 401, \
        "the dropped secret must stop working at once"
    back = admin.patch(path, etag=admin.etag_of(path),
                       json={"token_endpoint_auth_method": "client_secret_basic"})
    body = back.get_json()
    assert back.status_code == 200 and body["client_secret"], "a new secret, once"
    assert body["jwks"] is None
    assert "client_secret" not in admin.get(path).get_json()
    assert token_status(http, "service", body["client_secret"]) == 200


@pytest.mark.parametrize(("change", "field"), [
    ({"redirect_uris": ["https://app.example/cb#x"]}, "redirect_uris"),
    ({"token_endpoint_auth_method": "none"}, "token_endpoint_auth_method"),
    ({"grant_types": []}, "grant_types"),
    ({"grant_types": ["client_credentials"]}, "scope"),
    ({"scope": ""}, "scope"),
    ({"name": ""}, "name"),
    ({"jwks": jwks()}, "jwks"),
    ({"refresh_token_idle_ttl": -5}, "refresh_token_idle_ttl"),
    ({"explicit_errors": "maybe"}, "explicit_errors"),
    ({"client_id": "renamed"}, "client_id"),
    ({"public": True}, "public"),
])
def test_a_bad_change_is_400_naming_the_field_and_changes_nothing(
        admin: AdminHttp, change: dict[str, Any], field: str) -> None:
    before = admin.get(f"{CLIENTS}/web").get_json()
    field_refused(admin.patch(f"{CLIENTS}/web", json=change,
                              etag=admin.etag_of(f"{CLIENTS}/web")), field)
    assert admin.get(f"{CLIENTS}/web").get_json() == before


# --- delete --------------------------------------------------------------------------

def test_delete_needs_if_match_and_ends_the_client(admin: AdminHttp, http: FlaskClient,
                                                   world: World) -> None:
    path = f"{CLIENTS}/service"
    assert admin.delete(path).status_code == 428
    assert token_status(http, "service", world.service_secret) == 200  # cached now
    response = admin.delete(path, etag=admin.etag_of(path))
    assert response.status_code == 204 and response.data == b""
    assert admin.get(path).status_code == 404
    assert token_status(http, "service", world.service_secret) == 401, \
        "a deleted client gets no more tokens from the process that deleted it"


# --- rotate the secret ---------------------------------------------------------------

def test_rotation_overlaps_then_only_the_new_secret_works(
        admin: AdminHttp, http: FlaskClient, world: World, clock: Clock,
        runtime: Runtime) -> None:
    response = admin.post(f"{CLIENTS}/service:rotate-secret", json={"overlap_seconds": 3600})
    body = response.get_json()
    assert response.status_code == 200, body
    assert set(body) == {"client_id", "client_secret", "client_secret_expires_at",
                         "previous_secret_expires_at"}
    new = body["client_secret"]
    assert token_status(http, "service", world.service_secret) == 200, "old, in the overlap"
    assert token_status(http, "service", new) == 200, "new, at once"
    shown = admin.get(f"{CLIENTS}/service").get_json()
    assert shown["previous_secret_expires_at"] == body["previous_secret_expires_at"]
    assert "client_secret" not in shown
    clock.advance(seconds=3600)
    assert token_status(http, "service", world.service_secret) == 401, "old, after it"
    assert token_status(http, "service", new) == 200
    events = audit_events(runtime, "client.secret_rotated")
    assert [e.actor for e in events] == ["client:admin"]
    assert new not in repr(events[0].details)


def test_rotation_with_overlap_0_and_an_expiry(admin: AdminHttp, http: FlaskClient,
                                               world: World, clock: Clock) -> None:
    body = admin.post(f"{CLIENTS}/service:rotate-secret",
                      json={"overlap_seconds": 0, "expires_in_seconds": 600}).get_json()
    assert body["previous_secret_expires_at"] is None and body["client_secret_expires_at"]
    assert token_status(http, "service", world.service_secret) == 401
    assert token_status(http, "service", body["client_secret"]) == 200
    shown = admin.get(f"{CLIENTS}/service").get_json()
    assert shown["client_secret_expires_at"] == body["client_secret_expires_at"]
    clock.advance(seconds=600)
    assert token_status(http, "service", body["client_secret"]) == 401, "expired"


def test_the_default_overlap_is_a_day(admin: AdminHttp) -> None:
    body = admin.post(f"{CLIENTS}/service:rotate-secret", json={}).get_json()
    assert body["previous_secret_expires_at"] is not None


@pytest.mark.parametrize(("body", "field"), [
    ({"overlap_seconds": -1}, "overlap_seconds"),
    ({"overlap_seconds": 31 * 86400}, "overlap_seconds"),
    ({"overlap_seconds": "a day"}, "overlap_seconds"),
    ({"expires_in_seconds": 0}, "expires_in_seconds"),
    ({"overlap": 60}, "overlap"),
])
def test_a_bad_rotation_is_400_naming_the_field(admin: AdminHttp, body: dict[str, Any],
                                                field: str) -> None:
    field_refused(admin.post(f"{CLIENTS}/service:rotate-secret", json=body), field)


def test_a_client_without_a_secret_cannot_rotate_one(admin: AdminHttp) -> None:
    response = admin.post(f"{CLIENTS}/spa:rotate-secret", json={})
    assert response.status_code == 409 and error_code(response) == "conflict"


# --- who may ---------------------------------------------------------------------------

def test_another_tenants_admin_gets_403_for_every_operation(
        http: FlaskClient, runtime: Runtime, admin: AdminHttp) -> None:
    other = as_admin(http, runtime, "globex")
    for response in (other.get(CLIENTS), other.get(f"{CLIENTS}/web"),
                     other.post(CLIENTS, json=SERVICE),
                     other.patch(f"{CLIENTS}/web", json={"name": "x"}, etag='"x"'),
                     other.delete(f"{CLIENTS}/web", etag='"x"'),
                     other.post(f"{CLIENTS}/service:rotate-secret", json={})):
        assert response.status_code == 403, response.get_json()
        assert error_code(response) == "forbidden"
    assert admin.get(f"{CLIENTS}/web").get_json()["name"] == "Web", "nothing changed"


def test_a_reader_cannot_change_clients(http: FlaskClient, runtime: Runtime,
                                        admin: AdminHttp) -> None:
    reader = as_admin(http, runtime, "acme", "reader", scopes=("admin:read",))
    assert reader.get(CLIENTS).status_code == 200
    for response in (reader.post(CLIENTS, json=SERVICE),
                     reader.post(f"{CLIENTS}/service:rotate-secret", json={})):
        assert response.status_code == 403 and error_code(response) == "forbidden"


def test_the_claim_mapping_is_replaced_whole_and_null_removes_it(admin: AdminHttp) -> None:
    path = f"{CLIENTS}/web"
    mapping = {"roles": ["id_token", "access_token"], "attributes": {"department": "dept"}}
    body = admin.patch(path, etag=admin.etag_of(path), json={"claims": mapping}).get_json()
    assert body["claims"]["roles"] == ["id_token", "access_token"]
    assert body["claims"]["attributes"] == {"department": "dept"}
    assert admin.get(path).get_json()["claims"] == body["claims"]
    cleared = admin.patch(path, etag=admin.etag_of(path), json={"claims": None}).get_json()
    assert cleared["claims"] is None
    refused = admin.patch(path, etag=admin.etag_of(path),
                          json={"claims": {"roles": ["everywhere"]}})
    field_refused(refused, "claims.roles")
