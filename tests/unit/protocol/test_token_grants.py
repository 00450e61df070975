"""The token endpoint's grants, driven through protocol/server.TokenServer over the fakes:
client credentials (RFC 6749 §4.4), code exchange (§4.1.3, RFC 7636 §4.6, RFC 9700 §4.5)
and refresh with rotation and reuse detection (§6, RFC 9700 §4.14.2)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest

from authserver.protocol import jws, pkce
from authserver.protocol.ports import ClientRecord, CodeRecord
from authserver.protocol.server import FormRequest
from authserver.protocol.tokens import ACCESS_TOKEN_TYP, digest
from tests.unit.protocol.fakes import (
    ISSUER,
    START,
    FakeApis,
    World,
    api,
    client,
    form_request,
    public_client,
    user,
    world,
)

VERIFIER = "correct-horse-battery-staple-" + "v" * 20
REDIRECT = "https://app.example/cb"
APP = ("app", "app-secret")
SOURCE = "203.0.113.7"


def token(w: World, form: dict[str, str], basic: tuple[str, str] | None = APP,
          resources: tuple[str, ...] = ()) -> tuple[int, dict[str, Any]]:
    status, body, headers = w.server.create_token_response(
        form_request(form, basic=basic, resources=resources, source=SOURCE))
    assert ("Cache-Control", "no-store") in headers, "RFC 6749 §5.1: token responses: no-store"
    return status, body


def access_claims(w: World, access_token: str) -> dict[str, Any]:
    return jws.verify(access_token, w.keys.published(), jws.SIGNING_ALGS,
                      expected_typ=ACCESS_TOKEN_TYP)


def refused(status: int, body: dict[str, Any], expected_status: int, error: str,
            description: str | None = None) -> None:
    got = (status, body.get("error"))
    assert got == (expected_status, error), f"expected {expected_status} {error}, got {got} {body}"
    if description is not None:
        assert body.get("error_description") == description, body


# --- client credentials: the hot path, which stores nothing ----------------------------------

def test_client_credentials_issue_a_jwt_for_the_client_and_store_nothing() -> None:
    w = world([client()])
    status, body = token(w, {"grant_type": "client_credentials"})
    assert status == 200, body
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 600,
                                                                       "stores:read"), (
        "without a scope parameter: every allowed scope a client may hold on its own")
    assert "refresh_token" not in body and "id_token" not in body
    claims = access_claims(w, body["access_token"])
    assert (claims["sub"], claims["client_id"], claims["aud"], claims["iss"]) == (
        "app", "app", ISSUER, ISSUER), "RFC 9068 §2.2: the client is the subject"
    assert w.store.access == {} and w.throttle.failures == [], "no write on the hot path"


def test_client_credentials_name_the_resources_as_audiences() -> None:
    apis = FakeApis([api("https://api.example/", "orders:read"), api("https://b.example/")])
    allowed = {"https://api.example/": frozenset({"orders:read"}),
               "https://b.example/": frozenset()}
    w = world([client(api_permissions=allowed)], apis=apis)
    status, body = token(w, {"grant_type": "client_credentials", "scope": "orders:read"},
                         resources=("https://api.example/", "https://b.example/"))
    assert status == 200, body
    assert access_claims(w, body["access_token"])["aud"] == ["https://api.example/",
                                                             "https://b.example/"]


CLIENT_CREDENTIALS_REFUSALS = [
    pytest.param({}, ("app", "wrong"), None, 401, "invalid_client",
                 "Client authentication failed.", [("app", SOURCE)], id="a wrong secret"),
    pytest.param({}, ("ghost", "x"), None, 401, "invalid_client",
                 "Client authentication failed.", [(None, SOURCE)],
                 id="an unknown client, counted without a client"),
    pytest.param({"client_id": "spa"}, None, public_client(
        grant_types=("client_credentials",)), 401, "invalid_client",
                 "Client authentication failed.", [],
                 id="a public client (nothing to guess, nothing counted)"),
    pytest.param({}, APP, client(grant_types=("authorization_code",)), 400,
                 "unauthorized_client", None, [], id="a client without the grant"),
    pytest.param({"scope": "openid"}, APP, None, 400, "invalid_scope",
                 "User scopes cannot be granted to client credentials", [],
                 id="a user scope"),
    pytest.param({"scope": "stores:write"}, APP, None, 400, "invalid_scope",
                 "The client may not request one or more of these scopes.", [],
                 id="a scope the client may not have"),
    pytest.param({"client_secret": "app-secret"}, APP, None, 400, "invalid_request",
                 "Use exactly one client authentication method.", [],
                 id="two authentication methods at once"),
    pytest.param({"client_id": "app", "client_secret": "app-secret"}, None,
                 None, 401, "invalid_client", "Client authentication failed.", [("app", SOURCE)],
                 id="client_secret_post from a client registered for basic"),
    pytest.param({"grant_type": None}, APP, None, 400, "invalid_request",
                 "Missing 'grant_type' in request.", [], id="no grant_type"),
    pytest.param({"grant_type": "password"}, APP, None, 400, "unsupported_grant_type",
                 "The grant_type is not supported.", [], id="the password grant"),
]


@pytest.mark.parametrize(("form", "basic", "registered", "status", "error", "description",
                          "counted"), CLIENT_CREDENTIALS_REFUSALS)
def test_client_credentials_refusals(
    form: dict[str, str | None], basic: tuple[str, str] | None, registered: ClientRecord | None,
    status: int, error: str, description: str | None, counted: list[tuple[str | None, str]],
) -> None:
    w = world([registered or client()])
    fields = {k: v for k, v in {"grant_type": "client_credentials", **form}.items()
              if v is not None}
    refused(*token(w, fields, basic), status, error, description)
    assert w.throttle.failures == counted, "failed authentications counted as expected"


def test_a_bad_resource_indicator_is_invalid_target() -> None:
    w = world([client()])
    refused(*token(w, {"grant_type": "client_credentials"}, resources=("/relative",)),
            400, "invalid_target", "resource must be an absolute URI without a fragment")


@pytest.mark.parametrize("header", [
    pytest.param("Basic %%%", id="not base64"),
    pytest.param("Basic " + base64.b64encode(b"no-colon").decode(), id="no colon"),
    pytest.param("Basic " + base64.b64encode(b"\xff:x").decode(), id="not UTF-8"),
    pytest.param("Basic ", id="empty"),
    pytest.param("Bearer abc", id="another scheme"),
])
def test_a_malformed_authorization_header_is_invalid_client(header: str) -> None:
    w = world([client()])
    request = FormRequest("POST", f"{ISSUER}/token", {"Authorization": header},
                          {"grant_type": "client_credentials"}, (), SOURCE)
    status, body, _ = w.server.create_token_response(request)
    refused(status, body, 401, "invalid_client", "Client authentication failed.")


# --- the authorization code ------------------------------------------------------------------

def save_code(w: World, code: str = "the-code", **changes: Any) -> str:
    values: dict[str, Any] = {
        "code_digest": digest(code), "client_id": "app", "user_id": 1, "sid": "sid-1",
        "redirect_uri": REDIRECT, "scope": "openid profile", "nonce": "n-1",
        "code_challenge": pkce.s256(VERIFIER), "resources": (), "claims": None,
        "auth_time": START - dt.timedelta(minutes=1), "acr": "urn:example:pwd", "amr": ("pwd",),
        "expires_at": w.clock() + dt.timedelta(seconds=60), **changes}
    w.store.save_code(CodeRecord(**values))
    return code


def exchange(code: str = "the-code", **changes: str | None) -> dict[str, str]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER, **changes}
    return {k: v for k, v in form.items() if v is not None}


def test_a_code_is_exchanged_for_access_refresh_and_id_tokens() -> None:
    w = world([client()], [user()])
    status, body = token(w, exchange(save_code(w)))
    assert status == 200, body
    assert body["scope"] == "openid profile" and body["refresh_token"], body
    access = access_claims(w, body["access_token"])
    assert (access["sub"], access["amr"], access["acr"]) == ("sub-1", ["pwd"], "urn:example:pwd")
    id_claims = jws.verify(body["id_token"], w.keys.published(), ["RS256"])
    assert (id_claims["aud"], id_claims["nonce"], id_claims["sid"], id_claims["azp"]) == (
        "app", "n-1", "sid-1", "app")
    assert id_claims["auth_time"] == int((START - dt.timedelta(minutes=1)).timestamp())
    [grant_id] = w.store.grants
    assert w.store.grant_of_code[digest("the-code")] == grant_id, "the grant links its code"
    assert w.store.access == {access["jti"]: grant_id}
    assert w.store.refresh[digest(body["refresh_token"])].grant_id == grant_id, (
        "only the refresh token's digest is stored")


CODE_REFUSALS = [
    pytest.param({}, exchange(code_verifier="w" * 43), "invalid_grant",
                 "PKCE verification failed.", id="a wrong verifier"),
    pytest.param({}, exchange(code_verifier=None), "invalid_grant",
                 "PKCE verification failed.", id="no verifier for a bound code"),
    pytest.param({"code_challenge": None}, exchange(), "invalid_grant",
                 "PKCE verification failed.", id="a verifier for a code without a challenge"),
    pytest.param({}, exchange(redirect_uri=None), "invalid_request",
                 "Missing 'redirect_uri' in request.", id="no redirect_uri"),
    pytest.param({}, exchange(redirect_uri=REDIRECT + "/other"), "invalid_grant", None,
                 id="another redirect_uri than the request's"),
    pytest.param({"client_id": "other"}, exchange(), "invalid_grant", None,
                 id="a code issued to another client"),
    pytest.param({"expires_at": START}, exchange(), "invalid_grant", None,
                 id="an expired code"),
    pytest.param({}, exchange(code="no-such-code"), "invalid_grant", None, id="an unknown code"),
    pytest.param({}, exchange(code=None), "invalid_request", None, id="no code"),
]


@pytest.mark.parametrize(("code_changes", "form", "error", "description"), CODE_REFUSALS)
def test_a_bad_code_exchange_is_refused_and_burns_the_code(
    code_changes: dict[str, Any], form: dict[str, str], error: str, description: str | None,
) -> None:
    w = world([client(), client("other")], [user()])
    save_code(w, **code_changes)
    refused(*token(w, form), 400, error, description)
    assert w.store.grants == {}, "nothing issued"
    if form.get("code") == "the-code" and "redirect_uri" in form:
        refused(*token(w, exchange()), 400, "invalid_grant")  # RFC 9700 §4.5: never retried


def test_a_code_of_a_disabled_user_issues_nothing() -> None:
    w = world([client()], [user(disabled=True)])
    refused(*token(w, exchange(save_code(w))), 400, "invalid_grant",
            "The user can no longer sign in.")
    assert w.store.grants == {}


def test_a_replayed_code_revokes_everything_its_first_use_issued() -> None:
    w = world([client()], [user()])
    code = save_code(w)
    first = token(w, exchange(code))[1]
    refused(*token(w, exchange(code)), 400, "invalid_grant")
    [grant_id] = w.store.grants
    assert w.store.revoked_grants == {grant_id: "code_replay"}, "RFC 6749 §4.1.2"
    refused(*token(w, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}),
            400, "invalid_grant", "The refresh token is invalid, expired or revoked.")
    assert not w.store.access_token_grant_live(access_claims(w, first["access_token"])["jti"],
                                               w.clock()), "its access token is dead too"


def test_a_public_client_exchanges_its_code_with_pkce_alone() -> None:
    w = world([public_client()], [user()])
    status, body = token(w, exchange(save_code(w, client_id="spa"), client_id="spa"), basic=None)
    assert status == 200 and body["refresh_token"], body


# --- refresh tokens: rotation and reuse -----------------------------------------------------

def signed_in(w: World, scope: str = "openid profile offline_access",
              **code_changes: Any) -> dict[str, Any]:
    status, body = token(w, exchange(save_code(w, scope=scope, **code_changes)))
    assert status == 200, body
    return body


def refresh(w: World, refresh_token: str, basic: tuple[str, str] | None = APP,
            **form: str) -> tuple[int, dict[str, Any]]:
    return token(w, {"grant_type": "refresh_token", "refresh_token": refresh_token, **form},
                 basic)


def test_a_refresh_token_works_once_and_is_replaced() -> None:
    w = world([client()], [user()])
    first = signed_in(w)["refresh_token"]
    status, body = refresh(w, first)
    assert status == 200 and body["refresh_token"] != first, body
    assert w.store.refresh[digest(first)].used_at == w.clock(), "the old one is spent"
    assert refresh(w, body["refresh_token"])[0] == 200, "its successor works"


def test_reusing_a_spent_refresh_token_revokes_the_whole_grant() -> None:
    w = world([client()], [user()])
    first = signed_in(w)["refresh_token"]
    successor = refresh(w, first)[1]["refresh_token"]
    refused(*refresh(w, first), 400, "invalid_grant",
            "The refresh token is invalid, expired or revoked.")
    [grant_id] = w.store.grants
    assert w.store.revoked_grants == {grant_id: "refresh_token_reuse"}, "RFC 9700 §4.14.2"
    refused(*refresh(w, successor), 400, "invalid_grant")


def test_a_narrower_scope_narrows_the_access_token_not_the_grant() -> None:
    w = world([client()], [user()])
    body = refresh(w, signed_in(w)["refresh_token"], scope="openid")[1]
    assert body["scope"] == "openid", body
    assert refresh(w, body["refresh_token"])[1]["scope"] == "openid profile offline_access", (
        "RFC 6749 §6: the new refresh token keeps the grant's scope")


REFRESH_REFUSALS = [
    pytest.param(lambda w, rt: refresh(w, rt, scope="openid email"), "invalid_scope",
                 "The client may not request one or more of these scopes.",
                 id="a scope beyond the grant"),
    pytest.param(lambda w, rt: refresh(w, rt, basic=("other", "other-secret")),
                 "invalid_grant", "The refresh token is invalid, expired or revoked.",
                 id="another client's refresh token"),
    pytest.param(lambda w, rt: refresh(w, "no-such-token"), "invalid_grant",
                 "The refresh token is invalid, expired or revoked.", id="an unknown token"),
    pytest.param(lambda w, rt: token(w, {"grant_type": "refresh_token"}), "invalid_request",
                 "Missing 'refresh_token' in request.", id="no refresh_token"),
    pytest.param(lambda w, rt: (w.clock.advance(days=1), refresh(w, rt))[1], "invalid_grant",
                 "The refresh token is invalid, expired or revoked.", id="idle too long"),
    pytest.param(lambda w, rt: (w.users.disable(1), refresh(w, rt))[1], "invalid_grant",
                 "The refresh token is invalid, expired or revoked.", id="a disabled user"),
]


@pytest.mark.parametrize(("attempt", "error", "description"), REFRESH_REFUSALS)
def test_a_bad_refresh_is_refused_and_revokes_nothing(attempt: Any, error: str,
                                                      description: str) -> None:
    w = world([client(), client("other")], [user()])
    refresh_token = signed_in(w)["refresh_token"]
    refused(*attempt(w, refresh_token), 400, error, description)
    assert w.store.revoked_grants == {}, "only reuse revokes the grant"


@pytest.mark.parametrize(("scope", "works"), [
    pytest.param("openid profile", False, id="an online grant ends with its session"),
    pytest.param("openid profile offline_access", True, id="an offline grant outlives it"),
])
def test_a_refresh_after_sign_out(scope: str, works: bool) -> None:
    w = world([client()], [user()])
    refresh_token = signed_in(w, scope)["refresh_token"]
    w.store.end_session("sid-1")
    assert (refresh(w, refresh_token)[0] == 200) is works


# --- what another request changes while this one is being answered -------------------------

def meanwhile(w: World, change: Any) -> None:
    """Run ``change`` just before the token response is stored, as a concurrent request
    committing first would (the store decides who wins, protocol/grants/issue.py)."""
    persist = w.store.persist_issuance

    def persist_after_change(issuance: Any, now: dt.datetime) -> str:
        change()
        return persist(issuance, now)

    w.store.persist_issuance = persist_after_change  # type: ignore[method-assign]


def test_a_replay_during_the_first_redemption_leaves_its_grant_born_revoked() -> None:
    w = world([client()], [user()])
    code = save_code(w)
    meanwhile(w, lambda: w.store.revoke_grant_of_code(digest(code), "code_replay", w.clock()))
    status, body = token(w, exchange(code))
    assert status == 200, "answered as in the sequential case"
    [grant_id] = w.store.grants
    assert w.store.revoked_grants == {grant_id: "code_replay"}, "yet nothing issued works"
    refused(*refresh(w, body["refresh_token"]), 400, "invalid_grant")


def test_a_user_disabled_during_the_exchange_gets_nothing() -> None:
    w = world([client()], [user()])
    code = save_code(w)
    meanwhile(w, lambda: w.users.disable(1))
    refused(*token(w, exchange(code)), 400, "invalid_grant", "The user can no longer sign in.")
    assert w.store.grants == {}


def test_of_two_concurrent_refreshes_exactly_one_wins() -> None:
    w = world([client()], [user()])
    first = signed_in(w)["refresh_token"]
    meanwhile(w, lambda: w.store.refresh[digest(first)].__setattr__("used_at", w.clock()))
    refused(*refresh(w, first), 400, "invalid_grant",
            "The refresh token is invalid, expired or revoked.")
    assert len(w.store.refresh) == 1, "the loser stores no successor"
