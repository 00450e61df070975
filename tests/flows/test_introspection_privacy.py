"""Introspection privacy (RFC 7662 §4): a token is described only to the client it was
issued to and to the clients acting as the resource server of an API it is for; every
other client gets exactly ``{"active": false}``. Refresh tokens: their own client only."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.services.clients import ClientSpec
from tests.support.apis import BILLING_API, STORES_API, set_introspection_clients
from tests.support.oauth import World, build_world
from tests.support.tokens import (
    add_client,
    client_credentials,
    describe,
    expect_tokens,
    introspect,
    user_tokens,
)

INACTIVE = {"active": False}


@dataclass(frozen=True)
class Parties:
    """The stores API's resource server ``stores-rs``, billing's ``billing-rs``, and ``nosy``,
    a confidential client with nothing to do with either."""

    world: World
    secrets: dict[str, str]

    def asks(self, http: FlaskClient, token: str, client_id: str) -> dict[str, object]:
        secret = {"web": self.world.web_secret, "service": self.world.service_secret,
                  **self.secrets}[client_id]
        response = introspect(http, token, client_id, secret)
        assert response.status_code == 200, f"introspection by {client_id}: {describe(response)}"
        body: dict[str, object] = response.get_json()
        return body


@pytest.fixture
def parties(runtime: Runtime) -> Parties:
    world = build_world(runtime)
    secrets = {}
    for client_id in ("stores-rs", "billing-rs", "nosy"):
        secret = add_client(runtime, ClientSpec(
            name=client_id, client_id=client_id, grant_types=("client_credentials",),
            scopes=("stores:read",)))
        assert secret
        secrets[client_id] = secret
    set_introspection_clients(runtime, STORES_API, ["stores-rs"])
    set_introspection_clients(runtime, BILLING_API, ["billing-rs"])
    return Parties(world, secrets)


def cc_token(http: FlaskClient, parties: Parties, *resources: str) -> str:
    body = expect_tokens(client_credentials(http, parties.world, resources=list(resources)),
                         f"a token for {resources or 'authserver'}")
    return str(body["access_token"])


def test_the_issued_client_and_the_apis_resource_server_see_the_token(
    http: FlaskClient, parties: Parties
) -> None:
    token = cc_token(http, parties, STORES_API)
    own = parties.asks(http, token, "service")
    assert own["active"] is True and own["aud"] == STORES_API, "the client it was issued to"
    assert parties.asks(http, token, "stores-rs") == own, "the stores API's resource server"


def test_any_other_client_learns_nothing(http: FlaskClient, parties: Parties) -> None:
    token = cc_token(http, parties, STORES_API)
    for client_id in ("nosy", "billing-rs", "web"):
        assert parties.asks(http, token, client_id) == INACTIVE, (
            f"{client_id} is neither the token's client nor its API's resource server")


def test_a_token_for_authserver_itself_is_described_only_to_its_client(
    http: FlaskClient, parties: Parties
) -> None:
    token = cc_token(http, parties)
    assert parties.asks(http, token, "service")["active"] is True
    assert parties.asks(http, token, "stores-rs") == INACTIVE, "no API: no resource server to ask"


def test_a_token_for_two_apis_is_described_to_either_resource_server(
    http: FlaskClient, parties: Parties
) -> None:
    token = cc_token(http, parties, STORES_API, BILLING_API)
    assert parties.asks(http, token, "stores-rs")["active"] is True
    assert parties.asks(http, token, "billing-rs")["active"] is True
    assert parties.asks(http, token, "nosy") == INACTIVE


def test_a_user_token_for_an_api(http: FlaskClient, parties: Parties) -> None:
    tokens = user_tokens(http, parties.world, scope="openid offline_access inventory:read",
                         resource=STORES_API)
    assert parties.asks(http, tokens.access_token, "web")["active"] is True
    described = parties.asks(http, tokens.access_token, "stores-rs")
    assert described["active"] is True and described["sub"] == parties.world.user_sub
    assert parties.asks(http, tokens.access_token, "service") == INACTIVE
    assert parties.asks(http, tokens.refresh_token, "stores-rs") == INACTIVE, (
        "a refresh token is described only to its own client, never to the API")
    assert parties.asks(http, tokens.refresh_token, "web")["active"] is True


def test_a_resource_server_removed_from_the_api_stops_seeing_its_tokens(
    runtime: Runtime, http: FlaskClient, parties: Parties
) -> None:
    token = cc_token(http, parties, STORES_API)
    assert parties.asks(http, token, "stores-rs")["active"] is True
    set_introspection_clients(runtime, STORES_API, [])
    assert parties.asks(http, token, "stores-rs") == INACTIVE, "the API directory must be refreshed"
