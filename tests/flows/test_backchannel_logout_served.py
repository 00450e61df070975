"""Under `authserver serve` (gunicorn), each server process runs the outbox worker on
its own: a session ended anywhere reaches the relying party with nobody calling
`authserver worker` (issue 10: "no extra daemon required")."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS

from authserver.services.session_end import EndReason
from authserver.storage.database import Database
from tests.support.backchannel import end_directly, register_backchannel
from tests.support.backchannel_receiver import LogoutReceiver
from tests.support.browser_flow import id_token_claims
from tests.support.oauth import build_world
from tests.support.server import live_server, url_of
from tests.support.tokens import unverified_parts, user_tokens


def test_a_served_instance_delivers_logout_tokens_by_itself(
        database: Database, runtime, http, tmp_path: Path) -> None:
    world = build_world(runtime)
    rp = LogoutReceiver().start()
    try:
        register_backchannel(runtime, rp.url)
        claims = id_token_claims(user_tokens(http, world).id_token)
        with live_server(url_of(database), tmp_path, outbox_poll="1") as server:
            end_directly(runtime, EndReason.ADMIN, claims["sid"])
            [delivery] = rp.wait_for(1)
            header, payload = unverified_parts(delivery.logout_token)
            with urllib.request.urlopen(f"{server.issuer('acme')}/jwks",  # noqa: S310
                                        timeout=5) as response:
                keys = {k["kid"]: k for k in json.load(response)["keys"]}
            token = JWS()
            token.deserialize(delivery.logout_token)
            token.verify(JWK(**keys[header["kid"]]), alg=header["alg"])
            assert (header["typ"], payload["iss"], payload["aud"], payload["sid"]) == (
                "logout+jwt", server.issuer("acme"), "web", claims["sid"]), (header, payload)
    finally:
        rp.stop()
