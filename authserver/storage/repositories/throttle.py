"""Throttle buckets. Not tenant-scoped: the key digest already includes the tenant."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from authserver.storage.models import ThrottleBucket
from authserver.storage.repositories.base import Repository


class ThrottleRepository(Repository):
    def blocked_until(self, key_digest: str) -> dt.datetime | None:
        return self.session.scalar(select(ThrottleBucket.blocked_until).where(
            ThrottleBucket.key_digest == key_digest))

    def locked(self, key_digest: str) -> ThrottleBucket | None:
        """The bucket, locked until the transaction ends (None when there is none)."""
        return self.session.scalar(select(ThrottleBucket).where(
            ThrottleBucket.key_digest == key_digest).with_for_update())

    def add(self, bucket: ThrottleBucket) -> ThrottleBucket:
        self.session.add(bucket)
        return bucket

    def forget(self, key_digest: str) -> None:
        self.session.execute(delete(ThrottleBucket).where(
            ThrottleBucket.key_digest == key_digest))

    def purge(self, now: dt.datetime, longest_window: dt.timedelta) -> int:
        """Delete buckets whose window ended more than ``longest_window`` ago and that
        block nothing any more; returns how many."""
        return int(self.session.execute(delete(ThrottleBucket).where(
            ThrottleBucket.window_started_at < now - longest_window,
            (ThrottleBucket.blocked_until.is_(None))
            | (ThrottleBucket.blocked_until < now))).rowcount)
