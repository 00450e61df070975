"""Mail and SMS to people, queued with the change that causes them.

:meth:`Notifier.queue` is the only way services send to a person: it takes the caller's
unit of work, returns at once, never raises for a delivery problem, and the message
goes out only if that unit of work commits. A request's response therefore neither
waits for nor depends on delivery, so it reveals nothing (timing included) about
whether there was anyone to send to (issue 10: enumeration).

Delivery is the outbox's job (services/outbox.py, durable, retried with back-off); until
a runtime has an outbox, :class:`Notifier` delivers after commit on a background
thread and records a failure as an audit event.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

from authserver.services.senders import Channel, OutgoingMessage, Senders, SendFailed
from authserver.storage.database import Database
from authserver.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# A hook for the outbox: given (unit of work, tenant id, channel, message), store it for
# delivery in that transaction. None: deliver after commit on a thread (no durability).
Enqueue = Callable[[UnitOfWork, int, Channel, OutgoingMessage], None]


class Notifier:
    def __init__(self, database: Database, senders: Senders,
                 enqueue: Enqueue | None = None) -> None:
        self.database = database
        self.senders = senders
        self._enqueue = enqueue

    def can_send(self, channel: Channel) -> bool:
        """Whether this server has a sender for ``channel`` (what may be offered)."""
        return self.senders.get(channel) is not None

    def queue(self, uow: UnitOfWork, tenant_id: int, channel: Channel,
              message: OutgoingMessage) -> None:
        """Send ``message`` once ``uow`` commits; silently nothing when ``channel`` has
        no sender (callers check :meth:`can_send` to decide what to offer)."""
        if self.senders.get(channel) is None:
            return
        if self._enqueue is not None:
            self._enqueue(uow, tenant_id, channel, message)
            return
        uow.after_commit(lambda: threading.Thread(
            target=self._deliver_quietly, args=(tenant_id, channel, message), daemon=True,
            name="authserver-notify").start())

    def _deliver_quietly(self, tenant_id: int, channel: Channel,
                         message: OutgoingMessage) -> None:
        # Recorded by deliver; nobody is waiting for the answer.
        with contextlib.suppress(SendFailed):
            self.deliver(tenant_id, channel, message)

    def deliver(self, tenant_id: int, channel: Channel, message: OutgoingMessage) -> None:
        """Hand ``message`` to the channel's sender now; a failure becomes an audit event
        (``notification.send_failed``) and is raised as :class:`SendFailed`."""
        sender = self.senders.get(channel)
        if sender is None:
            return
        try:
            sender.send(message)
        except SendFailed as failure:
            log.warning("%s message (%s) not delivered: %s", channel, message.purpose,
                        failure)
            with self.database.unit_of_work() as uow:
                uow.audit(tenant_id).record("system", "notification.send_failed", None,
                                            channel=str(channel), purpose=message.purpose,
                                            reason=str(failure))
            raise
