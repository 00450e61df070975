"""Remembered consent: which scopes a person granted an application, until revoked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from authserver.storage.database import Database


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
        with self.database.unit_of_work() as uow:
            row = uow.consents(self.tenant_id).get(user_id, client_id)
            return set(row.scopes) if row else set()

    def remember(self, user_id: int, client_id: str, scopes: list[str], now: dt.datetime) -> None:
        """Add ``scopes`` to what the user granted the client. Idempotent, and safe when
        two first consents arrive at once (two tabs, a double click): the row is created
        by INSERT … ON CONFLICT DO NOTHING, so whoever loses the race updates the row the
        winner created instead of failing on the unique constraint."""
        with self.database.unit_of_work() as uow:
            consents = uow.consents(self.tenant_id)
            # Twice at most: the row we lost to can only vanish if revoked in between.
            for _ in range(2):
                if consents.add_if_absent(user_id, client_id, sorted(set(scopes)), now):
                    break
                # Locked, so a concurrent remember cannot drop the scopes we add.
                row = consents.get(user_id, client_id, for_update=True)
                if row is not None:
                    row.scopes = sorted(set(row.scopes) | set(scopes))
                    row.updated_at = now
                    break
            uow.audit(self.tenant_id).record(
                f"user:{user_id}", "consent.granted", client_id, scopes=sorted(scopes))

    def revoke(self, user_id: int, client_id: str, now: dt.datetime, actor: str) -> Revoked:
        """Forget the consent and revoke every grant the client holds for the user (its
        refresh tokens stop and its access tokens introspect inactive). Audited only
        when there was something to revoke."""
        with self.database.unit_of_work() as uow:
            consents = uow.consents(self.tenant_id)
            forgotten = consents.delete(user_id, client_id)
            revoked = consents.revoke_grants(user_id, client_id, now, "consent_revoked")
            outcome = Revoked(consent=bool(forgotten), grants=revoked)
            if outcome:
                uow.audit(self.tenant_id).record(
                    actor, "consent.revoked", client_id, user_id=user_id,
                    grants_revoked=outcome.grants)
            return outcome

    def all_for_user(self, user_id: int) -> list[dict[str, object]]:
        with self.database.unit_of_work() as uow:
            rows = uow.consents(self.tenant_id).all_for_user(user_id)
            return [{"client_id": r.client_id, "scopes": list(r.scopes),
                     "granted_at": r.created_at.isoformat(),
                     "updated_at": r.updated_at.isoformat()} for r in rows]

