"""The stateful side of OAuth for one tenant: codes, grants, refresh tokens, revocations.

Each operation is one unit of work (one transaction) over the repositories in
``storage/repositories``, and writes its audit records in that same transaction. The
single-use guarantees come from the repositories' conditional UPDATEs, whose row counts
say which concurrent request won.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from authserver.protocol.claim_mapping import MappedUserData
from authserver.protocol.ports import (
    CodeRecord,
    CodeStatus,
    GrantRecord,
    Issuance,
    IssuanceOutcome,
    RefreshStatus,
    UserRecord,
)
from authserver.storage.database import Database
from authserver.storage.models import Grant
from authserver.storage.repositories import AuditRepository
from authserver.storage.repositories.access_tokens import AccessTokenRepository
from authserver.storage.repositories.assertions import UsedAssertionRepository
from authserver.storage.repositories.codes import CodeRepository
from authserver.storage.repositories.grants import GrantRepository, grant_record
from authserver.storage.repositories.refresh_tokens import RefreshTokenRepository
from authserver.storage.repositories.roles import RoleRepository
from authserver.storage.repositories.token_purge import TokenPurge
from authserver.storage.repositories.user_attributes import UserAttributeRepository
from authserver.storage.repositories.user_records import UserRecordRepository


class _UserDisabled(Exception):
    """Raised inside a token transaction to roll it back: the user is disabled or gone."""


class TenantUsers:
    """UserDirectory of one tenant."""

    def __init__(self, database: Database, tenant_id: int) -> None:
        self.database = database
        self.tenant_id = tenant_id

    def by_id(self, user_id: int) -> UserRecord | None:
        with self.database.session() as session:
            return UserRecordRepository(session, self.tenant_id).by_id(user_id)

    def by_sub(self, sub: str) -> UserRecord | None:
        with self.database.session() as session:
            return UserRecordRepository(session, self.tenant_id).by_sub(sub)


class TenantUserClaims:
    """UserClaimSource of one tenant: a statement for the roles (direct and through
    groups) and one for the mapped attributes, each only when asked, in one session."""

    def __init__(self, database: Database, tenant_id: int) -> None:
        self.database = database
        self.tenant_id = tenant_id

    def mapped_data(self, user_id: int, roles: bool,
                    attribute_keys: tuple[str, ...]) -> MappedUserData:
        with self.database.session() as session:
            names = tuple(name for name, _ in RoleRepository(session, self.tenant_id)
                          .effective(user_id)) if roles else None
            attributes = UserAttributeRepository(session, self.tenant_id).of_user(
                user_id, attribute_keys) if attribute_keys else {}
            return MappedUserData(names, attributes)


class TenantAssertionGuard:
    """AssertionReplayGuard of one tenant: the unique constraint decides the first use."""

    def __init__(self, database: Database, tenant_id: int) -> None:
        self.database = database
        self.tenant_id = tenant_id

    def first_use(self, client_id: str, jti: str, expires_at: dt.datetime) -> bool:
        try:
            with self.database.session() as session:
                UsedAssertionRepository(session, self.tenant_id).add(client_id, jti, expires_at)
        except IntegrityError:
            return False
        return True


class TenantTokens:
    """CodeStorage, CodeRedemption, IssuanceStore, RefreshTokens, GrantRevocation and
    AccessTokenState of one tenant.

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
    def save_code(self, code: CodeRecord) -> None:
        with self.database.session() as session:
            CodeRepository(session, self.tenant_id).add(code)

    def redeem_code(self, code_digest: str, now: dt.datetime
                    ) -> tuple[CodeRecord | None, CodeStatus]:
        with self.database.session() as session:
            return CodeRepository(session, self.tenant_id).redeem(code_digest, now)

    def revoke_grant_of_code(self, code_digest: str, reason: str, now: dt.datetime) -> None:
        with self.database.session() as session:
            code = CodeRepository(session, self.tenant_id).mark_replayed(code_digest)
            if code is None:
                return
            if code.issued_grant_id is not None:
                self._revoke(session, code.issued_grant_id, reason, now)
            AuditRepository(session, self.tenant_id).record(
                f"client:{code.client_id}", "token.code_replayed", code.grant_id)

    # --- issuing
    def persist_issuance(self, issuance: Issuance, now: dt.datetime) -> IssuanceOutcome:
        """One transaction per token response (see IssuanceStore.persist_issuance)."""
        try:
            return self._persist(issuance, now)
        except _UserDisabled:
            return IssuanceOutcome.USER_DISABLED  # rolled back: nothing was written

    def _persist(self, issuance: Issuance, now: dt.datetime) -> IssuanceOutcome:
        with self.database.session() as session:
            outcome = IssuanceOutcome.OK
            spent = issuance.spent_refresh_digest
            if spent is not None and not self._spend_refresh(session, spent, now):
                # Its UPDATE matched nothing: nothing was written.
                return IssuanceOutcome.REFRESH_SPENT
            if issuance.new_grant and not self._add_grant(session, issuance, now):
                outcome = IssuanceOutcome.CODE_REPLAYED
            grant_id = issuance.grant.grant_id
            AccessTokenRepository(session, self.tenant_id).add_issued(
                issuance.access_jti, grant_id, issuance.access_expires_at)
            if issuance.refresh_digest is not None and issuance.refresh_expires_at is not None:
                RefreshTokenRepository(session, self.tenant_id).add(
                    issuance.refresh_digest, grant_id, now, issuance.refresh_expires_at)
            return outcome

    def _add_grant(self, session: Session, issuance: Issuance, now: dt.datetime) -> bool:
        """Insert the grant, linked to its code; born revoked if a replay got there first.

        The user row is locked first (UserRecordRepository.lock_if_enabled): a user
        disabled since the code was checked gets no grant, and the whole issuance rolls
        back.
        """
        grant = issuance.grant
        live = True
        if issuance.code_digest is not None:
            live = CodeRepository(session, self.tenant_id).link_grant(
                issuance.code_digest, grant.grant_id)
        if not UserRecordRepository(session, self.tenant_id).lock_if_enabled(grant.user_id):
            raise _UserDisabled
        GrantRepository(session, self.tenant_id).add(
            grant, now, revoked_reason=None if live else "code_replay")
        return live

    def _spend_refresh(self, session: Session, digest: str, now: dt.datetime) -> bool:
        """Mark the token used if still unused (exactly one concurrent caller wins), and
        count the use as activity on the sign-in session it came from."""
        tokens = RefreshTokenRepository(session, self.tenant_id)
        won = tokens.spend(digest, now)
        if won:
            tokens.touch_login_session(digest, now)
        return won

    # --- refresh tokens
    def refresh_token_expires_at(self, digest: str) -> dt.datetime | None:
        with self.database.session() as session:
            return RefreshTokenRepository(session, self.tenant_id).expires_at(digest)

    def find_refresh_token(self, digest: str, now: dt.datetime
                           ) -> tuple[GrantRecord | None, RefreshStatus]:
        with self.database.session() as session:
            found = RefreshTokenRepository(session, self.tenant_id).with_grant(digest)
            if found is None:
                return None, RefreshStatus.UNKNOWN
            token, grant = found
            record = grant_record(grant)
            if token.used_at is not None:
                return record, RefreshStatus.REUSED
            if grant.revoked_at is not None:
                return record, RefreshStatus.REVOKED
            if token.expires_at <= now or grant.absolute_expires_at <= now:
                return record, RefreshStatus.EXPIRED
            if not self._grant_live(session, grant, now):
                return record, RefreshStatus.REVOKED
            return record, RefreshStatus.OK

    def revoke_grant(self, grant_id: str, reason: str, now: dt.datetime) -> None:
        with self.database.session() as session:
            self._revoke(session, grant_id, reason, now)

    def revoke_refresh_token(self, digest: str, client_id: str, now: dt.datetime) -> bool:
        """RFC 7009 §2.1: revoking a refresh token revokes its whole grant."""
        with self.database.session() as session:
            grant = RefreshTokenRepository(session, self.tenant_id).grant_of(digest)
            if grant is None or grant.client_id != client_id:
                return False
            self._revoke(session, grant.grant_id, "revoked_by_client", now)
            return True

    # --- access tokens
    def access_token_grant_live(self, jti: str, now: dt.datetime) -> bool | None:
        with self.database.session() as session:
            grant = GrantRepository(session, self.tenant_id).of_access_token(jti)
            if grant is None:
                return None
            return grant.revoked_at is None and self._grant_live(session, grant, now)

    def access_token_grant(self, jti: str, now: dt.datetime) -> GrantRecord | None:
        """The live grant behind a user access token; None if absent or no longer live."""
        with self.database.session() as session:
            grant = GrantRepository(session, self.tenant_id).of_access_token(jti)
            if grant is None or grant.revoked_at is not None:
                return None
            return grant_record(grant) if self._grant_live(session, grant, now) else None

    def revoke_access_token(self, jti: str, expires_at: dt.datetime) -> None:
        with self.database.session() as session:
            AccessTokenRepository(session, self.tenant_id).revoke(jti, expires_at)

    def is_access_token_revoked(self, jti: str) -> bool:
        with self.database.session() as session:
            return AccessTokenRepository(session, self.tenant_id).is_revoked(jti)

    def purge_expired(self, now: dt.datetime) -> dict[str, int]:
        """Delete rows that can no longer matter; returns counts per table."""
        with self.database.session() as session:
            return TokenPurge(session, self.tenant_id).expired(
                now, self.access_token_ttl, self.session_absolute)

    # --- helpers
    def _grant_live(self, session: Session, grant: Grant, now: dt.datetime) -> bool:
        return GrantRepository(session, self.tenant_id).is_live(
            grant, now, self.session_idle, self.session_absolute)

    def _revoke(self, session: Session, grant_id: str, reason: str, now: dt.datetime) -> None:
        """Revoke the grant and audit it in the same transaction (once: a grant revoked
        already is left alone)."""
        grant = GrantRepository(session, self.tenant_id).revoke(grant_id, reason, now)
        if grant is not None:
            AuditRepository(session, self.tenant_id).record(
                f"client:{grant.client_id}", "grant.revoked", grant_id, reason=reason,
                user_id=grant.user_id)
