"""What the audit log records through HTTP (docs/audit.md, "Events"): sign-in, token
issuance, refresh, revocation, reuse, replays, refusals and client-authentication
failures at the token, introspection and revocation endpoints, each with the request's
address, user agent and id; and never a token, code, password or secret value."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.storage.models import AuditEvent
from tests.support.audit import flush_audit, rows, verify
from tests.support.oauth import (
    PASSWORD,
    Pkce,
    World,
    authorize_params,
    basic,
    build_world,
    exchange,
    obtain_code,
)
from tests.support.tokens import (
    INTROSPECT,
    REVOKE,
    TOKEN,
    client_credentials,
    expect_error,
    expect_tokens,
    introspect,
    refresh,
    revoke,
    user_tokens,
)

AGENT = "audit-test-agent/1.0"


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def _one(runtime: Runtime, action: str, **where: Any) -> AuditEvent:
    flush_audit(runtime)
    found = rows(runtime, action=action, **where)
    assert len(found) == 1, f"expected one {action} record {where}, got " \
        f"{[(r.action, r.target, r.details) for r in found]}"
    return found[0]


def test_a_full_flow_leaves_its_events_and_no_secret_in_any_record(
        runtime: Runtime, http: FlaskClient, world: World) -> None:
    pkce = Pkce()
    query = obtain_code(http, authorize_params("web", pkce, scope="openid offline_access"))
    code = query["code"]
    tokens = expect_tokens(exchange(http, code, pkce, "web", world.web_secret), "exchange")
    again = expect_tokens(refresh(http, tokens["refresh_token"], "web", world.web_secret),
                          "refresh")
    service = expect_tokens(client_credentials(http, world, scope="stores:read"), "cc")
    assert introspect(http, again["access_token"], "web", world.web_secret).status_code == 200
    assert revoke(http, again["refresh_token"], "web", world.web_secret).status_code == 200
    assert revoke(http, service["access_token"], "service",
                  world.service_secret).status_code == 200
    flush_audit(runtime)
    actions = [r.action for r in rows(runtime)]
    for expected in ("login.succeeded", "token.issued", "token.refreshed", "token.revoked",
                     "grant.revoked"):
        assert expected in actions, f"{expected} missing from {actions}"
    issued = {r.details.get("grant_type") for r in rows(runtime, action="token.issued")}
    assert issued == {"authorization_code", "client_credentials"}, issued
    secrets = {"code": code, "verifier": pkce.verifier, "password": PASSWORD,
               "web secret": world.web_secret, "service secret": world.service_secret}
    for name, body in (("exchange", tokens), ("refresh", again), ("cc", service)):
        for field in ("access_token", "refresh_token", "id_token"):
            if field in body:
                secrets[f"{name} {field}"] = body[field]
    stored = orjson.dumps([_columns(r) for r in rows(runtime)]).decode()
    leaked = [name for name, value in secrets.items() if value in stored]
    assert not leaked, f"these values reached the audit log: {leaked}"
    assert verify(runtime).intact, "and the chain verifies"


def _columns(row: AuditEvent) -> dict[str, Any]:
    return {c: getattr(row, c) for c in ("actor", "action", "target", "details", "ip",
                                         "user_agent", "request_id")}


def test_the_token_fast_path_records_the_request_context(
        runtime: Runtime, http: FlaskClient, world: World) -> None:
    response = http.post(TOKEN, data={"grant_type": "client_credentials"},
                         headers={**basic("service", world.service_secret),
                                  "X-Request-ID": "req-0123456789", "User-Agent": AGENT})
    expect_tokens(response, "client credentials")
    assert response.headers["X-Request-ID"] == "req-0123456789", "the caller's id echoed"
    row = _one(runtime, "token.issued", target="service")
    assert (row.actor, row.actor_kind) == ("client:service", "client")
    assert (row.ip, row.user_agent, row.request_id) == ("127.0.0.1", AGENT, "req-0123456789")
    assert row.details["jti"] and row.details["scope"] == "stores:read stores:write"


@pytest.mark.parametrize("header", ["short", "has space 12345", "x" * 65, "a\u00e9bcdefghij"])
def test_an_invalid_request_id_is_replaced_by_a_new_one(
        http: FlaskClient, world: World, header: str) -> None:
    for path in (TOKEN, INTROSPECT):
        response = http.post(path, data={"token": "x"}, headers={"X-Request-ID": header})
        given = response.headers.get("X-Request-ID", "")
        assert given != header and len(given) == 32, f"{path}: a new id, not {header!r}"


def test_pages_echo_the_request_id_and_sign_in_records_it(
        runtime: Runtime, http: FlaskClient, world: World) -> None:
    page = http.get("/healthz", headers={"X-Request-ID": "page-request-1"})
    assert page.headers["X-Request-ID"] == "page-request-1"
    assert len(http.get("/healthz").headers["X-Request-ID"]) == 32, "one made up otherwise"
    http.environ_base = {**http.environ_base, "HTTP_USER_AGENT": AGENT,
                         "HTTP_X_REQUEST_ID": "sign-in-request"}
    obtain_code(http, authorize_params("web", Pkce()))
    row = _one(runtime, "login.succeeded")
    assert (row.ip, row.user_agent, row.request_id) == ("127.0.0.1", AGENT, "sign-in-request")
    assert row.actor_kind == "user"


@pytest.mark.parametrize("path, endpoint", [(TOKEN, "token"), (INTROSPECT, "introspection"),
                                            (REVOKE, "revocation")])
def test_client_authentication_failures_are_recorded_at_each_endpoint(
        runtime: Runtime, http: FlaskClient, world: World, path: str, endpoint: str) -> None:
    data = {"grant_type": "client_credentials"} if path == TOKEN else {"token": "x"}
    response = http.post(path, data=data, headers=basic("service", "wrong-secret"))
    expect_error(response, 401, "invalid_client", f"{endpoint} with a wrong secret")
    row = _one(runtime, "client.authentication_failed")
    assert (row.actor, row.target) == ("client:service", "service")
    assert row.details == {"endpoint": endpoint, "auth_method": "client_secret_basic"}
    assert "wrong-secret" not in orjson.dumps(_columns(row)).decode()


def test_an_unknown_client_id_is_not_recorded_as_a_name(
        runtime: Runtime, http: FlaskClient, world: World) -> None:
    """A made-up client_id may be a secret pasted into the wrong field."""
    response = http.post(TOKEN, data={"grant_type": "client_credentials"},
                         headers=basic("pasted-secret-value", "x"))
    expect_error(response, 401, "invalid_client", "an unknown client")
    row = _one(runtime, "client.authentication_failed")
    assert (row.actor, row.target) == ("anonymous", None)
    assert "pasted-secret-value" not in orjson.dumps(_columns(row)).decode()


def test_refused_token_requests_are_recorded_with_their_error(
        runtime: Runtime, http: FlaskClient, world: World) -> None:
    expect_error(client_credentials(http, world, scope="admin:everything"), 400,
                 "invalid_scope", "a scope the client may not have")
    expect_error(exchange(http, "made-up-code", Pkce(), "web", world.web_secret), 400,
                 "invalid_grant", "a code that does not exist")
    flush_audit(runtime)
    denied = {(r.actor, r.details["error"], r.details["grant_type"])
              for r in rows(runtime, action="token.denied")}
    assert denied == {("client:service", "invalid_scope", "client_credentials"),
                      ("client:web", "invalid_grant", "authorization_code")}, denied
    assert "made-up-code" not in orjson.dumps([_columns(r) for r in rows(runtime)]).decode()


def test_refresh_token_reuse_is_recorded_with_the_revocation(
        runtime: Runtime, http: FlaskClient, world: World) -> None:
    tokens = user_tokens(http, world, scope="openid offline_access")
    expect_tokens(refresh(http, tokens.refresh_token, "web", world.web_secret), "first use")
    expect_error(refresh(http, tokens.refresh_token, "web", world.web_secret), 400,
                 "invalid_grant", "the reuse")
    reused = _one(runtime, "token.refresh_reused")
    assert reused.actor == "client:web"
    revoked = _one(runtime, "grant.revoked")
    assert (revoked.target, revoked.details["reason"]) == (reused.target,
                                                            "refresh_token_reuse")


def test_a_replayed_code_is_recorded(runtime: Runtime, http: FlaskClient,
                                     world: World) -> None:
    pkce = Pkce()
    code = obtain_code(http, authorize_params("web", pkce))["code"]
    expect_tokens(exchange(http, code, pkce, "web", world.web_secret), "first use")
    expect_error(exchange(http, code, pkce, "web", world.web_secret), 400, "invalid_grant",
                 "the replay")
    assert _one(runtime, "token.code_replayed").actor == "client:web"


def test_a_throttle_block_is_recorded_once(runtime: Runtime, http: FlaskClient,
                                           world: World) -> None:
    for _ in range(22):
        http.post(TOKEN, data={"grant_type": "client_credentials"},
                  headers=basic("service", "wrong-secret"))
    row = _one(runtime, "throttle.blocked")
    assert (row.target, row.details["scope"]) == ("client:service", "client-pair")
    assert row.ip == "127.0.0.1"
