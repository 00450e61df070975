"""The outbox worker wired to the runtime: its database, clock, keys and senders."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from authserver.services.audit_log import ship_and_seal
from authserver.services.backchannel_delivery import LogoutSender
from authserver.services.keyring import TenantKeys
from authserver.services.notifications import Notifier
from authserver.services.outbox import OutboxProcessor, notification_enqueuer
from authserver.services.outbox_worker import OutboxWorker
from authserver.services.senders.http_transport import Transport, http_transport
from authserver.services.session_limits import SessionLimits

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from authserver.protocol.jws import PrivateKey
    from authserver.runtime import Runtime


def outbox_processor(rt: Runtime, transport: Transport = http_transport) -> OutboxProcessor:
    """Delivery of outbox messages with the runtime's keys, senders and clock;
    ``transport`` posts logout tokens."""
    def signing_key(tenant_id: int, alg: str) -> tuple[str, PrivateKey]:
        return TenantKeys(rt.keyring, tenant_id).current(alg)

    logouts = LogoutSender(rt.database, rt.clock, rt.issuer, signing_key, transport)
    return OutboxProcessor(database=rt.database, clock=rt.clock, master_key=rt.master_key,
                           logouts=logouts, notifier=Notifier(rt.database, rt.senders))


def durable_notifier(rt: Runtime) -> Notifier:
    """The Notifier services send mail and SMS with: queued in the outbox with the
    change, tried right after commit, retried by the worker if that attempt fails."""
    enqueue = notification_enqueuer(rt.master_key, rt.clock,
                                    deliver_now=outbox_processor(rt).deliver_one)
    return Notifier(rt.database, rt.senders, enqueue=enqueue)


def outbox_worker(rt: Runtime, transport: Transport = http_transport) -> OutboxWorker:
    """The worker a server process starts (AUTHSERVER_OUTBOX_POLL) and `authserver
    worker` runs; tests call its ``run_once``."""
    processor = outbox_processor(rt, transport)
    s = rt.settings
    return OutboxWorker(processor, SessionLimits(s.session_idle_ttl, s.session_absolute_ttl),
                        float(s.outbox_poll or 1), chores=[audit_chore(rt)])


def audit_chore(rt: Runtime) -> Callable[[], int]:
    """Each round: close this process's spool file, ship every spool file no live process
    holds (a dead process's too: on the first round after a start), seal the chains."""
    def ship_and_seal_audit() -> int:
        return ship_and_seal(rt.database, rt.audit_keys, rt.audit_spool, rt.clock())

    return ship_and_seal_audit


def start_audit_shipping(rt: Runtime) -> threading.Thread:
    """One round of the audit chore in a daemon thread, for a server process without a
    worker thread (AUTHSERVER_OUTBOX_POLL=0): what dead processes left is shipped at
    start, without delaying the start."""
    chore = audit_chore(rt)

    def once() -> None:
        try:
            chore()
        except Exception:  # the database may not be up yet; `authserver worker` retries
            log.exception("shipping the audit spool at start failed")

    thread = threading.Thread(target=once, name="authserver-audit-ship", daemon=True)
    thread.start()
    return thread
