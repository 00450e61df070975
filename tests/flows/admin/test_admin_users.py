"""Admin API users (Deliver 1, 5): list with cursor, search and status; create (with a
password, without, invited); GET/PATCH with ETag/If-Match; DELETE; :disable, :enable,
:set-password under the tenant's rules, :reset-factors, :end-sessions, :invite; email and
phone masked without users:read:pii; every error path with its status and code."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime, admin_context
from authserver.services import role_admin
from authserver.services.roles import RoleSpec
from tests.support.admin_api import AdminHttp, as_admin, error_code
from tests.support.oauth import World
from tests.support.tokens import audit_events, expect_error, refresh, user_tokens

U = "/tenants/acme/users"
PASSWORD = "correct horse battery staple"
NO_PII = ("admin:read", "admin:write")


@pytest.fixture
def no_pii(http: FlaskClient, runtime: Runtime, world: World) -> AdminHttp:
    return as_admin(http, runtime, "acme", "nopii", scopes=NO_PII)


def create(admin: AdminHttp, **body: Any) -> dict[str, Any]:
    response = admin.post(U, json=body)
    assert response.status_code == 201, f"create {body}: {response.get_json()}"
    return response.get_json()


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, \
        f"expected {status} {code}, got {response.status_code}: {response.get_json()}"
    assert error_code(response) == code, response.get_json()
    return response.get_json()["error"]


# --- create, read, list ----------------------------------------------------------------

def test_create_with_a_password_then_get_it(admin: AdminHttp, runtime: Runtime) -> None:
    bob = create(admin, email="Bob@Example.com", given_name="Bob", phone="+1 555 123 4567",
                 password=PASSWORD)
    assert (bob["email"], bob["phone"], bob["password_set"], bob["invitation"]) == (
        "bob@example.com", "+15551234567", True, None)
    got = admin.get(f"{U}/{bob['sub']}")
    assert got.status_code == 200 and got.headers.get("ETag")
    assert got.get_json()["given_name"] == "Bob"
    assert "password_hash" not in got.get_json()
    assert any(e.target == bob["sub"] for e in audit_events(runtime, "user.created"))


def test_create_invited_mails_a_link(admin: AdminHttp) -> None:
    ivy = create(admin, email="ivy@example.com", invite=True)
    assert ivy["invitation_pending"] is True and ivy["password_set"] is False
    assert ivy["invitation"]["sent"] in (True, False)  # the console sender of tests
    refused(admin.post(U, json={"email": "x@example.com", "invite": True,
                                "password": PASSWORD}), 400, "invalid_input")


def test_create_refusals(admin: AdminHttp) -> None:
    create(admin, email="bob@example.com")
    refused(admin.post(U, json={"email": "BOB@example.com"}), 409, "conflict")
    refused(admin.post(U, json={"email": "not-an-email"}), 400, "invalid_input")
    refused(admin.post(U, json={"email": "c@example.com", "phone": "12"}), 400,
            "invalid_input")
    refused(admin.post(U, json={"email": "c@example.com", "shoe_size": 9}), 400,
            "invalid_input")
    refused(admin.post(U, json={}), 400, "invalid_input")
    weak = refused(admin.post(U, json={"email": "c@example.com", "password": "password1"}),
                   400, "password_refused")
    assert weak["details"]["reasons"][0]["code"].startswith("AUTH-30"), weak
    refused(admin.post("/tenants/nope/users", json={"email": "c@example.com"}), 403,
            "forbidden")  # not the caller's tenant: existence is not told


def test_list_pages_with_a_cursor_and_filters(admin: AdminHttp) -> None:
    for name in ("bob", "carol", "dan"):
        create(admin, email=f"{name}@example.com", given_name=name.title())
    first = admin.get(U, query_string={"limit": 2}).get_json()
    assert [u["email"] for u in first["items"]] == ["ann@example.com", "bob@example.com"]
    rest = admin.get(U, query_string={"limit": 2, "cursor": first["next_cursor"]}).get_json()
    assert [u["email"] for u in rest["items"]] == ["carol@example.com", "dan@example.com"]
    assert rest["next_cursor"] is None
    assert [u["email"] for u in admin.get(U, query_string={"q": "CAR"}).get_json()["items"]] \
        == ["carol@example.com"]
    dan = admin.get(U, query_string={"q": "dan@"}).get_json()["items"][0]
    assert admin.post(f"{U}/{dan['sub']}:disable").status_code == 200
    disabled = admin.get(U, query_string={"status": "disabled"}).get_json()["items"]
    assert [u["email"] for u in disabled] == ["dan@example.com"]
    refused(admin.get(U, query_string={"cursor": "!!"}), 400, "invalid_cursor")
    refused(admin.get(U, query_string={"status": "gone"}), 400, "invalid_input")
    refused(admin.get(U, query_string={"limit": 0}), 400, "invalid_input")
    refused(admin.get(U, query_string={"colour": "red"}), 400, "invalid_input")


# --- PII masking -----------------------------------------------------------------------

def test_email_and_phone_are_masked_without_users_read_pii(admin: AdminHttp,
                                                           no_pii: AdminHttp) -> None:
    bob = create(admin, email="bob.smith@example.com", phone="+447700900834")
    path = f"{U}/{bob['sub']}"
    assert (admin.get(path).get_json()["email"], admin.get(path).get_json()["phone"]) == (
        "bob.smith@example.com", "+447700900834"), "users:read:pii sees everything"
    masked = no_pii.get(path).get_json()
    assert (masked["email"], masked["phone"]) == ("b•••h@example.com", "+44•••••••34")
    listed = {u["sub"]: u for u in no_pii.get(U).get_json()["items"]}
    assert listed[bob["sub"]]["email"] == "b•••h@example.com"
    created = no_pii.post(U, json={"email": "carol@example.com"}).get_json()
    assert created["email"] == "c•••l@example.com", "a create response is masked too"
    patched = no_pii.patch(path, json={"given_name": "Bob"}, etag=no_pii.etag_of(path))
    assert patched.status_code == 200 and patched.get_json()["email"] == "b•••h@example.com"
    assert no_pii.post(f"{path}:disable").get_json()["phone"] == "+44•••••••34"


def test_search_by_email_works_without_pii_but_only_for_the_whole_address(
        admin: AdminHttp, no_pii: AdminHttp) -> None:
    create(admin, email="bob.smith@example.com")

    def found(who: AdminHttp, q: str) -> list[str]:
        return [u["email"] for u in who.get(U, query_string={"q": q}).get_json()["items"]]

    assert found(no_pii, "Bob.Smith@example.com") == ["b•••h@example.com"]
    assert found(no_pii, "bob.s") == [], \
        "a partial address must not match: it would spell the address out"
    assert found(admin, "bob.s") == ["bob.smith@example.com"]


# --- PATCH with If-Match --------------------------------------------------------------

def test_patch_needs_if_match_and_changes_fields(admin: AdminHttp, world: World) -> None:
    path = f"{U}/{world.user_sub}"
    refused(admin.patch(path, json={"given_name": "Anne"}), 428, "precondition_required")
    refused(admin.patch(path, json={"given_name": "Anne"}, etag='"stale"'), 412,
            "precondition_failed")
    etag = admin.etag_of(path)
    changed = admin.patch(path, json={"given_name": "Anne", "username": None,
                                      "phone": "+15551234567"}, etag=etag)
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert (body["given_name"], body["username"], body["phone"]) == ("Anne", None,
                                                                     "+15551234567")
    refused(admin.patch(path, json={"family_name": "X"}, etag=etag), 412,
            "precondition_failed")
    etag = admin.etag_of(path)
    refused(admin.patch(path, json={}, etag=etag), 400, "invalid_input")
    refused(admin.patch(path, json={"email": "bad"}, etag=etag), 400, "invalid_input")
    refused(admin.patch(path, json={"sub": "x"}, etag=etag), 400, "invalid_input")
    other = create(admin, email="bob@example.com")
    refused(admin.patch(path, json={"email": other["email"]}, etag=etag), 409, "conflict")
    refused(admin.patch(f"{U}/nobody", json={"given_name": "X"}, etag=etag), 404,
            "not_found")


# --- actions ---------------------------------------------------------------------------

def test_disable_enable_and_unknown_users(admin: AdminHttp, world: World) -> None:
    path = f"{U}/{world.user_sub}"
    assert admin.post(f"{path}:disable").get_json()["disabled"] is True
    assert admin.post(f"{path}:enable").get_json()["disabled"] is False
    for action in (":disable", ":enable", ":reset-factors", ":end-sessions", ":invite"):
        refused(admin.post(f"{U}/nobody{action}"), 404, "not_found")
    refused(admin.get(f"{U}/nobody"), 404, "not_found")
    refused(admin.delete(f"{U}/nobody"), 404, "not_found")


def test_set_password_applies_the_tenant_rules_with_their_codes(admin: AdminHttp,
                                                                 world: World) -> None:
    path = f"{U}/{world.user_sub}:set-password"
    assert admin.post(path, json={"password": "a much longer passphrase 42"}).status_code \
        == 204
    short = refused(admin.post(path, json={"password": "short"}), 400, "password_refused")
    assert [r["name"] for r in short["details"]["reasons"]] == ["password_too_short"]
    assert short["details"]["reasons"][0]["code"] == "AUTH-3001"
    breached = refused(admin.post(path, json={"password": "password123456"}), 400,
                       "password_refused")
    assert breached["details"]["reasons"][0]["name"] in ("password_breached",
                                                        "password_common_base")
    refused(admin.post(path, json={}), 400, "invalid_input")
    refused(admin.post(path, json={"password": "x" * 2000}), 400, "invalid_input")


def test_end_sessions_and_reset_factors_end_what_the_user_holds(
        admin: AdminHttp, world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world, scope="openid offline_access")
    ended = admin.post(f"{U}/{world.user_sub}:end-sessions")
    assert ended.status_code == 200 and len(ended.get_json()["sids"]) == 1
    reset = admin.post(f"{U}/{world.user_sub}:reset-factors")
    assert reset.status_code == 200, reset.get_json()
    assert reset.get_json()["removed"]["grants_revoked"] == 1, \
        "an offline grant a lost device holds must be revoked"
    expect_error(refresh(http, tokens.refresh_token, world.web_id, world.web_secret), 400,
                 "invalid_grant", "after :reset-factors")


def test_invite_a_user_without_a_password(admin: AdminHttp, world: World) -> None:
    ivy = create(admin, email="ivy@example.com")
    invited = admin.post(f"{U}/{ivy['sub']}:invite")
    assert invited.status_code == 200, invited.get_json()
    assert invited.get_json()["invitation"]["expires_at"]
    refused(admin.post(f"{U}/{world.user_sub}:invite"), 409, "conflict")


def test_delete_removes_the_user(admin: AdminHttp, world: World, http: FlaskClient,
                                 runtime: Runtime) -> None:
    tokens = user_tokens(http, world, scope="openid offline_access")
    ctx = admin_context(runtime, "test")
    role_admin.create_role(ctx, "acme", RoleSpec("support"))
    role_admin.grant_role(ctx, "acme", "support", sub=world.user_sub)
    assert admin.delete(f"{U}/{world.user_sub}").status_code == 204, \
        "a user holding a role is deleted too (user_roles cascades)"
    refused(admin.get(f"{U}/{world.user_sub}"), 404, "not_found")
    expect_error(refresh(http, tokens.refresh_token, world.web_id, world.web_secret), 400,
                 "invalid_grant", "the deleted user's refresh token")
    assert [e.target for e in audit_events(runtime, "user.deleted")] == [world.user_sub]
    assert audit_events(runtime, "user.deleted")[0].actor == "client:admin"


def test_a_reader_cannot_change_users_and_another_tenant_cannot_see_them(
        http: FlaskClient, runtime: Runtime, world: World) -> None:
    reader = as_admin(http, runtime, "acme", "reader", scopes=("admin:read",))
    assert reader.get(U).status_code == 200
    refused(reader.post(U, json={"email": "x@example.com"}), 403, "forbidden")
    refused(reader.post(f"{U}/{world.user_sub}:disable"), 403, "forbidden")
    refused(reader.delete(f"{U}/{world.user_sub}"), 403, "forbidden")
    other = as_admin(http, runtime, "globex")
    refused(other.get(U), 403, "forbidden")
    refused(other.get(f"{U}/{world.user_sub}"), 403, "forbidden")
