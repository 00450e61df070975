"""The outbox worker: one daemon thread per server process, or ``authserver worker``.

Each round ends expired sessions (at most every ``SWEEP_EVERY``; they enqueue their
back-channel logouts), delivers what is due, and runs the chores it was given (the audit
log's: ship the spool, seal the chains; services/audit_log.py). Several processes, and several
instances, run it at once safely: a message is claimed with a lease
(storage/repositories/outbox.py), so each is attempted by one worker at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from authserver.services.outbox import Delivered, OutboxProcessor
from authserver.services.session_expiry import end_expired_sessions
from authserver.services.session_limits import SessionLimits

log = logging.getLogger(__name__)
SWEEP_EVERY = dt.timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Round:
    sessions_expired: int
    delivered: Delivered


class OutboxWorker:
    def __init__(self, processor: OutboxProcessor, limits: SessionLimits,
                 poll_seconds: float, chores: Sequence[Callable[[], object]] = ()) -> None:
        self.processor = processor
        self.chores = tuple(chores)
        self.limits = limits
        self.poll_seconds = poll_seconds
        self._last_sweep: dt.datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, *, sweep: bool = True) -> Round:
        """One round: the expiry sweep (when ``sweep``) and one batch of deliveries."""
        expired = 0
        if sweep:
            now = self.processor.clock()
            expired = end_expired_sessions(self.processor.database, now, self.limits)
            self._last_sweep = now
        delivered = self.processor.deliver_due()
        for chore in self.chores:
            try:
                chore()
            except Exception:  # one chore failing must not starve the deliveries
                log.exception("worker chore %s failed", getattr(chore, "__name__", chore))
        return Round(expired, delivered)

    def _sweep_due(self) -> bool:
        last = self._last_sweep
        return last is None or self.processor.clock() - last >= SWEEP_EVERY

    def run_forever(self) -> None:
        """Rounds every ``poll_seconds`` until :meth:`stop`; an error is logged and the
        next round tries again (the database may be back by then)."""
        while not self._stop.is_set():
            try:
                done = self.run_once(sweep=self._sweep_due())
                # A full batch: more is probably waiting, so go again without sleeping.
                busy = sum((done.delivered.delivered, done.delivered.retried,
                            done.delivered.dead)) >= self.processor.batch
            except Exception:  # a worker thread must outlive any one failure
                log.exception("outbox round failed")
                busy = False
            if not busy:
                self._stop.wait(self.poll_seconds)

    def start(self) -> OutboxWorker:
        """Run in a daemon thread (the server process's own worker)."""
        self._thread = threading.Thread(target=self.run_forever, name="authserver-outbox",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

