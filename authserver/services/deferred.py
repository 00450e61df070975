"""Work for an existing account done after the answer, never before it (docs/security.md,
"Enumeration resistance").

A page that takes an address or number (reset, magic link, a code by phone) must answer
in the same time whether or not it names an account. The lookup, the limits and one
audit record are done on the request path for every address alike; what only an
existing account gets (a token written, a message queued) is handed to
:func:`after_commit`, which runs it on a background thread once the request's unit of
work has committed, so the response does not wait for it. Python switches threads only
every few milliseconds or when one blocks, so the work mostly runs once the answer has
been rendered.

The work opens its own unit of work, as the Notifier's delivery thread does; a failure is
logged (the work's name and the exception's type, never its text) and never reaches
the person, who was already answered.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable

from authserver.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

_Work = tuple[str, Callable[[], None]]


class _Worker:
    """One background thread per process, started on first use (and again in a forked
    child, which inherits no threads). One long-lived thread rather than one per piece
    of work: starting a thread hands it the interpreter at once (Thread.start waits for
    it), so its work would run inside the request that started it; handing work to a
    waiting thread only wakes it, and it runs when the request lets go."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = -1
        self._queue: queue.SimpleQueue[_Work] = queue.SimpleQueue()
        self._pending = 0
        self._idle = threading.Condition(self._lock)

    def submit(self, what: str, work: Callable[[], None]) -> None:
        with self._lock:
            if self._pid != os.getpid():
                self._pid, self._queue = os.getpid(), queue.SimpleQueue()
                self._pending = 0
                threading.Thread(target=self._run, args=(self._queue,), daemon=True,
                                 name="authserver-deferred").start()
            self._pending += 1
            self._queue.put((what, work))

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every piece of work handed over so far has run (a shutting-down
        process, a test about to empty the database); False if ``timeout`` passed."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _run(self, jobs: queue.SimpleQueue[_Work]) -> None:
        while True:
            what, work = jobs.get()
            try:
                work()
            except Exception as failure:  # nobody is waiting for it: record, carry on
                # The type only: an exception's text can carry SQL parameters (a
                # password hash, an address), and no log line may.
                log.error("deferred %s failed: %s", what, type(failure).__name__)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()


_worker = _Worker()


def after_commit(uow: UnitOfWork, what: str, work: Callable[[], None]) -> None:
    """Run ``work`` on the background thread once ``uow`` commits (not at all if it
    rolls back). ``what`` names it in the log line of a failure."""
    uow.after_commit(lambda: _worker.submit(what, work))


def wait_idle(timeout: float = 10.0) -> bool:
    """Wait until all work handed to :func:`after_commit` so far has run."""
    return _worker.wait_idle(timeout)
