"""The audit log: written in the same transaction as the change it records."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from authserver.storage.models import AuditEvent
from authserver.storage.repositories.base import Repository


class AuditRepository(Repository):
    """Events of one tenant; ``tenant_id`` None for events that belong to no tenant."""

    def __init__(self, session: Session, tenant_id: int | None) -> None:
        super().__init__(session)
        self.tenant_id = tenant_id

    def record(
        self, actor: str, action: str, target: str | None = None, **details: object
    ) -> AuditEvent:
        event = AuditEvent(
            tenant_id=self.tenant_id, actor=actor, action=action, target=target, details=details
        )
        self.session.add(event)
        return event

    def recent(self, limit: int = 100) -> Sequence[AuditEvent]:
        query = (
            select(AuditEvent)
            .where(AuditEvent.tenant_id == self.tenant_id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
        return self.session.scalars(query).all()
