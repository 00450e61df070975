"""SQL implementations of the protocol ports: codes, grants, refresh tokens, revocations.

Single-use guarantees come from conditional UPDATEs (``… WHERE used_at IS NULL``) whose
row count says who won, so they hold across threads, workers and hosts on SQLite and
PostgreSQL alike. Security events are audited in the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from authserver.protocol.ports import CodeRecord, GrantRecord, Issuance, UserRecord
from authserver.storage.database import Database
from authserver.storage.models import (
    AuthorizationCode,
    Grant,
    IssuedAccessToken,
    LoginSession,
    RefreshToken,
    RevokedToken,
    UsedAssertion,
    User,
)
from authserver.storage.repositories import AuditRepository
from authserver.storage.upsert import insert_if_absent

# Marks a code whose replay was seen before its grant existed: the grant is born revoked.
REPLAYED = "!replayed"


class _UserDisabled(Exception):
    """Raised inside a token transaction to roll it back: the user is disabled or gone."""


def grant_record(row: Grant) -> GrantRecord:
    return GrantRecord(
        grant_id=row.grant_id, client_id=row.client_id, user_id=row.user_id, sid=row.sid,
        scope=row.scope, resources=tuple(row.resources or ()), claims=row.claims,
        auth_time=row.auth_time, acr=row.acr, amr=tuple(row.amr or ()), offline=row.offline,
        absolute_expires_at=row.absolute_expires_at)


def user_record(row: User) -> UserRecord:
    return UserRecord(id=row.id, sub=row.sub, email=row.email,
                      email_verified=row.email_verified, username=row.username,
                      given_name=row.given_name, family_name=row.family_name,
                      disabled=row.disabled, updated_at=row.updated_at)


class SqlUserDirectory:
    def __init__(self, database: Database, tenant_id: int) -> None:
        self.database = database
        self.tenant_id = tenant_id

    def by_id(self, user_id: int) -> UserRecord | None:
        with self.database.session() as session:
            row = session.get(User, user_id)
            return user_record(row) if row and row.tenant_id == self.tenant_id else None

    def by_sub(self, sub: str) -> UserRecord | None:
        with self.database.session() as session:
            row = session.scalar(select(User).where(User.tenant_id == self.tenant_id,
                                                    User.sub == sub))
            return user_record(row) if row else None


class SqlAssertionReplayGuard:
    def __init__(self, database: Database, tenant_id: int) -> None:
        self.database = database
        self.tenant_id = tenant_id

    def first_use(self, client_id: str, jti: str, expires_at: dt.datetime) -> bool:
        try:
            with self.database.session() as session:
                session.add(UsedAssertion(tenant_id=self.tenant_id, client_id=client_id,
                                          jti=jti, expires_at=expires_at))
        except IntegrityError:
            return False
        return True


class SqlTokenStore:
    """TokenStore for one tenant.

    A grant that is not ``offline_access`` lives only as long as the sign-in session it
    came from: ended, idle past ``session_idle`` or older than ``session_absolute``.
    Using its refresh token counts as activity on that session (as Keycloak does), so an
    app that keeps refreshing keeps the session from idling out.
    """

    def __init__(self, database: Database, tenant_id: int,
                 session_idle: dt.timedelta = dt.timedelta(minutes=30),
                 session_absolute: dt.timedelta = dt.timedelta(hours=12),
                 access_token_ttl: dt.timedelta = dt.timedelta(minutes=10)) -> None:
        self.database = database
        self.tenant_id = tenant_id
        self.access_token_ttl = access_token_ttl
        self.session_idle = session_idle
        self.session_absolute = session_absolute

    # --- authorization codes
    def save_code(self, **values: Any) -> None:
        with self.database.session() as session:
            session.add(AuthorizationCode(tenant_id=self.tenant_id, **values))

    def redeem_code(self, code_digest: str, now: dt.datetime) -> tuple[CodeRecord | None, str]:
        with self.database.session() as session:
            claimed = session.execute(
                update(AuthorizationCode)
                .where(AuthorizationCode.tenant_id == self.tenant_id,
                       AuthorizationCode.code_digest == code_digest,
                       AuthorizationCode.used_at.is_(None))
                .values(used_at=now)
            ).rowcount
            row = session.scalar(select(AuthorizationCode).where(
                AuthorizationCode.tenant_id == self.tenant_id,
                AuthorizationCode.code_digest == code_digest))
            if row is None:
                return None, "unknown"
            record = CodeRecord(
                client_id=row.client_id, user_id=row.user_id, sid=row.sid,
                redirect_uri=row.redirect_uri, scope=row.scope, nonce=row.nonce,
                code_challenge=row.code_challenge, resources=tuple(row.resources or ()),
                claims=row.claims, auth_time=row.auth_time, acr=row.acr,
                amr=tuple(row.amr or ()), expires_at=row.expires_at, code_digest=code_digest)
            return record, "ok" if claimed == 1 else "used"

    def revoke_grant_of_code(self, code_digest: str, reason: str, now: dt.datetime) -> None:
        with self.database.session() as session:
            # Conditional, like _add_grant's link: a read-then-write here could overwrite
            # a grant_id linked concurrently, leaving that grant live and unrevocable.
            marked = session.execute(
                update(AuthorizationCode)
                .where(AuthorizationCode.tenant_id == self.tenant_id,
                       AuthorizationCode.code_digest == code_digest,
                       AuthorizationCode.grant_id.is_(None))
                .values(grant_id=REPLAYED)
            ).rowcount
            code = session.scalar(select(AuthorizationCode).where(
                AuthorizationCode.tenant_id == self.tenant_id,
                AuthorizationCode.code_digest == code_digest))
            if code is None:
                return
            if marked != 1 and code.grant_id not in (None, REPLAYED):
                self._revoke(session, code.grant_id, reason, now)
            AuditRepository(session, self.tenant_id).record(
                f"client:{code.client_id}", "token.code_replayed", code.grant_id)

    # --- issuing
    def persist_issuance(self, issuance: Issuance, now: dt.datetime) -> str:
        """One transaction per token response (see TokenStore.persist_issuance)."""
        try:
            return self._persist(issuance, now)
        except _UserDisabled:
            return "user_disabled"  # rolled back: nothing was written

    def _persist(self, issuance: Issuance, now: dt.datetime) -> str:
        with self.database.session() as session:
            outcome = "ok"
            spent = issuance.spent_refresh_digest
            if spent is not None and not self._spend_refresh(session, spent, now):
                return "refresh_spent"  # its UPDATE matched nothing: nothing was written
            if issuance.new_grant and not self._add_grant(session, issuance, now):
                outcome = "code_replayed"
            session.add(IssuedAccessToken(
                tenant_id=self.tenant_id, jti=issuance.access_jti,
                grant_id=issuance.grant.grant_id, expires_at=issuance.access_expires_at))
            if issuance.refresh_digest is not None and issuance.refresh_expires_at is not None:
                session.add(RefreshToken(
                    tenant_id=self.tenant_id, token_digest=issuance.refresh_digest,
                    grant_id=issuance.grant.grant_id, created_at=now,
                    expires_at=issuance.refresh_expires_at))
            return outcome

    def _add_grant(self, session: Session, issuance: Issuance, now: dt.datetime) -> bool:
        """Insert the grant, linked to its code; born revoked if a replay got there first."""
        grant = issuance.grant
        live = True
        if issuance.code_digest is not None:
            live = session.execute(
                update(AuthorizationCode)
                .where(AuthorizationCode.tenant_id == self.tenant_id,
                       AuthorizationCode.code_digest == issuance.code_digest,
                       AuthorizationCode.grant_id.is_(None))
                .values(grant_id=grant.grant_id)
            ).rowcount == 1
        self._lock_enabled_user(session, grant.user_id)
        session.add(Grant(
            tenant_id=self.tenant_id, grant_id=grant.grant_id, client_id=grant.client_id,
            user_id=grant.user_id, sid=grant.sid, scope=grant.scope,
            resources=list(grant.resources), claims=grant.claims, auth_time=grant.auth_time,
            acr=grant.acr, amr=list(grant.amr), offline=grant.offline, created_at=now,
            absolute_expires_at=grant.absolute_expires_at,
            revoked_at=None if live else now, revoked_reason=None if live else "code_replay"))
        session.flush()  # the grant row must exist before tokens reference it
        return live

    def _lock_enabled_user(self, session: Session, user_id: int) -> None:
        """Refuse a new grant for a user disabled since the code was checked.

        ``user disable`` updates the user row before it revokes the user's grants, in
        one transaction; locking that row here (after this transaction's first write,
        which on SQLite already serialises it) means a concurrent disable either commits
        first, and is seen now, or waits for this grant and then revokes it. Without the
        lock a grant could land between the revocation and its commit, and ``user
        enable`` would revive it.
        """
        disabled = session.scalar(select(User.disabled).where(
            User.tenant_id == self.tenant_id, User.id == user_id).with_for_update())
        if disabled is None or disabled:
            raise _UserDisabled

    def _spend_refresh(self, session: Session, digest: str, now: dt.datetime) -> bool:
        """Mark the token used if still unused (exactly one concurrent caller wins), and
        count the use as activity on the sign-in session it came from."""
        won = session.execute(
            update(RefreshToken)
            .where(RefreshToken.tenant_id == self.tenant_id,
                   RefreshToken.token_digest == digest, RefreshToken.used_at.is_(None))
            .values(used_at=now)
        ).rowcount == 1
        if won:
            sid = session.scalar(
                select(Grant.sid).join(RefreshToken, Grant.grant_id == RefreshToken.grant_id)
                .where(RefreshToken.tenant_id == self.tenant_id,
                       RefreshToken.token_digest == digest, Grant.offline.is_(False)))
            if sid is not None:
                session.execute(update(LoginSession).where(
                    LoginSession.tenant_id == self.tenant_id, LoginSession.sid == sid,
                    LoginSession.ended_at.is_(None)).values(last_seen_at=now))
        return won

    # --- refresh tokens
    def refresh_token_expires_at(self, digest: str) -> dt.datetime | None:
        with self.database.session() as session:
            return session.scalar(select(RefreshToken.expires_at).where(
                RefreshToken.tenant_id == self.tenant_id, RefreshToken.token_digest == digest))

    def find_refresh_token(self, digest: str, now: dt.datetime) -> tuple[GrantRecord | None, str]:
        with self.database.session() as session:
            found = session.execute(
                select(RefreshToken, Grant).join(Grant, Grant.grant_id == RefreshToken.grant_id)
                .where(RefreshToken.tenant_id == self.tenant_id,
                       RefreshToken.token_digest == digest)).first()
            if found is None:
                return None, "unknown"
            token, grant = found
            record = grant_record(grant)
            if token.used_at is not None:
                return record, "reused"
            if grant.revoked_at is not None:
                return record, "revoked"
            if token.expires_at <= now or grant.absolute_expires_at <= now:
                return record, "expired"
            if not self._grant_live(session, grant, now):
                return record, "revoked"
            return record, "ok"

    def revoke_grant(self, grant_id: str, reason: str, now: dt.datetime) -> None:
        with self.database.session() as session:
            self._revoke(session, grant_id, reason, now)

    def revoke_refresh_token(self, digest: str, client_id: str, now: dt.datetime) -> bool:
        """RFC 7009 §2.1: revoking a refresh token revokes its whole grant."""
        with self.database.session() as session:
            grant = session.scalar(
                select(Grant).join(RefreshToken, Grant.grant_id == RefreshToken.grant_id)
                .where(RefreshToken.tenant_id == self.tenant_id,
                       RefreshToken.token_digest == digest))
            if grant is None or grant.client_id != client_id:
                return False
            self._revoke(session, grant.grant_id, "revoked_by_client", now)
            return True

    # --- access tokens
    def access_token_grant_live(self, jti: str, now: dt.datetime) -> bool | None:
        with self.database.session() as session:
            grant = self._grant_of_access_token(session, jti)
            if grant is None:
                return None
            return grant.revoked_at is None and self._grant_live(session, grant, now)

    def access_token_grant(self, jti: str, now: dt.datetime) -> GrantRecord | None:
        """The live grant behind a user access token; None if absent or no longer live."""
        with self.database.session() as session:
            grant = self._grant_of_access_token(session, jti)
            if grant is None or grant.revoked_at is not None:
                return None
            return grant_record(grant) if self._grant_live(session, grant, now) else None

    def _grant_of_access_token(self, session: Session, jti: str) -> Grant | None:
        return session.scalar(
            select(Grant).join(IssuedAccessToken, Grant.grant_id == IssuedAccessToken.grant_id)
            .where(IssuedAccessToken.tenant_id == self.tenant_id, IssuedAccessToken.jti == jti))

    def revoke_access_token(self, jti: str, expires_at: dt.datetime) -> None:
        # Two revocations of one token at once must both succeed (RFC 7009 §2.2).
        with self.database.session() as session:
            insert_if_absent(session, RevokedToken, {
                "tenant_id": self.tenant_id, "jti": jti, "expires_at": expires_at},
                unique=("jti",))

    def is_access_token_revoked(self, jti: str) -> bool:
        with self.database.session() as session:
            return session.scalar(select(RevokedToken.id).where(
                RevokedToken.tenant_id == self.tenant_id, RevokedToken.jti == jti)) is not None

    def purge_expired(self, now: dt.datetime) -> dict[str, int]:
        """Delete rows that can no longer matter; returns counts per table."""
        counts: dict[str, int] = {}
        with self.database.session() as session:
            for model in (AuthorizationCode, RevokedToken, UsedAssertion, IssuedAccessToken):
                counts[model.__tablename__] = session.execute(delete(model).where(
                    model.tenant_id == self.tenant_id, model.expires_at < now)).rowcount
            # Grants past their absolute limit take their refresh tokens with them (cascade
            # is not relied on: SQLite only cascades with foreign keys on).
            # Kept until every access token issued from them has expired too.
            cutoff = now - self.access_token_ttl
            dead = select(Grant.grant_id).where(Grant.tenant_id == self.tenant_id,
                                                Grant.absolute_expires_at < cutoff)
            counts["refresh_tokens"] = session.execute(delete(RefreshToken).where(
                RefreshToken.grant_id.in_(dead))).rowcount
            counts["grants"] = session.execute(delete(Grant).where(
                Grant.tenant_id == self.tenant_id, Grant.absolute_expires_at < cutoff)).rowcount
            counts["login_sessions"] = session.execute(delete(LoginSession).where(
                LoginSession.tenant_id == self.tenant_id,
                LoginSession.created_at < now - self.session_absolute)).rowcount
        return counts

    # --- helpers
    def _grant_live(self, session: Session, grant: Grant, now: dt.datetime) -> bool:
        """A grant dies with its user, and (unless offline) with its login session."""
        user = session.get(User, grant.user_id)
        if user is None or user.disabled:
            return False
        if grant.offline or grant.sid is None:
            return True
        login = session.scalar(select(LoginSession).where(
            LoginSession.tenant_id == self.tenant_id, LoginSession.sid == grant.sid))
        return (login is not None and login.ended_at is None
                and now - login.last_seen_at <= self.session_idle
                and now - login.created_at <= self.session_absolute)

    def _revoke(self, session: Session, grant_id: str, reason: str, now: dt.datetime) -> None:
        grant = session.scalar(select(Grant).where(Grant.tenant_id == self.tenant_id,
                                                   Grant.grant_id == grant_id))
        if grant is None or grant.revoked_at is not None:
            return
        grant.revoked_at = now
        grant.revoked_reason = reason
        AuditRepository(session, self.tenant_id).record(
            f"client:{grant.client_id}", "grant.revoked", grant_id, reason=reason,
            user_id=grant.user_id)
