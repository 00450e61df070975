"""A tenant's TOTP credentials (RFC 6238 authenticator apps), one per user.

Which code wins is decided by the database: :meth:`TotpRepository.accept_step` raises
``last_used_step`` only when the new step is later, so a code (and every concurrent
submission of it) is accepted once per user (SECURITY.md, "One-time codes work once").
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update

from authserver.storage.models import TotpCredential, User
from authserver.storage.repositories.base import TenantScoped


class TotpRepository(TenantScoped):
    def of_user(self, user_id: int) -> TotpCredential | None:
        """The user's credential, confirmed or not (None when there is none)."""
        return self.session.scalar(select(TotpCredential).where(
            TotpCredential.tenant_id == self.tenant_id, TotpCredential.user_id == user_id))

    def person(self, user_id: int) -> User | None:
        """The credential's holder (its email names the account in the app)."""
        return self.session.scalar(select(User).where(
            User.tenant_id == self.tenant_id, User.id == user_id))

    def confirmed(self, user_id: int) -> TotpCredential | None:
        """The credential codes are checked against: only a confirmed one counts."""
        row = self.of_user(user_id)
        return row if row is not None and row.confirmed_at is not None else None

    def add(self, row: TotpCredential) -> TotpCredential:
        row.tenant_id = self.tenant_id
        self.session.add(row)
        self.session.flush()
        return row

    def accept_step(self, credential_id: int, step: int) -> bool:
        """Record ``step`` as the last one used, if it is later than the last: True for
        exactly one of any number of concurrent calls with the same step."""
        done = self.session.execute(update(TotpCredential).where(
            TotpCredential.tenant_id == self.tenant_id, TotpCredential.id == credential_id,
            TotpCredential.last_used_step < step).values(last_used_step=step))
        return int(done.rowcount) == 1

    def confirm(self, credential_id: int, secret_sealed: bytes, step: int,
                now: dt.datetime) -> bool:
        """Make ``secret_sealed`` the confirmed seed with ``step`` already used, unless
        another request confirmed or removed the credential meanwhile (False then)."""
        done = self.session.execute(update(TotpCredential).where(
            TotpCredential.tenant_id == self.tenant_id, TotpCredential.id == credential_id,
            # Still the seed that was checked: not confirmed, replaced or removed since.
            ((TotpCredential.confirmed_at.is_(None)
              & (TotpCredential.secret_sealed == secret_sealed))
             | (TotpCredential.pending_secret_sealed == secret_sealed)),
        ).values(secret_sealed=secret_sealed, pending_secret_sealed=None, confirmed_at=now,
                 last_used_step=step))
        return int(done.rowcount) == 1

    def remove(self, user_id: int) -> bool:
        done = self.session.execute(delete(TotpCredential).where(
            TotpCredential.tenant_id == self.tenant_id, TotpCredential.user_id == user_id))
        return int(done.rowcount) > 0
