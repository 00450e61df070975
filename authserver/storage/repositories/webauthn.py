"""Passkeys (WebAuthn credentials) and the single-use challenges of their ceremonies.

The two writes that decide a ceremony are conditional statements, so two concurrent
requests cannot both win: a challenge is taken by a DELETE that only one of them sees
succeed, and a credential's signature counter only moves forward (an UPDATE guarded by
the count the assertion was checked against).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from authserver.storage.models import User, WebAuthnChallenge, WebAuthnCredential
from authserver.storage.repositories.base import TenantScoped


@dataclass(frozen=True, slots=True)
class TakenChallenge:
    challenge: bytes
    user_id: int | None


class WebAuthnCredentialRepository(TenantScoped):
    def __init__(self, session: Session, tenant_id: int) -> None:
        super().__init__(session, tenant_id)

    def person(self, user_id: int) -> User | None:
        """The tenant's user ``user_id`` (whose passkeys these are)."""
        return self.session.scalar(
            select(User).where(User.tenant_id == self.tenant_id, User.id == user_id))

    def of_user(self, user_id: int) -> Sequence[WebAuthnCredential]:
        return self.session.scalars(
            select(WebAuthnCredential)
            .where(WebAuthnCredential.tenant_id == self.tenant_id,
                   WebAuthnCredential.user_id == user_id)
            .order_by(WebAuthnCredential.id)).all()

    def count_of_user(self, user_id: int) -> int:
        return int(self.session.scalar(
            select(func.count()).select_from(WebAuthnCredential)
            .where(WebAuthnCredential.tenant_id == self.tenant_id,
                   WebAuthnCredential.user_id == user_id)) or 0)

    def by_credential_id(self, credential_id: bytes) -> WebAuthnCredential | None:
        return self.session.scalar(
            select(WebAuthnCredential)
            .where(WebAuthnCredential.tenant_id == self.tenant_id,
                   WebAuthnCredential.credential_id == credential_id))

    def one_of_user(self, user_id: int, row_id: int) -> WebAuthnCredential | None:
        return self.session.scalar(
            select(WebAuthnCredential)
            .where(WebAuthnCredential.tenant_id == self.tenant_id,
                   WebAuthnCredential.user_id == user_id, WebAuthnCredential.id == row_id))

    def add(self, credential: WebAuthnCredential) -> bool:
        """Store a new credential; False when this tenant already has its credential id
        (registered before, by this person or another). A savepoint keeps the caller's
        transaction usable after the unique constraint refuses the row."""
        credential.tenant_id = self.tenant_id
        try:
            with self.session.begin_nested():
                self.session.add(credential)
        except IntegrityError:
            return False
        return True

    def record_use(self, row_id: int, checked_count: int, new_count: int,
                   now: dt.datetime) -> bool:
        """Move the counter to ``new_count`` if it is still ``checked_count`` and the move
        is forward (or both are zero: many passkeys never count). False: refused."""
        forward = or_(WebAuthnCredential.sign_count < new_count,
                      and_(WebAuthnCredential.sign_count == 0, new_count == 0))
        result = self.session.execute(
            update(WebAuthnCredential)
            .where(WebAuthnCredential.tenant_id == self.tenant_id,
                   WebAuthnCredential.id == row_id,
                   WebAuthnCredential.sign_count == checked_count, forward)
            .values(sign_count=new_count, last_used_at=now)
            .execution_options(synchronize_session=False))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def rename(self, user_id: int, row_id: int, name: str) -> bool:
        result = self.session.execute(
            update(WebAuthnCredential)
            .where(WebAuthnCredential.tenant_id == self.tenant_id,
                   WebAuthnCredential.user_id == user_id, WebAuthnCredential.id == row_id)
            .values(name=name).execution_options(synchronize_session=False))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def remove(self, user_id: int, row_id: int) -> bool:
        result = self.session.execute(
            delete(WebAuthnCredential)
            .where(WebAuthnCredential.tenant_id == self.tenant_id,
                   WebAuthnCredential.user_id == user_id, WebAuthnCredential.id == row_id)
            .execution_options(synchronize_session=False))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def remove_all(self, user_id: int) -> int:
        """Delete every passkey of the user (an operator's "lost device" reset)."""
        result = self.session.execute(
            delete(WebAuthnCredential)
            .where(WebAuthnCredential.tenant_id == self.tenant_id,
                   WebAuthnCredential.user_id == user_id)
            .execution_options(synchronize_session=False))
        return int(result.rowcount)  # type: ignore[attr-defined]


class WebAuthnChallengeRepository(TenantScoped):
    def __init__(self, session: Session, tenant_id: int) -> None:
        super().__init__(session, tenant_id)

    def put(self, purpose: str, binding_digest: str, challenge: bytes, user_id: int | None,
            expires_at: dt.datetime) -> None:
        """The binding's one live challenge from now on (replacing an older one)."""
        for _ in range(2):  # a concurrent request may insert its own in between
            self._drop(purpose, binding_digest)
            try:
                with self.session.begin_nested():
                    self.session.add(WebAuthnChallenge(
                        tenant_id=self.tenant_id, purpose=purpose,
                        binding_digest=binding_digest, challenge=challenge, user_id=user_id,
                        expires_at=expires_at))
                return
            except IntegrityError:
                continue
        raise RuntimeError("could not store the WebAuthn challenge")

    def take(self, purpose: str, binding_digest: str,
             now: dt.datetime) -> TakenChallenge | None:
        """Remove and return the binding's live challenge; None when there is none, it
        expired, or a concurrent request took it first."""
        row = self.session.scalar(select(WebAuthnChallenge).where(
            *self._key(purpose, binding_digest)))
        if row is None:
            return None
        taken = TakenChallenge(row.challenge, row.user_id)
        live = row.expires_at > now
        result = self.session.execute(
            delete(WebAuthnChallenge).where(WebAuthnChallenge.id == row.id)
            .execution_options(synchronize_session=False))
        self.session.expunge(row)
        if result.rowcount != 1 or not live:  # type: ignore[attr-defined]
            return None
        return taken

    def _drop(self, purpose: str, binding_digest: str) -> None:
        self.session.execute(delete(WebAuthnChallenge).where(
            *self._key(purpose, binding_digest)).execution_options(synchronize_session=False))

    def _key(self, purpose: str, binding_digest: str) -> tuple[object, ...]:
        return (WebAuthnChallenge.tenant_id == self.tenant_id,
                WebAuthnChallenge.purpose == purpose,
                WebAuthnChallenge.binding_digest == binding_digest)


def purge_expired_challenges(session: Session, now: dt.datetime) -> int:
    """Delete every tenant's expired challenges (``db purge``)."""
    result = session.execute(
        delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at <= now)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
