"""Client assertion ``jti`` values already seen, per tenant and client (RFC 7523 §3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from authserver.storage.models import UsedAssertion


@dataclass(frozen=True, slots=True)
class UsedAssertionRepository:
    session: Session
    tenant_id: int

    def add(self, client_id: str, jti: str, expires_at: dt.datetime) -> None:
        """Record the jti; a second use of it fails with IntegrityError when the unit of
        work commits (the unique constraint decides, so concurrent uses cannot both pass)."""
        self.session.add(UsedAssertion(tenant_id=self.tenant_id, client_id=client_id,
                                       jti=jti, expires_at=expires_at))
