"""The outbox worker wired to the runtime: its database, clock, keys and senders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authserver.services.keyring import TenantKeys
from authserver.services.notifications import Notifier
from authserver.services.outbox import OutboxProcessor
from authserver.services.outbox_worker import OutboxWorker
from authserver.services.senders.http_transport import Transport, http_transport
from authserver.services.session_limits import SessionLimits

if TYPE_CHECKING:
    from authserver.protocol.jws import PrivateKey
    from authserver.runtime import Runtime


def outbox_worker(rt: Runtime, transport: Transport = http_transport) -> OutboxWorker:
    """The worker a server process starts (AUTHSERVER_OUTBOX_POLL) and `authserver
    worker` runs; tests call its ``run_once``. ``transport`` posts logout tokens."""
    def signing_key(tenant_id: int, alg: str) -> tuple[str, PrivateKey]:
        return TenantKeys(rt.keyring, tenant_id).current(alg)

    processor = OutboxProcessor(
        database=rt.database, clock=rt.clock, master_key=rt.master_key,
        issuer_for=rt.issuer, signing_key=signing_key,
        notifier=Notifier(rt.database, rt.senders), transport=transport)
    s = rt.settings
    return OutboxWorker(processor, SessionLimits(s.session_idle_ttl, s.session_absolute_ttl),
                        float(s.outbox_poll or 1))
