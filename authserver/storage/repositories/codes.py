"""Authorization codes of one tenant, keyed by digest (RFC 6749 §4.1.2: single use).

Which concurrent redemption wins is decided by a conditional UPDATE (``… WHERE used_at
IS NULL``) and its row count, so the guarantee holds across threads, workers and hosts
on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from authserver.protocol.ports.outcomes import CodeStatus
from authserver.protocol.ports.records import CodeRecord
from authserver.storage.models import AuthorizationCode

# Marks a code whose replay was seen before its grant existed: the grant is born revoked.
REPLAYED = "!replayed"


@dataclass(frozen=True, slots=True)
class ReplayedCode:
    """A code a replay was seen for, after marking it."""

    client_id: str
    # As stored now: the grant its first redemption created, or REPLAYED.
    grant_id: str | None
    # The grant to revoke: created by the first redemption before the replay was seen.
    issued_grant_id: str | None


@dataclass(frozen=True, slots=True)
class CodeRepository:
    session: Session
    tenant_id: int

    def add(self, code: CodeRecord) -> None:
        """Store a freshly minted code (unused, not yet linked to a grant)."""
        self.session.add(AuthorizationCode(
            tenant_id=self.tenant_id, code_digest=code.code_digest, client_id=code.client_id,
            user_id=code.user_id, sid=code.sid, redirect_uri=code.redirect_uri,
            scope=code.scope, nonce=code.nonce, code_challenge=code.code_challenge,
            resources=list(code.resources), claims=code.claims, auth_time=code.auth_time,
            acr=code.acr, amr=list(code.amr), expires_at=code.expires_at))

    def redeem(self, code_digest: str, now: dt.datetime) -> tuple[CodeRecord | None, CodeStatus]:
        """Burn the code: ``OK`` for exactly one caller, ``USED`` for every later one."""
        claimed = self.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.tenant_id == self.tenant_id,
                   AuthorizationCode.code_digest == code_digest,
                   AuthorizationCode.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        row = self._get(code_digest)
        if row is None:
            return None, CodeStatus.UNKNOWN
        return code_record(row), CodeStatus.OK if claimed == 1 else CodeStatus.USED

    def link_grant(self, code_digest: str, grant_id: str) -> bool:
        """Record the grant the code's redemption created; False if a replay marked the
        code first (conditional, so a concurrent replay and this link cannot both win)."""
        return self._set_grant_if_unset(code_digest, grant_id)

    def mark_replayed(self, code_digest: str) -> ReplayedCode | None:
        """Note that the code was replayed; None if there is no such code.

        Conditional, like ``link_grant``: a read-then-write here could overwrite a
        grant_id linked concurrently, leaving that grant live and unrevocable.
        """
        marked = self._set_grant_if_unset(code_digest, REPLAYED)
        row = self._get(code_digest)
        if row is None:
            return None
        issued = None if marked or row.grant_id in (None, REPLAYED) else row.grant_id
        return ReplayedCode(row.client_id, row.grant_id, issued)

    def _set_grant_if_unset(self, code_digest: str, grant_id: str) -> bool:
        return bool(self.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.tenant_id == self.tenant_id,
                   AuthorizationCode.code_digest == code_digest,
                   AuthorizationCode.grant_id.is_(None))
            .values(grant_id=grant_id)
        ).rowcount == 1)

    def _get(self, code_digest: str) -> AuthorizationCode | None:
        return self.session.scalar(select(AuthorizationCode).where(
            AuthorizationCode.tenant_id == self.tenant_id,
            AuthorizationCode.code_digest == code_digest))


def code_record(row: AuthorizationCode) -> CodeRecord:
    return CodeRecord(
        client_id=row.client_id, user_id=row.user_id, sid=row.sid,
        redirect_uri=row.redirect_uri, scope=row.scope, nonce=row.nonce,
        code_challenge=row.code_challenge, resources=tuple(row.resources or ()),
        claims=row.claims, auth_time=row.auth_time, acr=row.acr, amr=tuple(row.amr or ()),
        expires_at=row.expires_at, code_digest=row.code_digest)
