"""Back-Channel Logout 1.0 through the outbox: which messages a session end queues, and
how one is delivered.

A message is queued per (ended session, client the user authorized during it with a
``backchannel_logout_uri``), payload ``{"sid", "sub", "client_id"}`` as plain JSON (a
session id and a subject are no credentials). The logout token is signed at each attempt
(protocol/backchannel_logout.py), so a retry hours later uses the current key and a
fresh ``exp``, and a client deleted or unregistered meanwhile is not called.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

from authserver.protocol import backchannel_logout as bcl
from authserver.protocol.jws import JWSError, PrivateKey
from authserver.services.outbox_errors import DeliveryFailed, Undeliverable
from authserver.services.senders.http_transport import Transport, WebhookRequest, http_transport
from authserver.storage.database import Database
from authserver.storage.unit_of_work import UnitOfWork

BACKCHANNEL_LOGOUT = "backchannel_logout"
TIMEOUT = 5.0  # seconds per POST: a relying party that answers slower is down
SigningKey = Callable[[int, str], tuple[str, PrivateKey]]  # (tenant id, alg) -> kid, key


def enqueue_logouts(uow: UnitOfWork, tenant_id: int, sessions: list[tuple[str, int]],
                    now: dt.datetime) -> int:
    """One back-channel logout message per (session, client that the session's user
    authorized during it and that registered a backchannel_logout_uri); how many."""
    outbox = uow.outbox()
    targets = outbox.logout_targets(tenant_id, sessions)
    for target in targets:
        payload = {"sid": target.sid, "sub": target.sub, "client_id": target.client_id}
        outbox.enqueue(tenant_id, BACKCHANNEL_LOGOUT, json.dumps(payload).encode(), now)
    return len(targets)


@dataclass(frozen=True)
class LogoutSender:
    database: Database
    clock: Callable[[], dt.datetime]
    issuer_for: Callable[[str], str]  # tenant slug -> issuer
    signing_key: SigningKey
    transport: Transport = http_transport

    def send(self, tenant_id: int, payload: bytes) -> None:
        """Sign a fresh logout token and POST it; DeliveryFailed when not received."""
        data = json.loads(payload)
        with self.database.unit_of_work() as uow:
            tenant = uow.tenants.get(tenant_id)
            client = uow.clients(tenant_id).get(data["client_id"])
            if tenant is None or client is None or not client.backchannel_logout_uri:
                raise Undeliverable("the client no longer registers a backchannel_logout_uri")
            slug, uri = tenant.slug, client.backchannel_logout_uri
            alg = client.id_token_signed_response_alg
        try:
            kid, key = self.signing_key(tenant_id, alg)
            claims = bcl.logout_token_claims(self.issuer_for(slug), data["client_id"],
                                             data["sub"], data["sid"],
                                             int(self.clock().timestamp()))
            token = bcl.sign_logout_token(claims, key, alg, kid)
        except (KeyError, JWSError) as exc:
            raise DeliveryFailed(f"cannot sign the logout token: {exc}") from None
        request = WebhookRequest(uri, {"Content-Type": bcl.CONTENT_TYPE},
                                 bcl.request_body(token), TIMEOUT)
        try:
            status = self.transport(request).status
        except OSError as exc:
            raise DeliveryFailed(f"no answer from {uri}: {type(exc).__name__}") from None
        if not bcl.delivered(status):
            raise DeliveryFailed(f"{uri} answered HTTP {status}")


def describe(payload: bytes) -> dict[str, str]:
    """What an audit record says about a logout message: its client and session (nothing
    for a payload too malformed to say)."""
    try:
        data = json.loads(payload)
        return {"client_id": str(data["client_id"]), "sid": str(data["sid"])}
    except (ValueError, TypeError, KeyError):
        return {}
