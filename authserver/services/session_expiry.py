"""Ending sessions whose idle or absolute limit has passed, whether or not anyone comes
back to them, so that relying parties are told (Back-Channel Logout 1.0 on expiry: a
session that simply times out must be announced too, which Keycloak and Hydra do not).

Run by the outbox worker (services/outbox_worker.py) every ``SWEEP_EVERY``; each batch
is one unit of work through :func:`session_end.end_sessions` with reason EXPIRED.
"""

from __future__ import annotations

import datetime as dt

from authserver.services.session_end import EndReason, end_sessions
from authserver.services.session_limits import SessionLimits
from authserver.storage.database import Database

BATCH = 200


def end_expired_sessions(database: Database, now: dt.datetime, limits: SessionLimits,
                         batch: int = BATCH) -> int:
    """End every tenant's expired, not yet ended sessions (each tenant under its own
    limits, else ``limits``); returns how many were ended."""
    with database.unit_of_work() as uow:
        tenants = [(t.id, limits.for_tenant(t.session_idle_ttl, t.session_absolute_ttl))
                   for t in uow.tenants.all()]
    total = 0
    for tenant_id, own in tenants:
        total += _sweep_tenant(database, tenant_id, now, own, batch)
    return total


def _sweep_tenant(database: Database, tenant_id: int, now: dt.datetime,
                  limits: SessionLimits, batch: int) -> int:
    total = 0
    while True:
        with database.unit_of_work() as uow:
            sids = uow.outbox().expired_sessions(tenant_id, now - limits.idle_delta,
                                                 now - limits.absolute_delta, batch)
            if sids:
                total += len(end_sessions(uow, tenant_id, now, EndReason.EXPIRED,
                                          actor="system", sids=sids))
        if len(sids) < batch:
            return total

