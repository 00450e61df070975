"""The outbox (storage/models/outbox.py): enqueue, claim by lease, settle, purge.

Claiming is a conditional UPDATE per message (``… WHERE id = :id AND status = 'pending'
AND next_attempt_at <= :now AND (locked_until IS NULL OR locked_until < :now)``): of two
workers, in one process or on two instances, that race for a message only the one whose
UPDATE matched a row holds it; the other's UPDATE matches nothing (PostgreSQL re-checks
the condition after the first commits; SQLite runs writers one at a time). A worker
that dies while holding a lease simply lets it run out, and the message is due again.

Not bound to one tenant: workers serve every tenant. Each message names its tenant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update

from authserver.storage.models import Client, Grant, LoginSession, OutboxMessage, User
from authserver.storage.repositories.base import Repository

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"
MAX_ERROR = 500  # the column's length


@dataclass(frozen=True, slots=True)
class LogoutTarget:
    """One relying party to tell that one session ended (Back-Channel Logout §2.7)."""

    sid: str
    sub: str
    client_id: str


class OutboxRepository(Repository):
    def enqueue(self, tenant_id: int, kind: str, payload: bytes, now: dt.datetime
                ) -> OutboxMessage:
        row = OutboxMessage(tenant_id=tenant_id, kind=kind, payload=payload, status=PENDING,
                            attempts=0, next_attempt_at=now, created_at=now)
        self.session.add(row)
        return row

    def due_ids(self, now: dt.datetime, limit: int) -> list[int]:
        """Ids of pending messages due now and not leased, oldest due first."""
        return list(self.session.scalars(
            select(OutboxMessage.id).where(*self._claimable(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)).all())

    def claim(self, message_id: int, now: dt.datetime, lease: dt.timedelta
              ) -> OutboxMessage | None:
        """Take the lease on the message until ``now + lease``; None when another worker
        holds it, it was settled meanwhile, or it is not due."""
        taken = self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id, *self._claimable(now))
            .values(locked_until=now + lease)
            .execution_options(synchronize_session=False)).rowcount
        if taken != 1:
            return None
        row = self.session.get(OutboxMessage, message_id)
        if row is not None:
            self.session.refresh(row)
        return row

    @staticmethod
    def _claimable(now: dt.datetime) -> tuple[object, ...]:
        return (OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))

    def get(self, message_id: int) -> OutboxMessage | None:
        return self.session.get(OutboxMessage, message_id)

    def mark_delivered(self, message_id: int, now: dt.datetime) -> bool:
        return self._settle(message_id, status=DELIVERED, delivered_at=now,
                            locked_until=None, attempts=OutboxMessage.attempts + 1)

    def schedule_retry(self, message_id: int, next_attempt_at: dt.datetime, error: str
                       ) -> bool:
        return self._settle(message_id, next_attempt_at=next_attempt_at, locked_until=None,
                            last_error=error[:MAX_ERROR], attempts=OutboxMessage.attempts + 1)

    def mark_dead(self, message_id: int, error: str) -> bool:
        return self._settle(message_id, status=DEAD, locked_until=None,
                            last_error=error[:MAX_ERROR], attempts=OutboxMessage.attempts + 1)

    def _settle(self, message_id: int, **values: object) -> bool:
        # Only a pending message is settled: a message another worker already settled
        # (after this one's lease ran out) keeps that outcome.
        return self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id,
                                        OutboxMessage.status == PENDING)
            .values(**values).execution_options(synchronize_session=False)).rowcount == 1

    def purge(self, delivered_before: dt.datetime, dead_before: dt.datetime) -> int:
        """Delete delivered messages settled before ``delivered_before`` and dead ones
        created before ``dead_before``; returns how many."""
        return int(self.session.execute(delete(OutboxMessage).where(or_(
            (OutboxMessage.status == DELIVERED) & (OutboxMessage.delivered_at < delivered_before),
            (OutboxMessage.status == DEAD) & (OutboxMessage.created_at < dead_before)))
        ).rowcount)

    def counts(self) -> dict[str, int]:
        """How many messages are in each status (for `authserver worker --once`)."""
        rows = self.session.execute(select(OutboxMessage.status, func.count())
                                    .group_by(OutboxMessage.status)).all()
        return {status: int(count) for status, count in rows}

    def logout_targets(self, tenant_id: int, sessions: Sequence[tuple[str, int]]
                       ) -> list[LogoutTarget]:
        """For each (sid, user id), the clients the user authorized during that session
        (a grant bound to the sid) that registered a ``backchannel_logout_uri``."""
        targets: list[LogoutTarget] = []
        for sid, user_id in sessions:
            rows = self.session.execute(
                select(Grant.client_id, User.sub).distinct()
                .join(User, User.id == Grant.user_id)
                .join(Client, (Client.tenant_id == Grant.tenant_id)
                      & (Client.client_id == Grant.client_id))
                .where(Grant.tenant_id == tenant_id, Grant.user_id == user_id,
                       Grant.sid == sid, Client.backchannel_logout_uri.is_not(None))
                .order_by(Grant.client_id)).all()
            targets.extend(LogoutTarget(sid, sub, client_id) for client_id, sub in rows)
        return targets

    def expired_sessions(self, tenant_id: int, idle_before: dt.datetime,
                         started_before: dt.datetime, limit: int) -> list[str]:
        """Sids of the tenant's sessions not ended whose idle or absolute limit has
        passed (last seen before ``idle_before`` or started before ``started_before``)."""
        return list(self.session.scalars(
            select(LoginSession.sid).where(
                LoginSession.tenant_id == tenant_id, LoginSession.ended_at.is_(None),
                or_(LoginSession.last_seen_at < idle_before,
                    LoginSession.created_at < started_before))
            .order_by(LoginSession.id).limit(limit)).all())
