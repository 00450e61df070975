"""What every repository shares: the unit of work's session, and a tenant binding.

A repository is built for one tenant id and adds ``tenant_id = :tenant`` to every
lookup, so code holding tenant A's repository cannot reach tenant B's rows even when it
is handed B's identifiers.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from authserver.storage.models import Tenant


class Repository:
    """Queries for one aggregate, inside the caller's transaction (never committing)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def flush(self) -> None:
        """Send pending changes now, so constraint violations and row locks happen here
        rather than at commit (services call it where the order of writes matters)."""
        self.session.flush()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this transaction has committed (not if it rolls back):
        where services invalidate in-process caches, so no request can cache the old
        state again between the invalidation and the commit."""
        event.listen(self.session, "after_commit", lambda _session: callback(), once=True)


class TenantScoped(Repository):
    def __init__(self, session: Session, tenant_id: int) -> None:
        super().__init__(session)
        self.tenant_id = tenant_id

    def owner(self) -> Tenant | None:
        """The tenant this repository is bound to (None once it has been deleted)."""
        return self.session.get(Tenant, self.tenant_id)
