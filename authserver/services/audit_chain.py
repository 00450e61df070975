"""The audit log's integrity: each record's MAC, and the per-tenant hash chain.

Every record is written with ``mac`` = HMAC-SHA256 over its canonical content, under a
key derived (HKDF) from its tenant's data key, which only the master key unwraps: someone
who can write to the database but does not hold the master key can neither forge a
record nor change one without it showing. The *sealer* then chains committed records per
tenant, in commit order as it finds them: ``seq`` (1, 2, 3 …), ``prev_hash`` (the chain
hash of the record before) and ``chain_hash`` = HMAC(seq, prev_hash, mac, event_id),
under a lock on the tenant's chain head, which remembers the last seq and hash (and the
anchor a purge leaves). Sealing runs in the background worker and before every
``audit verify|list|export|purge``, so writers take no per-tenant lock
(docs/audit.md, "The chain").
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from authserver.services import audit_context
from authserver.services.tenant_secrets import tenant_data_key
from authserver.storage.database import Database
from authserver.storage.models import AuditChainHead, AuditEvent, Tenant
from authserver.storage.repositories.audit import AuditRepository, tenants_with_unsealed

log = logging.getLogger(__name__)
GENESIS = "0" * 64
REDACTED = "[redacted]"
# A detail whose name has one of these words (split on _ - . and spaces) is never stored:
# the safety net under the rule that callers pass no secret at all.
_SECRET_WORDS = frozenset({
    "secret", "secrets", "password", "passwords", "passwd", "passphrase", "token", "tokens",
    "digest", "key", "keys", "material", "seed", "otp", "code", "verifier", "assertion",
    "credential", "credentials", "hash", "private", "pin", "authorization", "cookie",
})
# Words that make a name harmless even next to one of those (``token_endpoint_auth_method``
# names a setting; ``key_id`` and ``kid`` name a public key).
_HARMLESS_LAST = frozenset({"method", "methods", "id", "ids", "alg", "algs", "type", "ttl",
                            "count", "endpoint", "kind", "name", "names", "reason", "at"})


def actor_kind(actor: str) -> str:
    prefix = actor.split(":", 1)[0]
    if prefix in ("user", "client"):
        return prefix
    if actor in ("cli", "operator") or prefix in ("operator", "admin"):
        return "operator"
    if actor == "anonymous":
        return "anonymous"
    return "system"


@functools.lru_cache(maxsize=4096)  # the same few names, on every token request
def _secret_name(name: str) -> bool:
    words = [w for w in name.lower().replace("-", "_").replace(".", "_").replace(" ", "_")
             .split("_") if w]
    if not words or words[-1] in _HARMLESS_LAST:
        return False
    return any(w in _SECRET_WORDS for w in words)


def redact(value: Any) -> Any:
    """``value`` with every field of a secret-sounding name replaced by ``[redacted]``."""
    if isinstance(value, dict):
        return {str(k): (REDACTED if _secret_name(str(k)) and v is not None
                         and v != REDACTED and not isinstance(v, bool) else redact(v))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if isinstance(v, str | int | float) else redact(v) for v in value]
    return value


def normalized(details: dict[str, Any]) -> dict[str, Any]:
    """``details`` as the JSON column will give it back (so the MAC still verifies)."""
    plain: dict[str, Any] = orjson.loads(orjson.dumps(details, default=str,
                                                      option=orjson.OPT_NON_STR_KEYS))
    return plain


def _when(value: dt.datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive UTC before the column type converts
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


CONTENT = ("event_id", "tenant_id", "occurred_at", "actor", "actor_kind", "action",
           "target", "details", "ip", "user_agent", "request_id")


def canonical(event: AuditEvent) -> bytes:
    """The bytes a record's MAC covers: every column but the id and the seal."""
    return canonical_values({name: getattr(event, name) for name in CONTENT})


def canonical_values(values: Mapping[str, Any]) -> bytes:
    content = {name: values.get(name) for name in CONTENT}
    content["occurred_at"] = _when(values["occurred_at"])
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)


def _hmac(key: bytes, data: bytes) -> str:
    return hmac.digest(key, data, hashlib.sha256).hex()  # one C call (the shipper's loop)


def chain_hash(key: bytes, seq: int, prev: str, mac: str, event_id: str) -> str:
    return _hmac(key, f"chain|{seq}|{prev}|{mac}|{event_id}".encode())


def head_mac(key: bytes, head: AuditChainHead) -> str:
    return _hmac(key, (f"head|{head.chain}|{head.seq}|{head.chain_hash}|{head.anchor_seq}|"
                       f"{head.anchor_hash}").encode())


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


class AuditKeys:
    """Each tenant's MAC key, derived from its data key and kept ``ttl`` seconds (the key
    ring keeps decrypted signing keys the same way), so a record on the token path costs
    an HMAC, not a tenant lookup and an unwrap."""

    def __init__(self, master_key: bytes, ttl_seconds: float = 300) -> None:
        self.master_key = master_key
        self.ttl = ttl_seconds
        self._keys: dict[int, tuple[bytes, float]] = {}
        self._lock = threading.Lock()
        self._no_tenant = _derive(master_key, b"authserver audit mac v1: no tenant")

    def key(self, session: Session, tenant_id: int | None) -> bytes:
        if tenant_id is None:
            return self._no_tenant
        cached = self._keys.get(tenant_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        tenant = session.get(Tenant, tenant_id)
        if tenant is None:
            raise LookupError(f"no tenant {tenant_id}")
        key = _derive(tenant_data_key(self.master_key, tenant),
                      b"authserver audit mac v1:" + tenant.slug.encode())
        with self._lock:
            self._keys[tenant_id] = (key, time.monotonic() + self.ttl)
        return key

    def mac(self, session: Session, event: AuditEvent) -> str:
        return _hmac(self.key(session, event.tenant_id), canonical(event))


class Stamp:
    """The AuditStamp the runtime gives the database (storage/repositories/audit.py)."""

    def __init__(self, keys: AuditKeys) -> None:
        self.keys = keys

    def complete(self, session: Session, event: AuditEvent) -> None:
        context = audit_context.current()
        if context is not None:
            event.ip, event.user_agent = context.ip, context.user_agent
            event.request_id = context.request_id
        event.actor_kind = actor_kind(event.actor)
        event.details = redact(normalized(event.details or {}))
        event.mac = self.keys.mac(session, event)


# --- sealing
def seal(database: Database, keys: AuditKeys, tenant_id: int | None, now: dt.datetime,
         batch: int = 500) -> int:
    """Chain every committed, unsealed record of the tenant whose MAC verifies; returns
    how many. A record whose MAC does not verify (written with SQL) is left unsealed,
    and ``verify`` reports it."""
    with database.session() as session:
        AuditRepository(session, tenant_id).ensure_head()
    with database.session() as session:
        try:
            sealed, after = 0, legacy_through(session, keys)
        except LegacyMarkerChanged:
            log.error("audit: the pre-chain marker was changed; not sealing "
                      "(run `authserver audit verify`)")
            return 0
    while True:
        with database.session() as session:
            repo = AuditRepository(session, tenant_id)
            head = repo.lock_head(now)
            key = keys.key(session, tenant_id)
            if not _head_valid(key, head):
                log.error("audit chain head of tenant %s does not verify; not sealing "
                          "(run `authserver audit verify`)", tenant_id)
                return sealed
            rows = repo.unsealed(batch, after)
            prev, seq = head.chain_hash or head.anchor_hash or GENESIS, head.seq
            seals = []
            for row in rows:
                after = row.id
                if row.mac is None or row.event_id is None or not hmac.compare_digest(
                        row.mac, _hmac(key, canonical(row))):
                    log.warning("audit record %s of tenant %s has no valid MAC; not sealed",
                                row.id, tenant_id)
                    continue
                seq += 1
                hashed = chain_hash(key, seq, prev, row.mac, row.event_id)
                seals.append({"id": row.id, "seq": seq, "prev_hash": prev,
                              "chain_hash": hashed})
                prev = hashed
            session.expunge_all()  # the seals go in one executemany, not row by row
            repo.set_seals(seals)
            sealed += len(seals)
            _advance(session, key, tenant_id, seq, prev)
        if len(rows) < batch:
            return sealed


def _advance(session: Session, key: bytes, tenant_id: int | None, seq: int, prev: str) -> None:
    head = AuditRepository(session, tenant_id).head()
    assert head is not None  # locked by the caller
    head.seq, head.chain_hash = seq, (prev if seq else None)
    head.mac = head_mac(key, head)


def store_sealed(database: Database, keys: AuditKeys, tenant_id: int | None,
                 records: Sequence[Mapping[str, Any]], now: dt.datetime) -> int:
    """Store records written elsewhere (the spool), MACed and sealed as they go in: one
    multi-row INSERT under the head's lock, never a row-by-row pass. Records stored
    already (a file shipped twice) are skipped. Raises LookupError for a tenant that no
    longer exists."""
    with database.session() as session:
        AuditRepository(session, tenant_id).ensure_head()
    with database.session() as session:
        repo = AuditRepository(session, tenant_id)
        head = repo.lock_head(now)
        key = keys.key(session, tenant_id)
        sealing = _head_valid(key, head)
        known = repo.known_event_ids([str(r["event_id"]) for r in records])
        prev, seq = head.chain_hash or head.anchor_hash or GENESIS, head.seq
        out: list[dict[str, Any]] = []
        for record in records:
            if record["event_id"] in known:
                continue
            known.add(record["event_id"])
            values = {name: record.get(name) for name in CONTENT}
            values["mac"] = mac = _hmac(key, canonical_values(values))
            if sealing:  # else stored unsealed: verify reports the head, nothing is lost
                seq += 1
                values.update(seq=seq, prev_hash=prev,
                              chain_hash=chain_hash(key, seq, prev, mac, values["event_id"]))
                prev = values["chain_hash"]
            out.append(values)
        repo.add_sealed(out)
        if sealing and out:
            head.seq, head.chain_hash = seq, prev
            head.mac = head_mac(key, head)
        return len(out)


LEGACY_CHAIN = -1


def legacy_through(session: Session, keys: AuditKeys) -> int:
    """The id of the last record written before the chain existed (migration 0013 put
    it in chain head -1), 0 when there were none. Its MAC is set on first use (right
    after the upgrade); from then on a changed marker raises ``LegacyMarkerChanged``."""
    marker = session.get(AuditChainHead, LEGACY_CHAIN)
    if marker is None:
        return 0
    key = keys.key(session, None)
    if marker.mac is None:
        marker.mac = head_mac(key, marker)
    elif not hmac.compare_digest(marker.mac, head_mac(key, marker)):
        raise LegacyMarkerChanged
    return marker.seq


class LegacyMarkerChanged(Exception):
    """Chain head -1 (the last record from before the chain) was changed with SQL."""


def _head_valid(key: bytes, head: AuditChainHead) -> bool:
    if head.mac is None:  # never sealed: only a fresh head may lack its MAC
        return head.seq == 0 and head.anchor_seq == 0 and head.chain_hash is None
    return hmac.compare_digest(head.mac, head_mac(key, head))


def seal_all(database: Database, keys: AuditKeys, now: dt.datetime) -> int:
    """Seal every tenant's waiting records (the background worker's round)."""
    with database.session() as session:
        try:
            legacy = legacy_through(session, keys)
        except LegacyMarkerChanged:
            legacy = 0  # seal() refuses, and says so
        chains = tenants_with_unsealed(session, legacy)
    return sum(seal(database, keys, tenant_id, now) for tenant_id in chains)


# --- verifying
@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # "edited", "inserted" or "deleted"
    record: str  # which record (or "chain head")
    detail: str


@dataclass(frozen=True, slots=True)
class Verdict:
    checked: int
    last_seq: int
    problem: Problem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def describe(row: AuditEvent) -> str:
    return (f"record id={row.id} seq={row.seq} event_id={row.event_id} "
            f"action={row.action} at {_when(row.occurred_at)}")


def verify(database: Database, keys: AuditKeys, tenant_id: int | None,
           now: dt.datetime) -> Verdict:
    """Walk the tenant's chain from its anchor; the first problem found, if any. The
    head stays locked meanwhile, so no sealer extends the chain under the walk and a
    sealed-looking row past the head can only have been added with SQL."""
    with database.session() as session:
        AuditRepository(session, tenant_id).ensure_head()
    with database.session() as session:
        try:
            legacy = legacy_through(session, keys)
        except LegacyMarkerChanged:
            return Verdict(0, 0, Problem("edited", "pre-chain marker (chain head -1)",
                                         "its MAC does not verify"))
    with database.session() as session:
        repo = AuditRepository(session, tenant_id)
        key = keys.key(session, tenant_id)
        head = repo.lock_head(now)
        if not _head_valid(key, head):
            return Verdict(0, head.seq, Problem("edited", "chain head",
                                                "the chain head's MAC does not verify"))
        expected, prev, checked = head.anchor_seq + 1, head.anchor_hash or GENESIS, 0
        for row in repo.sealed():
            problem = _check(key, row, expected, prev)
            if problem is not None:
                return Verdict(checked, head.seq, problem)
            expected, prev, checked = expected + 1, row.chain_hash or "", checked + 1
        if head.seq >= expected:
            missing = (f"seq {expected}" if head.seq == expected
                       else f"seq {expected} to {head.seq}")
            return Verdict(checked, head.seq, Problem(
                "deleted", f"the last records ({missing})",
                f"the chain head says seq {head.seq} was sealed; the chain ends at "
                f"seq {expected - 1}"))
        if head.seq and head.chain_hash != prev:
            return Verdict(checked, head.seq, Problem(
                "edited", "chain head", "the chain head's hash is not the last record's"))
        # Unsealed now means refused by the sealer, except the records from before the
        # chain (ids up to the marker), which were never MACed.
        rejected = repo.unsealed(1, legacy)
        problem = _inserted_unsealed(rejected[0]) if rejected else None
        return Verdict(checked, head.seq, problem)


def _check(key: bytes, row: AuditEvent, expected: int, prev: str) -> Problem | None:
    seq = row.seq or 0
    if seq < expected or row.mac is None or row.event_id is None or row.chain_hash is None \
            or not hmac.compare_digest(row.chain_hash,
                                       chain_hash(key, seq, row.prev_hash or "", row.mac,
                                                  row.event_id)):
        return Problem("inserted", describe(row),
                       "its seal was not made by the sealer (a row added with SQL)")
    if seq > expected or row.prev_hash != prev:
        gap = f"seq {expected}" if seq == expected + 1 else f"seq {expected} to {seq - 1}"
        if seq == expected:
            gap = f"the record before seq {seq}"
        return Problem("deleted", describe(row), f"{gap} is missing before this record")
    if not hmac.compare_digest(row.mac, _hmac(key, canonical(row))):
        return Problem("edited", describe(row),
                       "its content does not match the MAC it was written with")
    return None


def _inserted_unsealed(row: AuditEvent) -> Problem:
    return Problem("inserted", describe(row),
                   "a record with no valid MAC (added with SQL); the sealer refused it")
