"""The audit log: written in the same transaction as the change it records.

Each record is stamped by the :class:`AuditStamp` the runtime gives the database
(``Database.audit_stamp``, kept in each session's ``info``): the request context (address,
user agent, request id), redaction, and the MAC over the record's canonical content
(services/audit_chain.py). Storage only stores what the stamp computed: it holds no key.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.orm import Session

from authserver.storage.models import AuditChainHead, AuditEvent, utcnow
from authserver.storage.repositories.base import Repository
from authserver.storage.upsert import insert_if_absent

STAMP_KEY = "audit_stamp"


class AuditStamp(Protocol):
    """What a record gets beyond what its caller passed (services/audit_chain.py)."""

    def complete(self, session: Session, event: AuditEvent) -> None:
        """Fill the context columns, redact ``details`` and compute ``mac``."""


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which records a listing or export wants; None is no condition."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    actor: str | None = None
    action: str | None = None
    target: str | None = None


def new_event_id() -> str:
    return secrets.token_hex(16)


def chain_of(tenant_id: int | None) -> int:
    """The chain a tenant's records belong to: its id; 0 for records of no tenant."""
    return tenant_id or 0


class AuditRepository(Repository):
    """Events of one tenant; ``tenant_id`` None for events that belong to no tenant."""

    def __init__(self, session: Session, tenant_id: int | None) -> None:
        super().__init__(session)
        self.tenant_id = tenant_id

    def record(
        self, actor: str, action: str, target: str | None = None, **details: object
    ) -> AuditEvent:
        event = AuditEvent(
            tenant_id=self.tenant_id, actor=actor, action=action, target=target,
            details=details, event_id=new_event_id(), occurred_at=utcnow())
        stamp: AuditStamp | None = self.session.info.get(STAMP_KEY)
        if stamp is not None:
            stamp.complete(self.session, event)
        self.session.add(event)
        return event

    def add_sealed(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Store records written elsewhere first (the spool), sealed already: one
        multi-row INSERT per batch."""
        if rows:
            # Core, not the ORM's bulk path: no per-row ORM bookkeeping for a batch.
            self.session.connection().execute(insert(AuditEvent.__table__), list(rows))

    def known_event_ids(self, event_ids: Sequence[str]) -> set[str]:
        """Which of ``event_ids`` are stored (a spool file shipped twice)."""
        if not event_ids:
            return set()
        return set(self.session.scalars(select(AuditEvent.event_id).where(
            AuditEvent.event_id.in_(list(event_ids)))))

    def set_seals(self, seals: Sequence[Mapping[str, Any]]) -> None:
        """``seq``, ``prev_hash`` and ``chain_hash`` by primary key (one executemany)."""
        if seals:
            self.session.execute(update(AuditEvent), list(seals))

    def recent(self, limit: int = 100) -> Sequence[AuditEvent]:
        query = (
            select(AuditEvent)
            .where(AuditEvent.tenant_id == self.tenant_id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
        return self.session.scalars(query).all()

    # --- listing
    def _where(self, query: Select[Any], wanted: AuditFilter) -> Select[Any]:
        query = query.where(self._mine())
        if wanted.since is not None:
            query = query.where(AuditEvent.occurred_at >= wanted.since)
        if wanted.until is not None:
            query = query.where(AuditEvent.occurred_at < wanted.until)
        for column, value in ((AuditEvent.actor, wanted.actor),
                              (AuditEvent.action, wanted.action),
                              (AuditEvent.target, wanted.target)):
            if value is not None:
                query = query.where(column == value)
        return query

    def page(self, wanted: AuditFilter, limit: int, before_id: int | None = None
             ) -> Sequence[AuditEvent]:
        """Newest first, ``limit`` of them, those older than ``before_id`` (keyset)."""
        query = self._where(select(AuditEvent), wanted)
        if before_id is not None:
            query = query.where(AuditEvent.id < before_id)
        return self.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)).all()

    def stream(self, wanted: AuditFilter, batch: int = 500) -> Iterator[AuditEvent]:
        """Oldest first, fetched ``batch`` at a time (an export of any size)."""
        after = 0
        while True:
            query = self._where(select(AuditEvent), wanted).where(AuditEvent.id > after)
            rows = self.session.scalars(query.order_by(AuditEvent.id).limit(batch)).all()
            yield from rows
            if len(rows) < batch:
                return
            after = rows[-1].id

    # --- the chain
    def _mine(self) -> Any:
        if self.tenant_id is None:
            return AuditEvent.tenant_id.is_(None)
        return AuditEvent.tenant_id == self.tenant_id

    def ensure_head(self) -> None:
        insert_if_absent(self.session, AuditChainHead,
                         {"chain": chain_of(self.tenant_id), "seq": 0, "anchor_seq": 0},
                         ["chain"])

    def lock_head(self, now: dt.datetime) -> AuditChainHead:
        """The chain head, locked until the transaction ends. A write first: PostgreSQL
        takes the row lock, SQLite the database's write lock, before anything is read,
        so two sealers never read the same head (SQLite would otherwise refuse the
        second one's upgrade from reader to writer)."""
        chain = chain_of(self.tenant_id)
        self.session.execute(update(AuditChainHead).where(AuditChainHead.chain == chain)
                             .values(sealed_at=now))
        head = self.session.scalars(select(AuditChainHead)
                                    .where(AuditChainHead.chain == chain)
                                    .execution_options(populate_existing=True)).one()
        return head

    def head(self) -> AuditChainHead | None:
        return self.session.get(AuditChainHead, chain_of(self.tenant_id))

    def unsealed(self, limit: int, after_id: int = 0) -> Sequence[AuditEvent]:
        query = (select(AuditEvent).where(self._mine(), AuditEvent.seq.is_(None),
                                          AuditEvent.id > after_id)
                 .order_by(AuditEvent.id).limit(limit))
        return self.session.scalars(query).all()

    def sealed(self, batch: int = 1000) -> Iterator[AuditEvent]:
        """Sealed records in chain order (then by id, so duplicates show)."""
        last: tuple[int, int] = (-1, 0)
        while True:
            seq, row_id = last
            query = (select(AuditEvent)
                     .where(self._mine(), AuditEvent.seq.is_not(None),
                            (AuditEvent.seq > seq)
                            | ((AuditEvent.seq == seq) & (AuditEvent.id > row_id)))
                     .order_by(AuditEvent.seq, AuditEvent.id).limit(batch))
            rows = self.session.scalars(query).all()
            yield from rows
            if len(rows) < batch:
                return
            last = (rows[-1].seq or 0, rows[-1].id)

    def purge_through(self, seq: int) -> int:
        result = self.session.execute(delete(AuditEvent).where(
            self._mine(), AuditEvent.seq.is_not(None), AuditEvent.seq <= seq))
        return int(result.rowcount or 0)

    def first_seq_from(self, when: dt.datetime) -> int | None:
        """The lowest sealed seq of a record at or after ``when``."""
        return self.session.scalar(select(func.min(AuditEvent.seq)).where(
            self._mine(), AuditEvent.seq.is_not(None), AuditEvent.occurred_at >= when))

    def by_seq(self, seq: int) -> AuditEvent | None:
        return self.session.scalars(select(AuditEvent).where(
            self._mine(), AuditEvent.seq == seq).order_by(AuditEvent.id).limit(1)).first()


def tenants_with_unsealed(session: Session, after_id: int = 0) -> list[int | None]:
    """Every chain with records past ``after_id`` still waiting for the sealer (all
    tenants: workers)."""
    rows = session.execute(select(AuditEvent.tenant_id).where(
        AuditEvent.seq.is_(None), AuditEvent.id > after_id).distinct()).scalars().all()
    return list(rows)
