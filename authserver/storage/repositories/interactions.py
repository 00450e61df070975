"""Pending interactions: found only by id *and* browser digest, finished by a conditional
UPDATE so that exactly one request can complete an interaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from authserver.storage.models import PendingInteraction


class PendingInteractionRepository:
    """One tenant's pending interactions."""

    def __init__(self, session: Session, tenant_id: int) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def add(self, uid: str, browser_digest: str, authorization_request: dict[str, Any],
            progress: dict[str, Any], now: dt.datetime, expires_at: dt.datetime) -> None:
        self.session.add(PendingInteraction(
            tenant_id=self.tenant_id, uid=uid, browser_digest=browser_digest,
            authorization_request=authorization_request, progress=progress,
            created_at=now, updated_at=now, expires_at=expires_at))

    def live(self, uid: str, browser_digest: str, now: dt.datetime) -> PendingInteraction | None:
        """The unfinished, unexpired interaction ``uid`` begun by this browser."""
        return self.session.scalar(select(PendingInteraction).where(
            *self._live(uid, browser_digest, now)))

    def update_progress(self, uid: str, browser_digest: str, progress: dict[str, Any],
                        now: dt.datetime, expires_at: dt.datetime) -> bool:
        """Record new progress; False if the interaction finished or expired meanwhile."""
        result = self.session.execute(
            update(PendingInteraction).where(*self._live(uid, browser_digest, now))
            .values(progress=progress, updated_at=now, expires_at=expires_at))
        return bool(result.rowcount)

    def finish(self, uid: str, browser_digest: str, now: dt.datetime) -> bool:
        """Mark it finished; only the one caller that gets True may answer the client."""
        result = self.session.execute(
            update(PendingInteraction).where(*self._live(uid, browser_digest, now))
            .values(finished_at=now, updated_at=now))
        return bool(result.rowcount)

    def live_uids_of_browser(self, browser_digest: str, now: dt.datetime) -> list[str]:
        """This browser's open interactions in this tenant, newest first."""
        return list(self.session.scalars(
            select(PendingInteraction.uid).where(
                PendingInteraction.tenant_id == self.tenant_id,
                PendingInteraction.browser_digest == browser_digest,
                PendingInteraction.finished_at.is_(None),
                PendingInteraction.expires_at > now)
            .order_by(PendingInteraction.updated_at.desc(), PendingInteraction.id.desc())))

    def drop(self, uids: list[str]) -> None:
        if uids:
            self.session.execute(delete(PendingInteraction).where(
                PendingInteraction.tenant_id == self.tenant_id,
                PendingInteraction.uid.in_(uids)))

    def purge_expired(self, now: dt.datetime) -> int:
        """Delete expired rows, finished or not: an expired row can never be resumed."""
        result = self.session.execute(delete(PendingInteraction).where(
            PendingInteraction.tenant_id == self.tenant_id, PendingInteraction.expires_at <= now))
        return int(result.rowcount)

    def _live(self, uid: str, browser_digest: str, now: dt.datetime) -> tuple[Any, ...]:
        return (PendingInteraction.tenant_id == self.tenant_id, PendingInteraction.uid == uid,
                PendingInteraction.browser_digest == browser_digest,
                PendingInteraction.finished_at.is_(None), PendingInteraction.expires_at > now)


def rebind_browser(session: Session, old_digest: str, new_digest: str, now: dt.datetime) -> None:
    """Move a browser's open interactions, in every tenant, to its new binding handle.

    Not tenant-scoped on purpose: the handle belongs to the browser, not to a tenant, and
    its digest (of a 256-bit random value) names only that browser's rows.
    """
    session.execute(update(PendingInteraction).where(
        PendingInteraction.browser_digest == old_digest,
        PendingInteraction.finished_at.is_(None), PendingInteraction.expires_at > now)
        .values(browser_digest=new_digest))
