"""The outbox processor: delivers what transactions left in the outbox, with retries.

Messages are written by the change that causes them (:func:`enqueue_logouts` from
services/session_end.py, :func:`notification_enqueuer` as the Notifier's hook) and
delivered here, after that change committed, by any instance's worker
(services/outbox_worker.py) or ``authserver worker``. Kinds:

- ``backchannel_logout``: a logout token to one relying party, signed at each attempt
  (services/backchannel_delivery.py).
- ``notification``: a mail or SMS, sealed under the tenant's data key (it may carry a
  sign-in link, which is a credential), handed to the Notifier's sender.

A failure is retried after :func:`backoff` (10 s, 30 s, 1.5 min, … tripling, capped at
4 h, ±20 % jitter so messages that failed together do not retry together); a message
still failing :data:`GIVE_UP_AFTER` after it was written goes ``dead``, with an audit
event ``outbox.gave_up``.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from authserver.services.backchannel_delivery import (
    BACKCHANNEL_LOGOUT,
    LogoutSender,
    describe,
    enqueue_logouts,
)
from authserver.services.notifications import Enqueue, Notifier
from authserver.services.outbox_errors import DeliveryFailed, Undeliverable
from authserver.services.senders import Channel, OutgoingMessage, SendFailed
from authserver.services.tenant_secrets import open_for, seal_for
from authserver.storage.database import Database
from authserver.storage.unit_of_work import UnitOfWork

__all__ = [
    "BACKCHANNEL_LOGOUT",
    "NOTIFICATION",
    "DeliveryFailed",
    "OutboxProcessor",
    "Outcome",
    "Undeliverable",
    "backoff",
    "enqueue_logouts",
    "notification_enqueuer",
]
log = logging.getLogger(__name__)

NOTIFICATION = "notification"
FIRST_RETRY = 10.0  # seconds
RETRY_FACTOR = 3
LONGEST_WAIT = dt.timedelta(hours=4)
GIVE_UP_AFTER = dt.timedelta(hours=24)
LEASE = dt.timedelta(minutes=2)  # far longer than one attempt (a 5 s POST, a mail)
BATCH = 50
_SEALED_FOR = "outbox:notification"

Clock = Callable[[], dt.datetime]


def backoff(failures: int, rng: random.Random) -> dt.timedelta:
    """How long to wait after the ``failures``-th failed attempt (1 = the first)."""
    # The exponent is bounded first: the cap is reached by the 8th failure anyway, and
    # a huge attempt count must not overflow the float.
    exponent = min(max(failures, 1) - 1, 20)
    base = min(FIRST_RETRY * RETRY_FACTOR ** exponent, LONGEST_WAIT.total_seconds())
    return dt.timedelta(seconds=base * rng.uniform(0.8, 1.2))


def notification_enqueuer(master_key: bytes, clock: Clock,
                          deliver_now: Callable[[int], object] | None = None) -> Enqueue:
    """The Notifier's ``enqueue`` hook: mail and SMS stored, sealed, in the outbox.

    With ``deliver_now`` (e.g. :meth:`OutboxProcessor.deliver_one`), a thread tries the
    message as soon as the transaction commits, so a person waits no longer for a mail
    than before; the outbox is what makes it durable (a failed or interrupted attempt
    is retried by the worker)."""
    def enqueue(uow: UnitOfWork, tenant_id: int, channel: Channel,
                message: OutgoingMessage) -> None:
        tenant = uow.tenants.get(tenant_id)
        if tenant is None:
            return
        plain = json.dumps({"channel": str(channel), "to": message.to, "text": message.text,
                            "purpose": message.purpose, "locale": message.locale}).encode()
        row = uow.outbox().enqueue(tenant_id, NOTIFICATION,
                                   seal_for(master_key, tenant, plain, _SEALED_FOR), clock())
        if deliver_now is not None:
            uow.flush()
            message_id = row.id
            uow.after_commit(lambda: threading.Thread(
                target=deliver_now, args=(message_id,), daemon=True,
                name="authserver-notify").start())
    return enqueue


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    tenant_id: int
    kind: str
    payload: bytes
    attempts: int
    created_at: dt.datetime


class Outcome(enum.StrEnum):
    """What one attempt at a message came to."""

    DELIVERED = "delivered"
    RETRIED = "retried"  # failed; due again after its back-off
    DEAD = "dead"  # failed for good: undeliverable, or still failing after a day


@dataclass(frozen=True, slots=True)
class Delivered:
    delivered: int = 0
    retried: int = 0
    dead: int = 0


@dataclass
class OutboxProcessor:
    database: Database
    clock: Clock
    master_key: bytes
    logouts: LogoutSender
    notifier: Notifier | None = None
    rng: random.Random = field(default_factory=random.SystemRandom)
    batch: int = BATCH

    def deliver_due(self) -> Delivered:
        """Claim up to ``batch`` due messages and attempt each once."""
        counts = dict.fromkeys(Outcome, 0)
        for message in self._claim():
            counts[self._attempt(message)] += 1
        return Delivered(counts[Outcome.DELIVERED], counts[Outcome.RETRIED],
                         counts[Outcome.DEAD])

    def deliver_one(self, message_id: int) -> Outcome | None:
        """Attempt one message now if it is due and nobody holds it; its outcome, or
        None when it was not ours to attempt."""
        claimed = self._claim([message_id])
        return self._attempt(claimed[0]) if claimed else None

    def _claim(self, ids: list[int] | None = None) -> list[Claimed]:
        now = self.clock()
        with self.database.unit_of_work() as uow:
            outbox = uow.outbox()
            wanted = ids if ids is not None else outbox.due_ids(now, self.batch)
            rows = [outbox.claim(i, now, LEASE) for i in wanted]
            return [Claimed(r.id, r.tenant_id, r.kind, r.payload, r.attempts, r.created_at)
                    for r in rows if r is not None]

    def _attempt(self, message: Claimed) -> Outcome:
        try:
            if message.kind == BACKCHANNEL_LOGOUT:
                self.logouts.send(message.tenant_id, message.payload)
            elif message.kind == NOTIFICATION:
                self._send_notification(message)
            else:
                raise Undeliverable(f"unknown kind {message.kind!r}")
        except DeliveryFailed as failure:
            return self._failed(message, str(failure),
                                final=isinstance(failure, Undeliverable))
        except Exception as exc:  # a bad message must not stop the rest of the batch
            log.exception("outbox message %s (%s) could not be attempted", message.id,
                          message.kind)
            return self._failed(message, f"internal error: {type(exc).__name__}", final=False)
        with self.database.unit_of_work() as uow:
            uow.outbox().mark_delivered(message.id, self.clock())
        return Outcome.DELIVERED

    def _failed(self, message: Claimed, error: str, final: bool) -> Outcome:
        now = self.clock()
        failures = message.attempts + 1
        log.warning("outbox message %s (%s) attempt %s failed: %s", message.id, message.kind,
                    failures, error)
        with self.database.unit_of_work() as uow:
            if not final and now - message.created_at < GIVE_UP_AFTER:
                uow.outbox().schedule_retry(message.id, now + backoff(failures, self.rng),
                                            error)
                return Outcome.RETRIED
            if uow.outbox().mark_dead(message.id, error):
                uow.audit(message.tenant_id).record(
                    "system", "outbox.gave_up", str(message.id), kind=message.kind,
                    attempts=failures, error=error,
                    **(describe(message.payload) if message.kind == BACKCHANNEL_LOGOUT else {}))
            return Outcome.DEAD

    def _send_notification(self, message: Claimed) -> None:
        if self.notifier is None:
            raise DeliveryFailed("this worker has no senders for notifications")
        with self.database.unit_of_work() as uow:
            tenant = uow.tenants.get(message.tenant_id)
            if tenant is None:
                raise Undeliverable("the tenant no longer exists")
            data = json.loads(open_for(self.master_key, tenant, message.payload, _SEALED_FOR))
        channel = Channel(data["channel"])
        if not self.notifier.can_send(channel):
            # Not "delivered": a worker started without this sender (another
            # environment) must leave the message for one that has it, or give up loudly.
            raise DeliveryFailed(f"this worker has no {channel} sender")
        # Rows queued before messages had a language are English.
        outgoing = OutgoingMessage(to=data["to"], text=data["text"], purpose=data["purpose"],
                                   locale=str(data.get("locale") or "en"))
        try:
            self.notifier.deliver(message.tenant_id, channel, outgoing)
        except SendFailed as exc:
            raise DeliveryFailed(str(exc)) from None
