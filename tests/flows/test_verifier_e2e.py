"""authserver-verifier against a real authserver: tokens verify, rotation needs no restart,
and a revoked key stops verifying once the verifier's cache window has passed."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from authserver_verifier import InsufficientScope, InvalidToken, Verifier

from tests.support.databases import fresh_database_url
from tests.support.server import LiveServer, live_server

API = "https://stores.example/api"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("verifier-e2e")
    # Its own database and short cache lifetimes, so rotation and revocation play out
    # within a few seconds.
    with fresh_database_url(folder) as url, live_server(
            url, folder, jwks_max_age="1", key_cache_ttl="1", key_publish_lead="2") as live:
        live.cli("tenant", "create", "e2e")
        # The verifier's audience: an API of the tenant, granted to each service below.
        live.cli("api", "create", "--tenant", "e2e", "--identifier", API, "--name", "Stores",
                 "--scope", "stores:read stores:write")
        yield live


def new_service(server: LiveServer) -> tuple[str, str]:
    out = server.cli_json("client", "create", "--tenant", "e2e", "--name", "Svc",
                          "--grant-type", "client_credentials", "--scope", "stores:read")
    server.cli("api", "grant", "--tenant", "e2e", "--api", API, "--client", out["client_id"],
               "--scope", "stores:read")
    return out["client_id"], out["client_secret"]


def fetch_token(server: LiveServer, client: tuple[str, str]) -> str:
    body = urllib.parse.urlencode({"grant_type": "client_credentials", "resource": API}).encode()
    request = urllib.request.Request(f"{server.issuer('e2e')}/token", data=body, headers={  # noqa: S310
        "Authorization": "Basic " + base64.b64encode(":".join(client).encode()).decode()})
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
        return str(json.load(response)["access_token"])


def kid_of(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def make_verifier(server: LiveServer) -> Verifier:
    return Verifier(issuer=server.issuer("e2e"), audience=API, algorithms=("ES256",),
                    cache_options={"min_ttl": 1, "default_ttl": 1, "refetch_interval": 0.2})


def eventually(condition, what: str, limit: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.2)


def test_tokens_from_authserver_verify(server: LiveServer) -> None:
    client = new_service(server)
    verifier = make_verifier(server)
    claims = verifier.verify(fetch_token(server, client), required_scopes="stores:read")
    assert claims.client_id == client[0] and claims.sub == client[0]
    assert claims.iss == server.issuer("e2e") and API in claims.aud
    assert claims.scopes == frozenset({"stores:read"})
    with pytest.raises(InsufficientScope):
        verifier.verify(fetch_token(server, client), required_scopes="stores:write")


def test_rotation_is_picked_up_without_restarting_the_resource_server(
    server: LiveServer,
) -> None:
    client = new_service(server)
    verifier = make_verifier(server)
    old_token = fetch_token(server, client)
    verifier.verify(old_token)
    server.cli("keys", "rotate", "--tenant", "e2e", "--alg", "ES256")
    eventually(lambda: kid_of(fetch_token(server, client)) != kid_of(old_token),
               "the server to sign with the rotated key")
    new_token = fetch_token(server, client)
    assert verifier.verify(new_token).client_id == client[0], "new key must verify"
    assert verifier.verify(old_token).client_id == client[0], "old tokens keep verifying"


def test_a_revoked_key_stops_verifying_after_the_cache_window(server: LiveServer) -> None:
    client = new_service(server)
    verifier = make_verifier(server)
    token = fetch_token(server, client)
    verifier.verify(token)
    server.cli("keys", "revoke", "--tenant", "e2e", "--", kid_of(token))

    def rejected() -> bool:
        try:
            verifier.verify(token)
        except InvalidToken:
            return True
        return False

    eventually(rejected, "the revoked key to drop out of the verifier's cache")
    # The server's own key cache (KEY_CACHE_TTL) lets the revoked key sign briefly.
    eventually(lambda: kid_of(fetch_token(server, client)) != kid_of(token),
               "a successor key to sign after revocation")
    assert verifier.verify(fetch_token(server, client)).client_id == client[0]
