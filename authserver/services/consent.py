"""Remembered consent: which scopes a person granted an application, until revoked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from authserver.storage.database import Database
from authserver.storage.models import Consent, Grant
from authserver.storage.repositories import AuditRepository
from authserver.storage.upsert import insert_if_absent


@dataclass(frozen=True, slots=True)
class Revoked:
    consent: bool  # a remembered consent was forgotten
    grants: int  # grants revoked

    def __bool__(self) -> bool:
        return self.consent or self.grants > 0


class ConsentService:
    def __init__(self, database: Database, tenant_id: int) -> None:
        self.database = database
        self.tenant_id = tenant_id

    def granted(self, user_id: int, client_id: str) -> set[str]:
        with self.database.session() as session:
            row = session.scalar(self._query(user_id, client_id))
            return set(row.scopes) if row else set()

    def remember(self, user_id: int, client_id: str, scopes: list[str], now: dt.datetime) -> None:
        """Add ``scopes`` to what the user granted the client. Idempotent, and safe when
        two first consents arrive at once (two tabs, a double click): the row is created
        by INSERT … ON CONFLICT DO NOTHING, so whoever loses the race updates the row the
        winner created instead of failing on the unique constraint."""
        values = {"tenant_id": self.tenant_id, "user_id": user_id, "client_id": client_id,
                  "scopes": sorted(set(scopes)), "created_at": now, "updated_at": now}
        with self.database.session() as session:
            # Twice at most: the row we lost to can only vanish if revoked in between.
            for _ in range(2):
                if insert_if_absent(session, Consent, values,
                                    unique=("tenant_id", "user_id", "client_id")):
                    break
                # Locked, so a concurrent remember cannot drop the scopes we add.
                row = session.scalar(self._query(user_id, client_id).with_for_update())
                if row is not None:
                    row.scopes = sorted(set(row.scopes) | set(scopes))
                    row.updated_at = now
                    break
            AuditRepository(session, self.tenant_id).record(
                f"user:{user_id}", "consent.granted", client_id, scopes=sorted(scopes))

    def revoke(self, user_id: int, client_id: str, now: dt.datetime, actor: str) -> Revoked:
        """Forget the consent and revoke every grant the client holds for the user (its
        refresh tokens stop and its access tokens introspect inactive). Audited only
        when there was something to revoke."""
        with self.database.session() as session:
            forgotten = session.execute(delete(Consent).where(
                Consent.tenant_id == self.tenant_id, Consent.user_id == user_id,
                Consent.client_id == client_id)).rowcount
            revoked = session.execute(update(Grant).where(
                Grant.tenant_id == self.tenant_id, Grant.user_id == user_id,
                Grant.client_id == client_id, Grant.revoked_at.is_(None),
            ).values(revoked_at=now, revoked_reason="consent_revoked")).rowcount
            outcome = Revoked(consent=bool(forgotten), grants=int(revoked))
            if outcome:
                AuditRepository(session, self.tenant_id).record(
                    actor, "consent.revoked", client_id, user_id=user_id,
                    grants_revoked=outcome.grants)
            return outcome

    def all_for_user(self, user_id: int) -> list[dict[str, object]]:
        with self.database.session() as session:
            rows = session.scalars(select(Consent).where(
                Consent.tenant_id == self.tenant_id, Consent.user_id == user_id)
                .order_by(Consent.client_id)).all()
            return [{"client_id": r.client_id, "scopes": list(r.scopes),
                     "granted_at": r.created_at.isoformat(),
                     "updated_at": r.updated_at.isoformat()} for r in rows]

    def _query(self, user_id: int, client_id: str):  # type: ignore[no-untyped-def]
        return select(Consent).where(Consent.tenant_id == self.tenant_id,
                                     Consent.user_id == user_id, Consent.client_id == client_id)
