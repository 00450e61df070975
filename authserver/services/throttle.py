"""Throttling of secret checks (SECURITY.md: every path that checks a secret).

Failures are counted per key (a sign-in identifier, a client address, a client_id) in a
shared table, so every worker and host sees them without Redis. Past ``limit`` failures
within ``window`` the key is blocked for ``block``, doubling with each further failure up
to ``max_block``. A throttle slows guessing without locking anyone out for good, which
would hand attackers a way to deny service to a known account.

Successful checks never write: blocked keys are remembered in-process as well, so the
token endpoint's success path stays free of database access.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from authserver.storage.database import Database
from authserver.storage.models import ThrottleBucket, utcnow


@dataclass(frozen=True, slots=True)
class Policy:
    limit: int
    window: dt.timedelta
    block: dt.timedelta
    max_block: dt.timedelta


# Per sign-in identifier: a person mistyping is not affected; a guesser gets 5 tries
# per quarter hour, then waits 1, 2, 4 … up to 60 minutes.
LOGIN_IDENTIFIER = Policy(5, dt.timedelta(minutes=15), dt.timedelta(minutes=1),
                          dt.timedelta(hours=1))
# Not yet: a per-address limit against password spraying. Behind a reverse proxy every
# request comes from the proxy's address until trusted-proxy handling exists, and one
# attacker could then block sign-in for everyone.
# Per client_id at the token, introspection and revocation endpoints.
CLIENT_SECRET = Policy(20, dt.timedelta(minutes=5), dt.timedelta(minutes=1),
                       dt.timedelta(minutes=30))


def _digest(tenant_id: int, scope: str, key: str) -> str:
    return hashlib.sha256(f"{tenant_id}:{scope}:{key}".encode()).hexdigest()


class Throttle:
    def __init__(self, database: Database, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.database = database
        self.clock = clock
        self._blocked: dict[str, dt.datetime] = {}
        self._lock = threading.Lock()

    def retry_after(self, tenant_id: int, scope: str, key: str,
                    check_database: bool = True) -> int | None:
        """Seconds until ``key`` may try again, or None when it is not blocked.

        With ``check_database=False`` only this process's memory is consulted (hot path).
        """
        digest = _digest(tenant_id, scope, key)
        now = self.clock()
        until = self._blocked.get(digest)
        if until is None and check_database:
            with self.database.session() as session:
                until = session.scalar(select(ThrottleBucket.blocked_until).where(
                    ThrottleBucket.key_digest == digest))
        if until is None or until <= now:
            return None
        self._remember(digest, until)
        return max(1, int((until - now).total_seconds()))

    def failure(self, tenant_id: int, scope: str, key: str, policy: Policy) -> int | None:
        """Count a failed attempt; returns the block in seconds if the key is now blocked."""
        digest = _digest(tenant_id, scope, key)
        now = self.clock()
        for _ in range(2):  # a concurrent first failure may insert the row under us
            try:
                with self.database.session() as session:
                    bucket = session.scalar(select(ThrottleBucket).where(
                        ThrottleBucket.key_digest == digest).with_for_update())
                    if bucket is None:
                        bucket = ThrottleBucket(key_digest=digest, failures=0,
                                                window_started_at=now)
                        session.add(bucket)
                    elif (bucket.window_started_at + policy.window <= now
                          and (bucket.blocked_until is None or bucket.blocked_until <= now)):
                        bucket.failures, bucket.window_started_at = 0, now
                        bucket.blocked_until = None
                    bucket.failures += 1
                    excess = bucket.failures - policy.limit
                    if excess >= 0:
                        block = min(policy.block * (2 ** min(excess, 16)), policy.max_block)
                        bucket.blocked_until = now + block
                    until = bucket.blocked_until
                break
            except IntegrityError:
                continue
        else:
            return None
        if until is None or until <= now:
            return None
        self._remember(digest, until)
        return int((until - now).total_seconds())

    def success(self, tenant_id: int, scope: str, key: str) -> None:
        """Forget the failures of a key that just proved itself (sign-in only)."""
        digest = _digest(tenant_id, scope, key)
        with self._lock:
            self._blocked.pop(digest, None)
        with self.database.session() as session:
            session.execute(delete(ThrottleBucket).where(ThrottleBucket.key_digest == digest))

    def purge(self, now: dt.datetime, longest_window: dt.timedelta) -> int:
        with self.database.session() as session:
            return int(session.execute(delete(ThrottleBucket).where(
                ThrottleBucket.window_started_at < now - longest_window,
                (ThrottleBucket.blocked_until.is_(None))
                | (ThrottleBucket.blocked_until < now))).rowcount)

    def _remember(self, digest: str, until: dt.datetime) -> None:
        with self._lock:
            if len(self._blocked) > 100_000:  # bounded under a flood of distinct keys
                self._blocked.clear()
            self._blocked[digest] = until


class TenantClientThrottle:
    """The ClientThrottle port for one tenant."""

    def __init__(self, throttle: Throttle, tenant_id: int) -> None:
        self.throttle = throttle
        self.tenant_id = tenant_id

    def retry_after(self, client_id: str) -> int | None:
        return self.throttle.retry_after(self.tenant_id, "client", client_id,
                                         check_database=False)

    def failed(self, client_id: str) -> None:
        self.throttle.failure(self.tenant_id, "client", client_id, CLIENT_SECRET)


class LoginThrottle:
    """Password sign-in limits, per identifier as typed (whether or not it exists)."""

    def __init__(self, throttle: Throttle, tenant_id: int, identifier: str) -> None:
        self.throttle = throttle
        self.tenant_id = tenant_id
        self.identifier = identifier.strip().lower()[:320]

    def retry_after(self) -> int | None:
        return self.throttle.retry_after(self.tenant_id, "login-id", self.identifier)

    def failed(self) -> None:
        self.throttle.failure(self.tenant_id, "login-id", self.identifier, LOGIN_IDENTIFIER)

    def succeeded(self) -> None:
        self.throttle.success(self.tenant_id, "login-id", self.identifier)
