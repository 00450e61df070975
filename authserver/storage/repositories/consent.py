"""Remembered consent of one tenant's users, and revoking what it let clients hold."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select, update

from authserver.storage.models import Consent, Grant
from authserver.storage.repositories.base import TenantScoped
from authserver.storage.upsert import insert_if_absent


class ConsentRepository(TenantScoped):
    def get(self, user_id: int, client_id: str, *, for_update: bool = False) -> Consent | None:
        """The consent ``user_id`` gave ``client_id``; ``for_update`` locks the row
        until the transaction ends."""
        query = select(Consent).where(Consent.tenant_id == self.tenant_id,
                                      Consent.user_id == user_id, Consent.client_id == client_id)
        return self.session.scalar(query.with_for_update() if for_update else query)

    def add_if_absent(self, user_id: int, client_id: str, scopes: list[str],
                      now: dt.datetime) -> bool:
        """Create the consent unless one exists (atomically: storage/upsert.py); True
        when this call created it."""
        values = {"tenant_id": self.tenant_id, "user_id": user_id, "client_id": client_id,
                  "scopes": scopes, "created_at": now, "updated_at": now}
        return insert_if_absent(self.session, Consent, values,
                                unique=("tenant_id", "user_id", "client_id"))

    def delete(self, user_id: int, client_id: str) -> int:
        """Forget the consent; returns how many rows went (0 or 1)."""
        return int(self.session.execute(delete(Consent).where(
            Consent.tenant_id == self.tenant_id, Consent.user_id == user_id,
            Consent.client_id == client_id)).rowcount)

    def revoke_grants(self, user_id: int, client_id: str, now: dt.datetime,
                      reason: str) -> int:
        """Revoke every live grant the client holds for the user; returns how many."""
        return int(self.session.execute(update(Grant).where(
            Grant.tenant_id == self.tenant_id, Grant.user_id == user_id,
            Grant.client_id == client_id, Grant.revoked_at.is_(None),
        ).values(revoked_at=now, revoked_reason=reason)).rowcount)

    def all_for_user(self, user_id: int) -> Sequence[Consent]:
        return self.session.scalars(select(Consent).where(
            Consent.tenant_id == self.tenant_id, Consent.user_id == user_id)
            .order_by(Consent.client_id)).all()
