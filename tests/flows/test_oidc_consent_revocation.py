"""Withdrawing consent (authserver consent revoke): the app must ask again and the tokens
it holds for the person stop working."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlencode

from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.conftest import CliResult
from tests.support.oauth import (
    ISSUER_PATH,
    Pkce,
    authorize_params,
    basic,
    build_world,
    exchange,
    obtain_code,
)


def test_revoking_consent_revokes_grants_and_asks_again(
    runtime: Runtime, http: FlaskClient, cli: Callable[..., CliResult]
) -> None:
    world = build_world(runtime)
    pkce = Pkce()
    code = obtain_code(http, authorize_params(pkce=pkce))["code"]
    tokens = exchange(http, code, pkce, secret=world.web_secret).get_json()

    listed = cli("consent", "list", "--tenant", "acme", "--email", world.user_email, "--json")
    assert listed.status == 0, listed.err
    assert json.loads(listed.out)[0]["client_id"] == "web"
    assert set(json.loads(listed.out)[0]["scopes"]) == {"openid", "profile", "email"}

    revoked = cli("consent", "revoke", "--tenant", "acme", "--email", world.user_email,
                  "--client", "web")
    assert revoked.status == 0 and "1 grant(s) revoked" in revoked.out, revoked

    refreshed = http.post(f"{ISSUER_PATH}/token", headers=basic("web", world.web_secret),
                          data={"grant_type": "refresh_token",
                                "refresh_token": tokens["refresh_token"]})
    assert refreshed.get_json()["error"] == "invalid_grant", "the refresh token must stop"
    introspected = http.post(f"{ISSUER_PATH}/introspect", headers=basic("web", world.web_secret),
                             data={"token": tokens["access_token"]})
    assert introspected.get_json() == {"active": False}, "the access token must be inactive"

    again = http.get(f"{ISSUER_PATH}/authorize?{urlencode(authorize_params(pkce=Pkce()))}")
    page = http.get(again.headers["Location"]).get_data(as_text=True)
    assert 'value="approve"' in page, "without consent the app must ask again"


def test_consent_commands_refuse_unknown_users(
    runtime: Runtime, cli: Callable[..., CliResult]
) -> None:
    build_world(runtime)
    result = cli("consent", "list", "--tenant", "acme", "--email", "nobody@example.com")
    assert result.status == 1 and "no user" in result.err, result
