"""In-process cache of each tenant's keys: the JWKS to publish and parsed signing keys.

Signing and JWKS requests must not touch the database or decrypt keys on every call.
A snapshot is reused until the earlier of ``KEY_CACHE_TTL`` seconds and the next
lifecycle instant (a key activating, retiring or expiring), so time-based transitions
happen on schedule; other changes (a revocation from the CLI) reach every process within
``KEY_CACHE_TTL``, and the process that made the change invalidates its cache at once.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from authserver.services.keys import (
    SIGNING_STATES,
    KeyState,
    PrivateKey,
    data_key,
    is_published,
    key_state,
    open_private_key,
)
from authserver.storage.database import Database
from authserver.storage.models import SigningKey, Tenant, utcnow


@dataclass(frozen=True, slots=True)
class CachedKey:
    kid: str
    alg: str
    public_jwk: dict[str, Any]
    activates_at: dt.datetime
    retires_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    private_key: PrivateKey | None = field(repr=False, default=None)


@dataclass(frozen=True, slots=True)
class KeySnapshot:
    keys: tuple[CachedKey, ...]
    valid_until: dt.datetime

    def jwks(self, now: dt.datetime) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [k.public_jwk for k in self.keys if is_published(k, now)]}

    def signing_key(self, alg: str, now: dt.datetime) -> CachedKey | None:
        active = [k for k in self.keys if k.alg == alg and key_state(k, now) is KeyState.ACTIVE]
        return max(active, key=lambda k: k.activates_at, default=None)

    def signing_algs(self, now: dt.datetime) -> set[str]:
        return {k.alg for k in self.keys if key_state(k, now) is KeyState.ACTIVE}


def _next_transition(keys: list[SigningKey], now: dt.datetime) -> dt.datetime | None:
    instants = [t for k in keys for t in (k.activates_at, k.retires_at, k.expires_at)
                if t is not None and t > now]
    return min(instants, default=None)


def load_snapshot(session_keys: list[SigningKey], tenant: Tenant, master_key: bytes,
                  now: dt.datetime, ttl: dt.timedelta,
                  opened: dict[str, PrivateKey] | None = None) -> KeySnapshot:
    """Build a snapshot; ``opened`` holds private keys already decrypted (by kid), which
    are reused: a kid's key never changes, and decrypting and parsing is the slow part."""
    opened = {} if opened is None else opened
    cached = []
    for key in session_keys:
        if not is_published(key, now):
            continue
        # Only keys that sign now or later need their private half in memory.
        private = None
        if key_state(key, now) in SIGNING_STATES:
            private = opened.get(key.kid)
            if private is None:
                private = opened[key.kid] = open_private_key(data_key(tenant, master_key), key)
        cached.append(CachedKey(
            kid=key.kid, alg=key.alg, public_jwk=dict(key.public_jwk),
            activates_at=key.activates_at, retires_at=key.retires_at,
            expires_at=key.expires_at, revoked_at=key.revoked_at, private_key=private,
        ))
    valid_until = now + ttl
    transition = _next_transition(session_keys, now)
    if transition is not None and transition < valid_until:
        valid_until = transition
    return KeySnapshot(keys=tuple(cached), valid_until=valid_until)


class KeyRing:
    """Thread-safe per-tenant snapshot cache shared by a process's request threads."""

    def __init__(self, database: Database, master_key: bytes, ttl_seconds: int,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.database = database
        self.master_key = master_key
        self.ttl = dt.timedelta(seconds=ttl_seconds)
        self.clock = clock
        self._snapshots: dict[int, KeySnapshot] = {}
        self._opened: dict[int, dict[str, PrivateKey]] = {}
        self._lock = threading.Lock()

    def snapshot(self, tenant_id: int) -> KeySnapshot:
        now = self.clock()
        snap = self._snapshots.get(tenant_id)
        if snap is not None and now < snap.valid_until:
            return snap
        with self._lock:
            snap = self._snapshots.get(tenant_id)
            if snap is None or now >= snap.valid_until:
                snap = self._load(tenant_id, now)
                self._snapshots[tenant_id] = snap
            return snap

    def invalidate(self, tenant_id: int | None = None) -> None:
        with self._lock:
            if tenant_id is None:
                self._snapshots.clear()
            else:
                self._snapshots.pop(tenant_id, None)

    def _load(self, tenant_id: int, now: dt.datetime) -> KeySnapshot:
        with self.database.unit_of_work() as uow:
            tenant = uow.tenants.get(tenant_id)
            if tenant is None:
                return KeySnapshot(keys=(), valid_until=now + self.ttl)
            keys = list(uow.keys(tenant_id).all())
            signing = {k.kid for k in keys if key_state(k, now) in SIGNING_STATES}
            opened = self._opened.setdefault(tenant_id, {})
            for kid in [kid for kid in opened if kid not in signing]:
                del opened[kid]  # retired, revoked and purged keys leave memory
            return load_snapshot(keys, tenant, self.master_key, now, self.ttl, opened)


class TenantKeys:
    """The SigningKeys port for one tenant, backed by the shared key ring."""

    def __init__(self, keyring: KeyRing, tenant_id: int) -> None:
        self.keyring = keyring
        self.tenant_id = tenant_id

    def current(self, alg: str) -> tuple[str, PrivateKey]:
        key = self.keyring.snapshot(self.tenant_id).signing_key(alg, self.keyring.clock())
        if key is None or key.private_key is None:
            raise KeyError(f"no active {alg} signing key")
        return key.kid, key.private_key

    def published(self) -> list[dict[str, Any]]:
        return self.keyring.snapshot(self.tenant_id).jwks(self.keyring.clock())["keys"]

    def signing_algs(self) -> list[str]:
        return sorted(self.keyring.snapshot(self.tenant_id).signing_algs(self.keyring.clock()))
