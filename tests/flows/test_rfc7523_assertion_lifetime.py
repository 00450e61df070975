"""How long a ``private_key_jwt`` client assertion may live (RFC 7523 §3, items 4 and 7).

Client libraries sign assertions valid for an hour (Authlib's ``PrivateKeyJWT`` does), so
authserver accepts an ``exp`` up to ``CLIENT_ASSERTION_MAX_LIFETIME`` ahead (one hour by
default) and refuses anything further out. The ``jti`` of an accepted assertion is kept
until the assertion has expired (plus the leeway), so a replay is refused for exactly as
long as it could otherwise work, and ``db purge`` does not forget it earlier.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from typing import Any
from urllib.parse import parse_qs

import pytest
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from cryptography.hazmat.primitives import serialization
from flask.testing import FlaskClient
from joserfc.jwk import ECKey
from sqlalchemy import select

from authserver.runtime import Runtime
from authserver.services.clients import ClientSpec
from authserver.settings import Settings
from authserver.storage.database import Database
from authserver.storage.models import UsedAssertion
from tests.conftest import Clock
from tests.support.oauth import World, build_world
from tests.support.runtimes import make_app, make_runtime
from tests.support.tokens import (
    TOKEN,
    TOKEN_ENDPOINT,
    ClientKey,
    add_client,
    describe,
    expect_error,
    expect_tokens,
    tenant_id,
    unverified_parts,
)

FORM = "application/x-www-form-urlencoded"


@functools.cache
def client_key() -> ClientKey:
    return ClientKey("ES256")


def private_key() -> ECKey:
    # Authlib reads a PEM string as an RSA key; an EC key is passed as a joserfc key.
    key = client_key().jwk.get_op_key("sign")
    return ECKey.import_key(key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))


@pytest.fixture
def world(runtime: Runtime, clock: Clock) -> World:
    built = build_world(runtime)
    add_client(runtime, ClientSpec(
        name="Report worker", client_id="report-worker", grant_types=("client_credentials",),
        scopes=("stores:read",), auth_method="private_key_jwt", jwks=client_key().jwks))
    # Authlib stamps iat/exp from the wall clock: start the test clock there too.
    clock.now = dt.datetime.now(dt.UTC)
    return built


def authlib_token_request(http: FlaskClient, **claims: Any) -> Any:
    """A client-credentials request authenticated exactly the way Authlib's client does it."""
    method = PrivateKeyJWT(TOKEN_ENDPOINT, claims=claims or None, alg="ES256",
                           headers={"kid": client_key().kid})
    auth = ClientAuth("report-worker", private_key(), auth_method=method)
    _, headers, body = auth.prepare("POST", TOKEN_ENDPOINT, {"Content-Type": FORM},
                                    "grant_type=client_credentials")
    return http.post(TOKEN, data=body, headers=headers, content_type=FORM)


def test_authlibs_private_key_jwt_with_its_one_hour_exp_is_accepted(
        world: World, http: FlaskClient) -> None:
    response = authlib_token_request(http)
    expect_tokens(response, "Authlib's PrivateKeyJWT (exp = iat + 3600)")


def test_an_assertion_living_longer_than_the_maximum_is_invalid_client(
        world: World, http: FlaskClient, clock: Clock) -> None:
    exp = int(clock.now.timestamp()) + 3600 + 120
    expect_error(authlib_token_request(http, exp=exp), 401, "invalid_client",
                 "exp two minutes past the one-hour maximum")


def test_the_maximum_lifetime_is_a_setting(
        settings: Settings, database: Database, world: World, clock: Clock) -> None:
    runtime = make_runtime(dataclasses.replace(settings, client_assertion_max_lifetime=300),
                           database, clock)
    http = make_app(runtime).test_client()
    now = int(clock.now.timestamp())
    expect_error(authlib_token_request(http), 401, "invalid_client",
                 "a one-hour assertion with CLIENT_ASSERTION_MAX_LIFETIME=300")
    expect_tokens(authlib_token_request(http, exp=now + 240), "exp four minutes ahead")


def test_a_replayed_assertion_is_refused_and_its_jti_outlives_purge_past_exp(
        runtime: Runtime, world: World, http: FlaskClient, clock: Clock) -> None:
    method = PrivateKeyJWT(TOKEN_ENDPOINT, alg="ES256", headers={"kid": client_key().kid})
    auth = ClientAuth("report-worker", private_key(), auth_method=method)
    _, headers, body = auth.prepare("POST", TOKEN_ENDPOINT, {"Content-Type": FORM},
                                    "grant_type=client_credentials")
    expect_tokens(http.post(TOKEN, data=body, headers=headers, content_type=FORM),
                  "first use of the assertion")
    with runtime.database.session() as session:
        stored = session.scalar(select(UsedAssertion.expires_at))
    assert stored is not None, "the jti of an accepted assertion must be stored"
    assert stored >= clock.now + dt.timedelta(minutes=59), (
        f"the jti must be kept until the assertion expires (an hour), stored until {stored}")
    store = runtime.token_store(tenant_id(runtime))
    # Ten seconds past exp the assertion is still inside the leeway: it must not pass again.
    exp = unverified_parts(parse_qs(body)["client_assertion"][0])[1]["exp"]
    clock.now = dt.datetime.fromtimestamp(exp + 10, dt.UTC)
    store.purge_expired(clock.now)  # what `authserver db purge` runs
    response = http.post(TOKEN, data=body, headers=headers, content_type=FORM)
    expect_error(response, 401, "invalid_client",
                 f"the same assertion just past exp, after a purge ({describe(response)})")


def test_the_setting_is_validated() -> None:
    from authserver.settings import SettingsError, load_settings

    assert load_settings({"AUTHSERVER_CLIENT_ASSERTION_MAX_LIFETIME": "10m"}
                         ).client_assertion_max_lifetime == 600
    assert Settings().client_assertion_max_lifetime == 3600, "the default is one hour"
    for bad in ("0", "-5", "soon", "2d"):
        with pytest.raises(SettingsError, match="CLIENT_ASSERTION_MAX_LIFETIME"):
            load_settings({"AUTHSERVER_CLIENT_ASSERTION_MAX_LIFETIME": bad})
