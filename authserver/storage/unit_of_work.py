"""The unit of work: one transaction, and the repositories that share it.

How services are written (docs/contributing.md repeats this):

- An *operation* (create a user, revoke a consent, count a failed sign-in …) runs in
  exactly one unit of work: everything it writes, its audit record included, commits
  or rolls back together.
- Whoever starts the operation opens the unit of work: a CLI command or an admin API
  view with ``with runtime.database.unit_of_work() as uow:``, and passes the operation
  the repositories it needs (``uow.users(tenant_id)``, ``uow.audit(tenant_id)``) or,
  when it spans several aggregates, the ``uow`` itself. Such a service function never
  opens a session, never commits, and never builds a query.
- A long-lived service on the request path (sessions, consent, throttle, caches) holds
  the ``Database`` and opens one ``database.unit_of_work()`` per public method.
- Services own audit records (written through ``uow.audit(...)`` in the same unit of
  work) and cache invalidation, registered with ``uow.after_commit`` (or a
  repository's ``after_commit``) so it happens only once the change is visible.
- Every SQL statement lives in a repository under ``storage/repositories/``, one module
  per aggregate; a repository flushes but never commits.
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
from authserver.storage.repositories.base import Repository


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

    def audit(self, tenant_id: int | None) -> AuditRepository:
        return AuditRepository(self.session, tenant_id)

    def flush(self) -> None:
        self.session.flush()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this unit of work has committed (Repository.after_commit)."""
        Repository(self.session).after_commit(callback)
