"""Throttle buckets. Not tenant-scoped: the key digest already includes the tenant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, func, select

from authserver.storage.models import ThrottleBucket
from authserver.storage.repositories.base import Repository


class ThrottleRepository(Repository):
    def blocked_until(self, key_digest: str) -> dt.datetime | None:
        return self.session.scalar(select(ThrottleBucket.blocked_until).where(
            ThrottleBucket.key_digest == key_digest))

    def latest_block(self, key_digests: Sequence[str]) -> dt.datetime | None:
        """The latest ``blocked_until`` among several buckets, in one statement."""
        return self.session.scalar(select(func.max(ThrottleBucket.blocked_until)).where(
            ThrottleBucket.key_digest.in_(key_digests)))

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
