"""Admin API: a tenant's dynamic registration settings and initial access tokens
(``/tenants/{slug}/registration``, ``/tenants/{slug}/registration-tokens``), and that a
token created here registers a client at ``{issuer}/register``."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives.asymmetric import ec
from flask.testing import FlaskClient
from jwcrypto.jwk import JWK

from authserver.runtime import Runtime
from tests.support.admin_api import AdminHttp, as_admin, error_code
from tests.support.oauth import ISSUER_PATH, REDIRECT
from tests.support.tokens import audit_events

SETTINGS = "/tenants/acme/registration"
TOKENS = "/tenants/acme/registration-tokens"
ISSUERS = "/tenants/acme/registration/software-statement-issuers"


def _jwks() -> dict[str, object]:
    key = JWK.from_pyca(ec.generate_private_key(ec.SECP256R1()))
    return {"keys": [{**json.loads(key.export_private()), "kid": "d1"}]}


def test_settings_start_off_and_change_with_if_match(admin: AdminHttp, http: FlaskClient,
                                                     runtime: Runtime) -> None:
    response = admin.get(SETTINGS)
    assert response.status_code == 200
    assert response.get_json() == {"mode": "off", "requires_software_statement": False,
                                   "software_statement_issuers": []}
    assert admin.patch(SETTINGS, json={"mode": "open"}).status_code == 428, \
        "a change without If-Match must be refused"
    changed = admin.patch(SETTINGS, json={"mode": "open"}, etag=admin.etag_of(SETTINGS))
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["mode"] == "open"
    document = http.get(f"{ISSUER_PATH}/.well-known/openid-configuration").get_json()
    assert document["registration_endpoint"].endswith("/t/acme/register")
    assert any(e.details.get("registration_mode") == "open"
               for e in audit_events(runtime, "tenant.updated"))


def test_bad_settings_are_400_invalid_input(admin: AdminHttp) -> None:
    etag = admin.etag_of(SETTINGS)
    for body in ({"mode": "sometimes"}, {"unknown": 1}, {"requires_software_statement": "x"}):
        response = admin.patch(SETTINGS, json=body, etag=etag)
        assert (response.status_code, error_code(response)) == (400, "invalid_input"), body
    required = admin.patch(SETTINGS, json={"requires_software_statement": True}, etag=etag)
    assert (required.status_code, error_code(required)) == (400, "invalid_input"), \
        "requiring a statement with no trusted issuer must be refused"


def test_software_statement_issuers_are_added_and_removed(admin: AdminHttp) -> None:
    added = admin.post(ISSUERS, json={"issuer": "https://directory.example", "jwks": _jwks()})
    assert added.status_code == 200, added.get_json()
    assert added.get_json()["software_statement_issuers"] == ["https://directory.example"]
    bad = admin.post(ISSUERS, json={"issuer": "https://d.example", "jwks": {"keys": []}})
    assert (bad.status_code, error_code(bad)) == (400, "invalid_input")
    removed = admin.delete(ISSUERS, query_string={"issuer": "https://directory.example"})
    assert removed.status_code == 200 and removed.get_json()["software_statement_issuers"] == []
    again = admin.delete(ISSUERS, query_string={"issuer": "https://directory.example"})
    assert (again.status_code, error_code(again)) == (400, "invalid_input")


def test_tokens_are_created_listed_paged_and_revoked(admin: AdminHttp, http: FlaskClient,
                                                     runtime: Runtime) -> None:
    admin.patch(SETTINGS, json={"mode": "initial-access-token"}, etag=admin.etag_of(SETTINGS))
    created = admin.post(TOKENS, json={"expires_in": 3600, "description": "partner"})
    assert created.status_code == 201, created.get_json()
    token = created.get_json()
    assert token["token"] and token["max_uses"] == 1 and token["state"] == "live"
    for _ in range(2):
        assert admin.post(TOKENS, json={"max_uses": None}).status_code == 201

    first = admin.get(TOKENS, query_string={"limit": 2}).get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    assert all("token" not in item for item in first["items"])
    rest = admin.get(TOKENS, query_string={"limit": 2, "cursor": first["next_cursor"]}).get_json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    ids = [t["token_id"] for t in first["items"] + rest["items"]]
    assert ids == sorted(ids) and token["token_id"] in ids

    registered = http.post(f"{ISSUER_PATH}/register", json={"redirect_uris": [REDIRECT]},
                           headers={"Authorization": f"Bearer {token['token']}"})
    assert registered.status_code == 201, registered.get_json()

    revoked = admin.delete(f"{TOKENS}/{token['token_id']}")
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"
    missing = admin.delete(f"{TOKENS}/iat_nope")
    assert (missing.status_code, error_code(missing)) == (404, "not_found")
    assert [e.target for e in audit_events(runtime, "dcr.token_revoked")] == [token["token_id"]]


def test_bad_token_requests_are_400(admin: AdminHttp) -> None:
    for body in ({"expires_in": 0}, {"expires_in": 10**9}, {"max_uses": 0},
                 {"description": ""}, {"token": "mine"}):
        response = admin.post(TOKENS, json=body)
        assert (response.status_code, error_code(response)) == (400, "invalid_input"), body
    bad_cursor = admin.get(TOKENS, query_string={"cursor": "!!"})
    assert (bad_cursor.status_code, error_code(bad_cursor)) == (400, "invalid_cursor")


def test_another_tenants_admin_cannot_read_or_change_acme(admin: AdminHttp, http: FlaskClient,
                                                          runtime: Runtime) -> None:
    other = as_admin(http, runtime, "globex")
    for response in (other.get(SETTINGS), other.get(TOKENS), other.post(TOKENS, json={}),
                     other.post(ISSUERS, json={"issuer": "https://x.example", "jwks": _jwks()})):
        assert (response.status_code, error_code(response)) == (403, "forbidden")


def test_a_reader_cannot_create_tokens(http: FlaskClient, runtime: Runtime,
                                       admin: AdminHttp) -> None:
    reader = as_admin(http, runtime, "acme", "reader", scopes=("admin:read",))
    assert reader.get(TOKENS).status_code == 200
    response = reader.post(TOKENS, json={})
    assert (response.status_code, error_code(response)) == (403, "forbidden")
