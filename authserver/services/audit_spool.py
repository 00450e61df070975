"""The durable batched path for audit records of requests that touch no database.

A client-credentials token, and a refused token request, are answered without any
database access (docs/architecture.md, "Hot path"), so their audit records cannot ride
in a transaction. Each process appends them instead to a spool file of its own, one
JSON line per record, with one ``write(2)`` per record *before* the response is sent;
the background worker ships closed spool files to ``audit_events`` in batches, and
deletes a file only once its batch has committed.

Guarantee (docs/audit.md, "The spool"): once ``write(2)`` has returned, the record is
in the kernel's page cache, so it survives the process dying in any way (SIGKILL, OOM,
a crash); it is not fsynced, so a power loss or kernel crash can lose the last records
the operating system had not yet written out (typically up to 30 s on Linux).

Which files may be shipped is decided by ``flock``: a process holds an exclusive lock
on the file it appends to, and the kernel drops the lock when the process dies, so a
shipper takes every file it can lock: files the owner has rotated, and files of dead
processes (shipped by the next worker round of any process, and at start). A record
shipped twice (a shipper that died between commit and unlink) is stored once: its
``event_id`` is unique.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from authserver.services import audit_context
from authserver.services.audit_chain import (
    AuditKeys,
    actor_kind,
    redact,
    store_sealed,
)
from authserver.storage.database import Database
from authserver.storage.models import utcnow
from authserver.storage.repositories.audit import new_event_id

log = logging.getLogger(__name__)
SUFFIX = ".jsonl"
# A file older than this is closed at the next append, so shippers in other processes
# (`authserver worker`) get it even when this process's worker thread is off.
ROTATE_SECONDS = 10.0


class AuditSpool:
    """This process's spool file in ``directory`` (AUTHSERVER_AUDIT_SPOOL_DIR)."""

    def __init__(self, directory: Path, rotate_seconds: float = ROTATE_SECONDS) -> None:
        self.directory = directory
        self.rotate_seconds = rotate_seconds
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0
        self._opened = 0.0
        self._written = 0

    # --- writing (the request path)
    def append(self, tenant_id: int | None, actor: str, action: str, target: str | None,
               details: dict[str, Any]) -> None:
        context = audit_context.current()
        line = orjson.dumps({
            "event_id": new_event_id(), "tenant_id": tenant_id,
            "occurred_at": utcnow().isoformat(timespec="microseconds"),
            "actor": actor, "actor_kind": actor_kind(actor), "action": action,
            # Written as JSON here: what the shipper reads back is what its MAC covers.
            "target": target, "details": redact(details),
            "ip": context.ip if context else None,
            "user_agent": context.user_agent if context else None,
            "request_id": context.request_id if context else None,
        }, default=str, option=orjson.OPT_NON_STR_KEYS) + b"\n"
        with self._lock:
            fd = self._current()
            os.write(fd, line)  # one write: whole lines, whatever other threads do
            self._written += len(line)

    def _current(self) -> int:
        now = time.monotonic()
        if self._fd is not None and self._pid == os.getpid() and (
                not self._written or now - self._opened < self.rotate_seconds):
            return self._fd
        self._close()
        self._fd, self._pid, self._opened, self._written = self._open(), os.getpid(), now, 0
        return self._fd

    def _open(self) -> int:
        """A new spool file, locked before it gets its shippable name (a shipper never
        sees an unlocked file that is about to be written)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(6)}"
        pending = self.directory / f".{name}.new"
        fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(pending, self.directory / f"{name}{SUFFIX}")
        return fd

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock: the file can be shipped now
        self._fd = None

    def rotate(self) -> None:
        """Close the current file if anything was written to it (the worker's round)."""
        with self._lock:
            if self._fd is not None and (self._written or self._pid != os.getpid()):
                self._close()

    # --- shipping (the background worker)
    def ship(self, database: Database, keys: AuditKeys) -> int:
        """Store every spool file no live process holds; returns the records stored."""
        if not self.directory.is_dir():
            return 0
        stored = 0
        for path in sorted(self.directory.glob(f"*{SUFFIX}")):
            stored += _ship_file(path, database, keys)
        return stored


def _ship_file(path: Path, database: Database, keys: AuditKeys) -> int:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return 0  # shipped by someone else meanwhile
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0  # its process is alive and still appending
        if not path.exists():
            return 0
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read()
        by_chain: dict[int | None, list[dict[str, Any]]] = {}
        for record in _parse(path, data):
            by_chain.setdefault(record["tenant_id"], []).append(record)
        stored = 0
        for tenant_id, records in by_chain.items():
            try:
                stored += store_sealed(database, keys, tenant_id, records, utcnow())
            except LookupError:  # its tenant was deleted since: nothing left to audit
                log.warning("audit spool %s: %d records of tenant %s, which no longer "
                            "exists; skipped", path.name, len(records), tenant_id)
        path.unlink(missing_ok=True)
        return stored
    finally:
        os.close(fd)


def _parse(path: Path, data: bytes) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(data.splitlines(), 1):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            # Only a torn last line after a power loss looks like this.
            log.warning("audit spool %s line %d is not a record; skipped", path.name, number)
            continue
        try:
            records.append(_values(record))
        except (KeyError, TypeError, ValueError):
            log.warning("audit spool %s line %d is not a record; skipped", path.name, number)
    return records


def _values(record: Any) -> dict[str, Any]:
    """A spooled line as the columns it fills (the writer put them there; bounded
    anyway, as a database column would be)."""
    when = dt.datetime.fromisoformat(record["occurred_at"])
    if when.tzinfo is None:
        raise ValueError("naive time")
    text = {"actor": 200, "action": 100, "target": 200, "actor_kind": 20, "ip": 64,
            "user_agent": 256, "request_id": 64}
    values: dict[str, Any] = {
        name: (None if record.get(name) is None else str(record[name])[:limit])
        for name, limit in text.items()}
    tenant_id = record.get("tenant_id")
    if tenant_id is not None and not isinstance(tenant_id, int):
        raise TypeError("tenant_id")
    details = record.get("details") or {}
    if not isinstance(details, dict):
        raise TypeError("details")
    values.update(event_id=str(record["event_id"])[:32], tenant_id=tenant_id,
                  occurred_at=when, details=details, actor=values["actor"] or "unknown",
                  action=values["action"] or "unknown")
    return values


class TenantAuditTrail:
    """The protocol's AuditTrail port for one tenant: into this process's spool."""

    def __init__(self, spool: AuditSpool, tenant_id: int) -> None:
        self.spool = spool
        self.tenant_id = tenant_id

    def record(self, actor: str, action: str, target: str | None, **details: object) -> None:
        self.spool.append(self.tenant_id, actor, action, target, dict(details))
