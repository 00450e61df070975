"""Signing keys: generation, envelope encryption at rest, and zero-downtime rotation.

A key's lifecycle is a set of timestamps rather than a state column, so every instance
reading the same rows agrees on which key signs at any instant without coordination:

- published: in JWKS from creation, not yet signing (``now < activates_at``);
- active: the newest key of its algorithm with ``activates_at <= now < retires_at``;
- retired: no longer signing, still in JWKS until ``expires_at`` so that every token it
  signed can still be verified;
- revoked: out of JWKS at once (key compromise).

``rotate`` publishes the new key ``KEY_PUBLISH_LEAD`` seconds before it signs, which is at
least one JWKS cache lifetime (settings enforce it): verifiers that cached the old JWKS
have refetched before the first token with the new ``kid`` exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwcrypto.jwk import JWK

from authserver.services import envelope
from authserver.services.errors import Conflict, InvalidInput, NotFound
from authserver.storage.models import SigningKey, Tenant
from authserver.storage.repositories import AuditRepository, SigningKeyRepository

SUPPORTED_ALGS = ("RS256", "ES256", "PS256", "EdDSA")
DEFAULT_ALGS = ("RS256", "ES256")
RSA_BITS = 2048
# Verifiers allow some clock skew; keep retired keys published a little past the last exp.
EXPIRY_MARGIN = dt.timedelta(minutes=5)

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True, slots=True)
class KeyTiming:
    """The settings rotation reads, apart so tests and tools can pass their own."""

    publish_lead: dt.timedelta
    max_token_ttl: dt.timedelta

    @classmethod
    def from_seconds(cls, publish_lead: int, max_token_ttl: int) -> KeyTiming:
        return cls(dt.timedelta(seconds=publish_lead), dt.timedelta(seconds=max_token_ttl))


def generate_private_key(alg: str) -> PrivateKey:
    if alg in ("RS256", "PS256"):
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise InvalidInput("alg", f"unsupported algorithm {alg!r}; "
                       f"use one of {', '.join(SUPPORTED_ALGS)}")


def public_jwk(private_key: PrivateKey, alg: str) -> dict[str, Any]:
    """The public half as a JWK; ``kid`` is its RFC 7638 thumbprint."""
    jwk = JWK.from_pyca(private_key.public_key())
    exported: dict[str, Any] = jwk.export_public(as_dict=True)
    exported.update(kid=jwk.thumbprint(), alg=alg, use="sig")
    return exported


class KeyDates(Protocol):
    """What the lifecycle reads; satisfied by rows and by cached snapshots alike."""

    @property
    def activates_at(self) -> dt.datetime: ...
    @property
    def retires_at(self) -> dt.datetime | None: ...
    @property
    def expires_at(self) -> dt.datetime | None: ...
    @property
    def revoked_at(self) -> dt.datetime | None: ...


class KeyState(StrEnum):
    """Where a key is in its lifecycle at one instant; the value is what operators see
    (``keys list``), so it never changes."""

    PUBLISHED = "published"
    ACTIVE = "active"
    RETIRED = "retired"
    EXPIRED = "expired"
    REVOKED = "revoked"


# In JWKS: every state but the two that withdrew the key.
PUBLISHED_STATES = frozenset({KeyState.PUBLISHED, KeyState.ACTIVE, KeyState.RETIRED})
# Signing now or about to: what a rotation retires and a revocation must replace.
SIGNING_STATES = frozenset({KeyState.ACTIVE, KeyState.PUBLISHED})


def key_state(key: KeyDates, now: dt.datetime) -> KeyState:
    if key.revoked_at is not None and key.revoked_at <= now:
        return KeyState.REVOKED
    if key.expires_at is not None and key.expires_at <= now:
        return KeyState.EXPIRED
    if key.retires_at is not None and key.retires_at <= now:
        return KeyState.RETIRED
    if key.activates_at > now:
        return KeyState.PUBLISHED
    return KeyState.ACTIVE


def is_published(key: KeyDates, now: dt.datetime) -> bool:
    return key_state(key, now) in PUBLISHED_STATES


def signing_key_for(keys: Sequence[SigningKey], alg: str, now: dt.datetime) -> SigningKey | None:
    """The key that signs ``alg`` tokens at ``now``: the most recently activated active one."""
    candidates = [k for k in keys if k.alg == alg and key_state(k, now) is KeyState.ACTIVE]
    return max(candidates, key=lambda k: (k.activates_at, k.id), default=None)


def data_key(tenant: Tenant, master_key: bytes) -> bytes:
    try:
        return envelope.unwrap_data_key(master_key, tenant.wrapped_data_key, tenant.slug)
    except envelope.DecryptionError:
        raise envelope.DecryptionError(
            f"tenant {tenant.slug!r}: its data key was wrapped by master key "
            f"{tenant.master_key_id}, not by the configured one ({envelope.key_id(master_key)})"
        ) from None


def seal_private_key(dek: bytes, kid: str, private_key: PrivateKey) -> bytes:
    der = private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return envelope.seal(dek, der, b"signing-key:" + kid.encode())


def open_private_key(dek: bytes, key: SigningKey) -> PrivateKey:
    der = envelope.open_sealed(dek, key.private_key_sealed, b"signing-key:" + key.kid.encode())
    # The blob authenticated under our data key, so it is a key we generated: cryptography's
    # RSA consistency check (about 0.1 s per 2048-bit key) adds nothing here.
    loaded = serialization.load_der_private_key(der, password=None,
                                                unsafe_skip_rsa_key_validation=True)
    if not isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
                      | ed25519.Ed25519PrivateKey):
        raise envelope.DecryptionError(f"key {key.kid}: unexpected key type")
    return loaded


class KeyManager:
    """Key operations for one tenant inside one unit of work."""

    def __init__(
        self, repo: SigningKeyRepository, audit: AuditRepository, tenant: Tenant,
        master_key: bytes, timing: KeyTiming,
    ) -> None:
        self.repo = repo
        self.audit = audit
        self.tenant = tenant
        self.master_key = master_key
        self.timing = timing

    def create(self, alg: str, activates_at: dt.datetime, actor: str) -> SigningKey:
        private_key = generate_private_key(alg)
        jwk = public_jwk(private_key, alg)
        dek = data_key(self.tenant, self.master_key)
        key = SigningKey(
            kid=jwk["kid"], alg=alg, public_jwk=jwk,
            private_key_sealed=seal_private_key(dek, jwk["kid"], private_key),
            activates_at=activates_at,
        )
        self.repo.add(key)
        self.audit.record(actor, "key.created", key.kid, alg=alg,
                          activates_at=activates_at.isoformat())
        return key

    def ensure_defaults(self, now: dt.datetime, actor: str,
                        algs: Sequence[str] = DEFAULT_ALGS) -> list[SigningKey]:
        """Give every algorithm in ``algs`` a key that signs now, if it has none."""
        keys = self.repo.all()
        created = []
        for alg in algs:
            if signing_key_for(keys, alg, now) is None:
                created.append(self._stopgap(keys, alg, now, actor))
        return created

    def _stopgap(self, keys: Sequence[SigningKey], alg: str, now: dt.datetime,
                 actor: str) -> SigningKey:
        """A key that signs from now; a scheduled rotation still takes over at its time."""
        key = self.create(alg, now, actor)
        pending = [k for k in keys if k.alg == alg and key_state(k, now) is KeyState.PUBLISHED]
        if pending:
            self._retire(key, min(k.activates_at for k in pending))
        return key

    def rotate(self, now: dt.datetime, actor: str, algs: Sequence[str] | None = None,
               immediate: bool = False) -> list[SigningKey]:
        """Schedule a successor for each algorithm (all in use when ``algs`` is None).

        The successor is published now and signs from ``now + publish_lead``; with
        ``immediate`` it signs at once (for a suspected compromise, where waiting is worse
        than verifiers briefly missing a ``kid``; they refetch JWKS on an unknown one).
        """
        keys = self.repo.all()
        in_use = sorted({k.alg for k in keys if is_published(k, now)})
        targets = list(algs) if algs else (in_use or list(DEFAULT_ALGS))
        for alg in targets:
            if alg not in SUPPORTED_ALGS:
                raise InvalidInput("alg", f"unsupported algorithm {alg!r}; "
                                   f"use one of {', '.join(SUPPORTED_ALGS)}")
            pending = [k for k in keys if k.alg == alg and key_state(k, now) is KeyState.PUBLISHED]
            if pending and not immediate:
                raise Conflict(f"a {alg} rotation is already scheduled: key {pending[0].kid} "
                               f"signs from {pending[0].activates_at.isoformat()}")
        switch_at = now if immediate else now + self.timing.publish_lead
        created = []
        for alg in targets:
            for old in keys:
                if old.alg == alg and key_state(old, now) in SIGNING_STATES:
                    self._retire(old, switch_at)
            created.append(self.create(alg, switch_at, actor))
        self.audit.record(actor, "keys.rotated", None, algs=targets, immediate=immediate,
                          new_kids=[k.kid for k in created])
        return created

    def revoke(self, kid: str, now: dt.datetime, actor: str) -> SigningKey | None:
        """Withdraw ``kid`` from JWKS now; if it was signing, a successor signs at once."""
        key = self.repo.get(kid)
        if key is None:
            raise NotFound(f"no key {kid!r} in tenant {self.tenant.slug!r}")
        if key.revoked_at is not None:
            raise Conflict(f"key {kid} was already revoked")
        was_signing = key_state(key, now) is KeyState.ACTIVE
        key.revoked_at = now
        key.expires_at = now  # nothing it signed may verify any more: purge may delete it
        self.audit.record(actor, "key.revoked", kid, alg=key.alg)
        keys = self.repo.all()
        if was_signing and signing_key_for(keys, key.alg, now) is None:
            return self._stopgap(keys, key.alg, now, actor)
        return None

    def purge_expired(self, now: dt.datetime) -> int:
        return self.repo.delete_expired(now)

    def _retire(self, key: SigningKey, at: dt.datetime) -> None:
        if key.retires_at is None or key.retires_at > at:
            key.retires_at = at
            key.expires_at = at + self.timing.max_token_ttl + EXPIRY_MARGIN
