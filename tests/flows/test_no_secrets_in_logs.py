"""No secret, password, code or token reaches a log line, even at DEBUG (SECURITY.md)."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.support.oauth import (
    ISSUER_PATH,
    PASSWORD,
    Pkce,
    authorize_params,
    basic,
    build_world,
    exchange,
    obtain_code,
)


def test_a_full_flow_at_debug_level_logs_no_credentials(
    runtime: Runtime, http: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    world = build_world(runtime)
    pkce = Pkce()
    code = obtain_code(http, authorize_params(pkce=pkce))["code"]
    tokens = exchange(http, code, pkce, secret=world.web_secret).get_json()
    refreshed = http.post(f"{ISSUER_PATH}/token", headers=basic("web", world.web_secret),
                          data={"grant_type": "refresh_token",
                                "refresh_token": tokens["refresh_token"]}).get_json()
    replay = exchange(http, code, pkce, secret=world.web_secret)  # logged as a replay
    assert replay.status_code == 400
    service = http.post(f"{ISSUER_PATH}/token", headers=basic("service", world.service_secret),
                        data={"grant_type": "client_credentials"}).get_json()
    http.post(f"{ISSUER_PATH}/token", headers=basic("service", "wrong-secret"),
              data={"grant_type": "client_credentials"})

    secrets = {
        "client secret (web)": world.web_secret,
        "client secret (service)": world.service_secret,
        "the wrong secret tried": "wrong-secret",
        "password": PASSWORD,
        "authorization code": code,
        "PKCE verifier": pkce.verifier,
        "access token": tokens["access_token"],
        "refresh token": tokens["refresh_token"],
        "rotated refresh token": refreshed["refresh_token"],
        "ID token": tokens["id_token"],
        "client-credentials token": service["access_token"],
    }
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged, "the flow should have produced some log lines to check"
    for name, value in secrets.items():
        assert value not in logged, f"the {name} appeared in a log line"
