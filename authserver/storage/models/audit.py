"""The audit log: append-only records, sealed into one hash chain per tenant.

A record is written in the caller's transaction with ``mac``, an HMAC over its canonical
content under a key only the server holds (services/audit_chain.py), and a random
``event_id``. The sealer later gives each committed record its place in the tenant's
chain (``seq``, ``prev_hash``, ``chain_hash``) under a lock on the tenant's
:class:`AuditChainHead`, so the hot path takes no per-tenant lock (docs/audit.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from authserver.storage.models.base import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """An append-only record of who did what; written in the same transaction as the act."""

    __tablename__ = "audit_events"
    # (seq, id): the sealer's "which chains have records waiting" (seq IS NULL, past the
    # records from before the chain).
    __table_args__ = (Index(None, "tenant_id", "occurred_at"),
                      Index(None, "tenant_id", "seq"), Index(None, "seq", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # user, client, operator, system or anonymous (services/audit_chain.actor_kind).
    actor_kind: Mapped[str | None] = mapped_column(String(20))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    request_id: Mapped[str | None] = mapped_column(String(64))
    # Random: makes each record's MAC unique, and lets spooled records be shipped twice
    # without being stored twice.
    event_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    mac: Mapped[str | None] = mapped_column(String(64))
    # Set by the sealer: the record's place in its tenant's chain.
    seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    chain_hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """The end of one tenant's chain (``chain`` = tenant id, 0 for records of no tenant):
    the last sealed record, and the anchor a purge leaves (the last purged record).
    Its row lock serialises the sealers; ``mac`` protects what it says."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    chain_hash: Mapped[str | None] = mapped_column(String(64))
    anchor_seq: Mapped[int] = mapped_column(Integer, default=0)
    anchor_hash: Mapped[str | None] = mapped_column(String(64))
    mac: Mapped[str | None] = mapped_column(String(64))
    sealed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
