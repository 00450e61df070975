"""Pending authorization requests, kept server-side and bound to the browser that began
them (ARCHITECTURE.md, "Interactions are outside the protocol").

The browser holds a random binding handle (in its flow cookie); rows store only its
digest, so a leaked table lets no one continue a sign-in. An interaction is found by its
id *and* that digest: a second browser with the id alone finds nothing. It expires on
the runtime clock, and finishing it is a conditional UPDATE, so a finished interaction
can never be continued again, whatever copy of a cookie comes back.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from authserver.protocol.authorization import AuthorizationRequest
from authserver.protocol.interaction import (
    MalformedProgress,
    Progress,
    progress_from_dict,
    progress_to_dict,
)
from authserver.protocol.tokens import digest
from authserver.storage.database import Database
from authserver.storage.repositories.interactions import rebind_browser

TTL = dt.timedelta(minutes=30)
# Open sign-ins per browser and tenant (tabs); older ones are dropped beyond this.
LIMIT = 5
MAX_UID = 64
MAX_HANDLE = 100


def new_browser_handle() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class Pending:
    uid: str
    request: AuthorizationRequest
    progress: Progress


class PendingInteractions:
    """One tenant's pending interactions."""

    def __init__(self, database: Database, tenant_id: int, ttl: dt.timedelta = TTL,
                 limit: int = LIMIT) -> None:
        self.database = database
        self.tenant_id = tenant_id
        self.ttl = ttl
        self.limit = limit

    def begin(self, browser: str, request: AuthorizationRequest, progress: Progress,
              now: dt.datetime) -> str:
        """Store a new pending request for ``browser``; returns its id (192 random bits)."""
        uid = secrets.token_urlsafe(24)
        with self.database.unit_of_work() as uow:
            repo = uow.interactions(self.tenant_id)
            repo.purge_expired(now)
            repo.add(uid, digest(browser), request.to_dict(), progress_to_dict(progress), now,
                     now + self.ttl)
            uow.flush()
            repo.drop(repo.live_uids_of_browser(digest(browser), now)[self.limit:])
        return uid

    def find(self, uid: str, browser: str | None, now: dt.datetime) -> Pending | None:
        """The live request ``uid`` of this browser; None if unknown, another browser's,
        finished, expired, or stored in a shape this version cannot read."""
        if not browser or len(browser) > MAX_HANDLE or len(uid) > MAX_UID:
            return None
        with self.database.unit_of_work() as uow:
            row = uow.interactions(self.tenant_id).live(
                uid, digest(browser), now)
            if row is None:
                return None
            stored_request, stored_progress = row.authorization_request, row.progress
        try:
            request = AuthorizationRequest.from_dict(stored_request)
            return Pending(uid, request, progress_from_dict(stored_progress))
        except (MalformedProgress, TypeError, ValueError, AttributeError):
            return None

    def save(self, uid: str, browser: str, progress: Progress, now: dt.datetime) -> bool:
        """Record ``progress`` (and give the person another TTL); False if it is gone."""
        with self.database.unit_of_work() as uow:
            return uow.interactions(self.tenant_id).update_progress(
                uid, digest(browser), progress_to_dict(progress), now, now + self.ttl)

    def finish(self, uid: str, browser: str, now: dt.datetime) -> bool:
        """End the interaction; True for exactly one caller, who may answer the client."""
        with self.database.unit_of_work() as uow:
            return uow.interactions(self.tenant_id).finish(
                uid, digest(browser), now)


def move_to_new_handle(database: Database, old: str, new: str, now: dt.datetime) -> None:
    """At sign-in the browser gets a new flow cookie (session fixation): its open
    interactions follow it to the new handle, and the old handle opens nothing."""
    with database.unit_of_work() as uow:
        rebind_browser(uow.session, digest(old), digest(new), now)
