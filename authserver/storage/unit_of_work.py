"""The unit of work: one transaction, and the repositories that share it.

Opened by ``Database.unit_of_work()`` (committed when the block ends, rolled back if it
raises) by whoever starts an operation; the services receive it or the repositories it
hands out (authserver/services/__init__.py: how services are written). Repositories
flush, never commit.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from authserver.storage.repositories import (
    AuditRepository,
    ClientRepository,
    ConsentRepository,
    LoginSessionRepository,
    SigningKeyRepository,
    TenantRepository,
    ThrottleRepository,
    UserRepository,
)
from authserver.storage.repositories.account_tokens import AccountTokenRepository
from authserver.storage.repositories.base import Repository
from authserver.storage.repositories.factor_enrolment import FactorEnrolmentRepository
from authserver.storage.repositories.interactions import PendingInteractionRepository
from authserver.storage.repositories.magic_links import MagicLinkRepository
from authserver.storage.repositories.one_time_codes import OneTimeCodeRepository
from authserver.storage.repositories.outbox import OutboxRepository
from authserver.storage.repositories.password_history import PasswordHistoryRepository
from authserver.storage.repositories.recovery_codes import RecoveryCodeRepository
from authserver.storage.repositories.totp import TotpRepository
from authserver.storage.repositories.webauthn import (
    WebAuthnChallengeRepository,
    WebAuthnCredentialRepository,
)


class UnitOfWork:
    """Repositories bound to one session. Opened by ``Database.unit_of_work()``, which
    commits when the block ends and rolls back if it raises; ``session`` is there only
    for building repositories that are not listed here, never for services to query."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.tenants = TenantRepository(session)
        self.throttle = ThrottleRepository(session)

    def clients(self, tenant_id: int) -> ClientRepository:
        return ClientRepository(self.session, tenant_id)

    def users(self, tenant_id: int) -> UserRepository:
        return UserRepository(self.session, tenant_id)

    def keys(self, tenant_id: int) -> SigningKeyRepository:
        return SigningKeyRepository(self.session, tenant_id)

    def consents(self, tenant_id: int) -> ConsentRepository:
        return ConsentRepository(self.session, tenant_id)

    def sessions(self, tenant_id: int) -> LoginSessionRepository:
        return LoginSessionRepository(self.session, tenant_id)

    def interactions(self, tenant_id: int) -> PendingInteractionRepository:
        return PendingInteractionRepository(self.session, tenant_id)

    def one_time_codes(self, tenant_id: int) -> OneTimeCodeRepository:
        return OneTimeCodeRepository(self.session, tenant_id)

    def magic_links(self, tenant_id: int) -> MagicLinkRepository:
        return MagicLinkRepository(self.session, tenant_id)

    def totp(self, tenant_id: int) -> TotpRepository:
        return TotpRepository(self.session, tenant_id)

    def recovery_codes(self, tenant_id: int) -> RecoveryCodeRepository:
        return RecoveryCodeRepository(self.session, tenant_id)
    def webauthn(self, tenant_id: int) -> WebAuthnCredentialRepository:
        return WebAuthnCredentialRepository(self.session, tenant_id)

    def webauthn_challenges(self, tenant_id: int) -> WebAuthnChallengeRepository:
        return WebAuthnChallengeRepository(self.session, tenant_id)

    def factor_enrolment(self, tenant_id: int) -> FactorEnrolmentRepository:
        return FactorEnrolmentRepository(self.session, tenant_id)

    def account_tokens(self, tenant_id: int) -> AccountTokenRepository:
        return AccountTokenRepository(self.session, tenant_id)

    def password_history(self, tenant_id: int) -> PasswordHistoryRepository:
        return PasswordHistoryRepository(self.session, tenant_id)
    def outbox(self) -> OutboxRepository:
        """The outbox of every tenant (each message names its own): workers serve all."""
        return OutboxRepository(self.session)

    def audit(self, tenant_id: int | None) -> AuditRepository:
        return AuditRepository(self.session, tenant_id)

    def flush(self) -> None:
        self.session.flush()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this unit of work has committed (Repository.after_commit)."""
        Repository(self.session).after_commit(callback)
