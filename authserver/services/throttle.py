"""Throttling of secret checks (SECURITY.md: every path that checks a secret), built so
that nobody can turn it against the people it protects (SECURITY.md, availability).

Failures are counted per key in a shared table, so every worker and host sees them
without Redis. Past ``limit`` failures within ``window`` the key is blocked for ``block``,
doubling with each further counted failure up to ``max_block``; blocks always end.

Keys are chosen so that one party's failures never refuse another party's valid
credentials (docs/security.md, "Throttling"):

- Password sign-in counts failures per (account, source address), where the account is
  the user id when the identifier names one (one bucket whatever identifier was typed)
  and the normalized identifier otherwise (so unknown identifiers are throttled exactly
  like real ones), plus per account across all sources with a higher limit, against
  guessing spread over many addresses. A browser holding the account's known-device
  cookie is exempt from both and counted on its own (account, device) bucket instead,
  so the owner keeps signing in from their browser while an attacker is blocked.
- Because every password check costs one argon2 hash, failed sign-ins without the
  known-device cookie are also counted per source address alone, whatever identifiers
  were typed (LOGIN_SOURCE), and a blocked address gets the 429 before any hash is
  computed: one address cannot make the server hash more than a few dozen times a
  minute by spraying made-up identifiers. Generous and short, because people behind one
  NAT share it; successes never count, and a success never clears it (an attacker would
  otherwise sign in to their own account to reset it).
- Client authentication is never refused by the throttle: credentials are checked first
  and a correct one is always accepted (generated secrets carry 256 bits, a
  private_key_jwt key cannot be guessed, and a block in front of the check would hand a
  denial of service to anyone who knows a client_id, or to every client at once behind a
  proxy whose address is shared). Failures are counted per (client_id, source address)
  for a confidential client that exists, per source address alone for a client_id that
  does not (so an attacker cannot add rows at will), and never for public clients, which
  have no secret. A key past its limit is logged, and stops costing database writes.

Successful client authentications never touch this module: the token endpoint's success
path stays free of database access (docs/architecture.md, "Hot path").
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from authserver.protocol.tokens import digest
from authserver.storage.database import Database
from authserver.storage.models import ThrottleBucket, utcnow
from authserver.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Policy:
    limit: int
    window: dt.timedelta
    block: dt.timedelta
    max_block: dt.timedelta


_MINUTE = dt.timedelta(minutes=1)
# Per (account, source address): a person mistyping is not affected; a guesser gets 5
# tries per quarter hour from one address, then waits 1, 2, 4 … up to 60 minutes.
LOGIN_PAIR = Policy(5, 15 * _MINUTE, _MINUTE, 60 * _MINUTE)
# Per account, all sources without the known-device cookie together. One address alone
# stays under it (its pair is blocked after 5, then allowed about one try per block), so
# it takes guessing from several addresses; the cap is short because the owner signing
# in from a new browser waits too.
LOGIN_ACCOUNT = Policy(20, 15 * _MINUTE, _MINUTE, 15 * _MINUTE)
# Per source address, all accounts and identifiers together, without the known-device
# cookie: 30 failures a minute is far beyond an office's typos behind one NAT, and
# bounds what one address costs us in argon2 work (docs/sign-in/passwords.md). The
# block is short (1, 2, 4 … up to 10 minutes) because it also delays the office's
# new browsers; known browsers are exempt.
LOGIN_SOURCE = Policy(30, _MINUTE, _MINUTE, 10 * _MINUTE)
# Per (account, known device): what a stolen device cookie is worth to a guesser.
LOGIN_DEVICE = Policy(5, 15 * _MINUTE, _MINUTE, 60 * _MINUTE)
# Failed client authentications per (client_id, source), and per source for client_ids
# that do not exist. Counted, logged past the limit; never a refusal (see above).
CLIENT_PAIR = Policy(20, 5 * _MINUTE, _MINUTE, 30 * _MINUTE)
CLIENT_UNKNOWN = Policy(20, 5 * _MINUTE, _MINUTE, 30 * _MINUTE)
# ``db purge`` keeps buckets younger than this (a bucket is worthless past its window).
LONGEST_WINDOW = max(p.window for p in (LOGIN_PAIR, LOGIN_ACCOUNT, LOGIN_SOURCE,
                                        LOGIN_DEVICE, CLIENT_PAIR, CLIENT_UNKNOWN))


def _digest(tenant_id: int, scope: str, key: str) -> str:
    return digest(f"{tenant_id}:{scope}:{key}")


class Throttle:
    def __init__(self, database: Database, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.database = database
        self.clock = clock
        self._blocked: dict[str, dt.datetime] = {}
        self._lock = threading.Lock()

    def retry_after(self, tenant_id: int, scope: str, key: str,
                    check_database: bool = True) -> int | None:
        """Seconds until ``key`` may try again, or None when it is not blocked.

        With ``check_database=False`` only this process's memory is consulted.
        """
        digest = _digest(tenant_id, scope, key)
        now = self.clock()
        until = self._blocked.get(digest)
        if (until is None or until <= now) and check_database:
            with self.database.unit_of_work() as uow:
                until = uow.throttle.blocked_until(digest)
        if until is None or until <= now:
            return None
        self._remember(digest, until)
        return max(1, int((until - now).total_seconds()))

    def longest_wait(self, tenant_id: int, keys: Sequence[tuple[str, str]]) -> int | None:
        """The longest ``retry_after`` of several keys (None when none is blocked).

        One statement for all the keys this process has no live block for: a sign-in
        checks three buckets before every password, and each round trip is CPU the
        argon2 hash does not get (docs/performance.md, "Sign-in").
        """
        now = self.clock()
        digests = [_digest(tenant_id, scope, key) for scope, key in keys]
        remembered = {d: u for d in digests if (u := self._blocked.get(d)) and u > now}
        asked = [d for d in digests if d not in remembered]
        until = max(remembered.values(), default=None)
        if asked:
            with self.database.unit_of_work() as uow:
                stored = uow.throttle.latest_block(asked)
            if stored is not None and (until is None or stored > until):
                until = stored
        if until is None or until <= now:
            return None
        return max(1, int((until - now).total_seconds()))

    def failure(self, tenant_id: int, scope: str, key: str, policy: Policy) -> int | None:
        """Count a failed attempt; returns the block in seconds if the key is now blocked."""
        digest = _digest(tenant_id, scope, key)
        now = self.clock()
        for _ in range(2):  # a concurrent first failure may insert the row under us
            try:
                with self.database.unit_of_work() as uow:
                    bucket = uow.throttle.locked(digest)
                    if bucket is None:
                        bucket = uow.throttle.add(ThrottleBucket(
                            key_digest=digest, failures=0, window_started_at=now))
                    elif (bucket.window_started_at + policy.window <= now
                          and (bucket.blocked_until is None or bucket.blocked_until <= now)):
                        bucket.failures, bucket.window_started_at = 0, now
                        bucket.blocked_until = None
                    was_blocked = bucket.blocked_until is not None and bucket.blocked_until > now
                    bucket.failures += 1
                    excess = bucket.failures - policy.limit
                    if excess >= 0:
                        block = min(policy.block * (2 ** min(excess, 16)), policy.max_block)
                        bucket.blocked_until = now + block
                        if not was_blocked:
                            _audit_block(uow, tenant_id, scope, key, block)
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
        with self.database.unit_of_work() as uow:
            uow.throttle.forget(digest)

    def purge(self, now: dt.datetime, longest_window: dt.timedelta = LONGEST_WINDOW) -> int:
        with self.database.unit_of_work() as uow:
            return uow.throttle.purge(now, longest_window)

    def _remember(self, digest: str, until: dt.datetime) -> None:
        with self._lock:
            if len(self._blocked) > 100_000:  # bounded under a flood of distinct keys
                self._blocked.clear()
            self._blocked[digest] = until


def _audit_block(uow: UnitOfWork, tenant_id: int, scope: str, key: str,
                 block: dt.timedelta) -> None:
    """A block starting is audited (a lockout, in the issue's words), naming the account
    or client when the key has one; the rest of the key (a typed identifier, an
    address) stays out: the request's address is in the record's context anyway."""
    if uow.tenants.get(tenant_id) is None:
        return  # buckets name no tenant row (callers' ids are not checked here)
    head = key.split("|", 1)[0]
    target = head if head.startswith("user:") else (
        f"client:{head}" if scope == "client-pair" else None)
    uow.audit(tenant_id).record("system", "throttle.blocked", target, scope=scope,
                                blocked_seconds=int(block.total_seconds()))


class TenantClientThrottle:
    """The ClientThrottle port for one tenant: counts, never refuses (module docstring)."""

    def __init__(self, throttle: Throttle, tenant_id: int) -> None:
        self.throttle = throttle
        self.tenant_id = tenant_id

    def failed(self, client_id: str | None, source: str) -> None:
        if client_id is None:
            # One bucket per address however many made-up client_ids it sends.
            scope, key, policy = "client-unknown", source, CLIENT_UNKNOWN
        else:
            scope, key, policy = "client-pair", f"{client_id}|{source}", CLIENT_PAIR
        if self.throttle.retry_after(self.tenant_id, scope, key, check_database=False):
            return  # already past the limit here: a flood costs no further writes
        if self.throttle.failure(self.tenant_id, scope, key, policy) is not None:
            # The client_id is logged only when it exists: a made-up one may be a
            # secret pasted into the wrong field.
            log.warning("client authentication: repeated failures for %s from %s",
                        f"client {client_id}" if client_id else "unknown client_ids",
                        source)


@dataclass(frozen=True, slots=True)
class SignInKey:
    """Whose failures a sign-in attempt counts against.

    ``account`` is ``user:<id>`` when the identifier names an account, ``typed:<identifier
    normalized>`` otherwise; ``device`` is the known-device id when the browser holds a
    valid known-device cookie for that account.
    """

    account: str
    source: str
    device: str | None = None


class LoginThrottle:
    """Password sign-in limits for one attempt (module docstring)."""

    def __init__(self, throttle: Throttle, tenant_id: int, key: SignInKey) -> None:
        self.throttle = throttle
        self.tenant_id = tenant_id
        self.key = key

    def _buckets(self) -> list[tuple[str, str, Policy]]:
        account, device = self.key.account, self.key.device
        if device is not None:
            return [("login-device", f"{account}|{device}", LOGIN_DEVICE)]
        # The pair first: succeeded() forgets that one only.
        return [("login-pair", f"{account}|{self.key.source}", LOGIN_PAIR),
                ("login-account", account, LOGIN_ACCOUNT),
                ("login-source", self.key.source, LOGIN_SOURCE)]

    def retry_after(self) -> int | None:
        return self.throttle.longest_wait(
            self.tenant_id, [(scope, key) for scope, key, _ in self._buckets()])

    def failed(self) -> None:
        for scope, key, policy in self._buckets():
            self.throttle.failure(self.tenant_id, scope, key, policy)

    def succeeded(self) -> None:
        # Only this address's (or device's) count is forgotten: the account-wide count
        # keeps slowing a guesser elsewhere, whose failures the owner's success says
        # nothing about.
        scope, key, _ = self._buckets()[0]
        self.throttle.success(self.tenant_id, scope, key)
