"""Audit-log helpers: everything written so far shipped and sealed, the rows as stored,
and the chain's verdict, as `authserver audit` computes them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from authserver.runtime import Runtime, admin_context
from authserver.services import audit_log
from authserver.services.audit_chain import Verdict
from authserver.storage.models import AuditEvent
from tests.support.tokens import tenant_id


def flush_audit(runtime: Runtime) -> int:
    """What the worker does each round: this process's spool shipped, chains sealed."""
    return audit_log.ship_and_seal(runtime.database, runtime.audit_keys,
                                   runtime.audit_spool, runtime.clock())


def rows(runtime: Runtime, slug: str = "acme", **where: Any) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id(runtime, slug))
    for column, value in where.items():
        query = query.where(getattr(AuditEvent, column) == value)
    with runtime.database.session() as session:
        return list(session.scalars(query.order_by(AuditEvent.id)))


def verify(runtime: Runtime, slug: str = "acme") -> Verdict:
    return audit_log.verify_chain(admin_context(runtime, "test"), slug)


def tamper(runtime: Runtime, row_id: int, **values: Any) -> None:
    """An UPDATE straight in the database, as someone with SQL access would."""
    with runtime.database.session() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == row_id).values(**values))
