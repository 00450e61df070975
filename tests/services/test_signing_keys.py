"""Signing keys: encrypted at rest, published before use, retired after their tokens expire."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import text

from authserver.runtime import Runtime
from authserver.services.envelope import DecryptionError
from authserver.services.errors import Conflict
from authserver.services.keyring import KeyRing
from authserver.services.keys import (
    KeyManager,
    data_key,
    key_state,
    open_private_key,
    signing_key_for,
)
from authserver.services.tenants import create_tenant
from authserver.storage.models import SigningKey, Tenant
from authserver.storage.repositories import AuditRepository, SigningKeyRepository
from tests.conftest import Clock

PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def make_tenant(runtime: Runtime, slug: str = "acme") -> int:
    with runtime.database.session() as session:
        return create_tenant(session, runtime.master_key, runtime.key_timing, slug, None, "test",
                             runtime.clock()).id


def manager(runtime: Runtime, session, tenant_id: int) -> KeyManager:  # type: ignore[no-untyped-def]
    tenant = session.get(Tenant, tenant_id)
    return KeyManager(SigningKeyRepository(session, tenant_id), AuditRepository(session, tenant_id),
                      tenant, runtime.master_key, runtime.key_timing)


def jwks_kids(runtime: Runtime, tenant_id: int) -> dict[str, str]:
    runtime.keyring.invalidate()
    keys = runtime.keyring.snapshot(tenant_id).jwks(runtime.clock())["keys"]
    return {k["kid"]: k["alg"] for k in keys}


def signer(runtime: Runtime, tenant_id: int, alg: str) -> str | None:
    runtime.keyring.invalidate()
    key = runtime.keyring.snapshot(tenant_id).signing_key(alg, runtime.clock())
    return key.kid if key else None


def test_a_new_tenant_signs_with_rs256_and_es256(runtime: Runtime) -> None:
    tenant_id = make_tenant(runtime)
    assert sorted(jwks_kids(runtime, tenant_id).values()) == ["ES256", "RS256"]
    assert signer(runtime, tenant_id, "ES256") is not None
    assert signer(runtime, tenant_id, "RS256") is not None


def test_stored_private_keys_never_contain_plaintext(runtime: Runtime) -> None:
    tenant_id = make_tenant(runtime)
    with runtime.database.session() as session:
        rows = session.execute(text(
            "SELECT kid, private_key_sealed, public_jwk FROM signing_keys WHERE tenant_id = :t"
        ), {"t": tenant_id}).all()
        tenant = session.get(Tenant, tenant_id)
        keys = SigningKeyRepository(session, tenant_id).all()
        dek = data_key(tenant, runtime.master_key)
        plaintexts = {k.kid: open_private_key(dek, k) for k in keys}
    assert len(rows) == 2
    for kid, stored, public_jwk in rows:
        stored = bytes(stored)
        private = plaintexts[kid]
        der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        assert der not in stored and pem not in stored, f"key {kid} is stored in plaintext"
        assert der[-32:] not in stored, f"key {kid}: private bytes appear in the stored blob"
        assert b"PRIVATE KEY" not in stored
        numbers = getattr(private, "private_numbers", None)
        if numbers is not None:
            secret_int = getattr(numbers(), "d", None) or numbers().private_value
            d_bytes = secret_int.to_bytes((secret_int.bit_length() + 7) // 8, "big")
            d_b64 = base64.urlsafe_b64encode(d_bytes).rstrip(b"=")
            assert d_bytes not in stored and d_b64 not in stored, f"key {kid}: 'd' leaked"
        assert "d" not in (public_jwk if isinstance(public_jwk, dict) else {}), \
            "the public JWK column must not hold private members"


def test_the_wrong_master_key_cannot_open_tenant_keys(runtime: Runtime) -> None:
    tenant_id = make_tenant(runtime)
    other = KeyRing(runtime.database, b"\x01" * 32, 30, runtime.clock)
    with pytest.raises(DecryptionError, match="wrapped by master key"):
        other.snapshot(tenant_id)


def test_a_sealed_key_moved_to_another_row_does_not_decrypt(runtime: Runtime) -> None:
    tenant_id = make_tenant(runtime)
    with runtime.database.session() as session:
        first, second = SigningKeyRepository(session, tenant_id).all()
        first.private_key_sealed, second.private_key_sealed = (second.private_key_sealed,
                                                               first.private_key_sealed)
    runtime.keyring.invalidate()
    with pytest.raises(DecryptionError):
        runtime.keyring.snapshot(tenant_id)


def test_jwks_holds_public_keys_only(runtime: Runtime) -> None:
    tenant_id = make_tenant(runtime)
    keys = runtime.keyring.snapshot(tenant_id).jwks(runtime.clock())["keys"]
    for key in keys:
        assert not PRIVATE_JWK_MEMBERS & set(key), f"private members published: {key}"
        assert key["use"] == "sig" and key["kid"] and key["alg"] in ("RS256", "ES256")


def test_rotation_publishes_first_signs_later_and_retires_after_token_lifetime(
    runtime: Runtime, clock: Clock
) -> None:
    tenant_id = make_tenant(runtime)
    old = signer(runtime, tenant_id, "ES256")
    lead = runtime.settings.key_publish_lead
    with runtime.database.session() as session:
        (new_key,) = manager(runtime, session, tenant_id).rotate(clock(), "test", ["ES256"])
        new = new_key.kid

    assert new in jwks_kids(runtime, tenant_id), "a new key must be published at once"
    assert signer(runtime, tenant_id, "ES256") == old, "the new key must not sign before the lead"

    clock.advance(seconds=lead - 1)
    assert signer(runtime, tenant_id, "ES256") == old
    clock.advance(seconds=1)
    assert signer(runtime, tenant_id, "ES256") == new, "the new key must sign after the lead"
    assert old in jwks_kids(runtime, tenant_id), "the retired key must stay in JWKS"

    clock.advance(seconds=runtime.settings.max_signed_token_ttl)
    assert old in jwks_kids(runtime, tenant_id), "kept while tokens it signed may be verified"
    clock.advance(minutes=5)
    kids = jwks_kids(runtime, tenant_id)
    assert old not in kids, "the retired key must leave JWKS once its tokens have expired"
    assert new in kids
    with runtime.database.session() as session:
        rows = SigningKeyRepository(session, tenant_id).all()
        states = {k.kid: key_state(k, clock()) for k in rows}
    assert states[old] == "expired" and states[new] == "active"


def test_a_second_rotation_while_one_is_pending_is_refused(runtime: Runtime, clock: Clock) -> None:
    tenant_id = make_tenant(runtime)
    with runtime.database.session() as session:
        manager(runtime, session, tenant_id).rotate(clock(), "test", ["RS256"])
    with runtime.database.session() as session, pytest.raises(Conflict, match="already scheduled"):
        manager(runtime, session, tenant_id).rotate(clock(), "test", ["RS256"])


def test_immediate_rotation_signs_with_the_new_key_at_once(runtime: Runtime, clock: Clock) -> None:
    tenant_id = make_tenant(runtime)
    old = signer(runtime, tenant_id, "RS256")
    with runtime.database.session() as session:
        (new_key,) = manager(runtime, session, tenant_id).rotate(clock(), "test", ["RS256"],
                                                                 immediate=True)
        new = new_key.kid
    assert signer(runtime, tenant_id, "RS256") == new
    assert old in jwks_kids(runtime, tenant_id), "old tokens must still verify"


def test_revoking_the_signing_key_withdraws_it_and_makes_a_successor(
    runtime: Runtime, clock: Clock
) -> None:
    tenant_id = make_tenant(runtime)
    old = signer(runtime, tenant_id, "ES256")
    with runtime.database.session() as session:
        successor = manager(runtime, session, tenant_id).revoke(old, clock(), "test")
        assert successor is not None
        successor_kid = successor.kid
    assert old not in jwks_kids(runtime, tenant_id), "a revoked key must leave JWKS at once"
    assert signer(runtime, tenant_id, "ES256") == successor_kid


def test_expired_keys_are_purged(runtime: Runtime, clock: Clock) -> None:
    tenant_id = make_tenant(runtime)
    with runtime.database.session() as session:
        manager(runtime, session, tenant_id).rotate(clock(), "test", immediate=True)
    clock.advance(days=1)
    with runtime.database.session() as session:
        assert manager(runtime, session, tenant_id).purge_expired(clock()) == 2
        assert len(SigningKeyRepository(session, tenant_id).all()) == 2


def test_keyring_snapshot_expires_at_the_next_transition(runtime: Runtime, clock: Clock) -> None:
    tenant_id = make_tenant(runtime)
    with runtime.database.session() as session:
        (pending,) = manager(runtime, session, tenant_id).rotate(clock(), "test", ["ES256"])
        activates = pending.activates_at
    runtime.keyring.invalidate()
    snap = runtime.keyring.snapshot(tenant_id)
    assert snap.valid_until <= clock() + dt.timedelta(seconds=runtime.settings.key_cache_ttl)
    clock.now = activates
    assert runtime.keyring.snapshot(tenant_id).signing_key("ES256", clock()).kid == pending.kid, \
        "the cache must not serve the old signer past the activation instant"


def test_signing_key_for_prefers_the_latest_active(runtime: Runtime, clock: Clock) -> None:
    a = SigningKey(kid="a", alg="ES256", activates_at=clock() - dt.timedelta(hours=2), id=1)
    b = SigningKey(kid="b", alg="ES256", activates_at=clock() - dt.timedelta(hours=1), id=2)
    c = SigningKey(kid="c", alg="ES256", activates_at=clock() + dt.timedelta(hours=1), id=3)
    assert signing_key_for([a, b, c], "ES256", clock()).kid == "b"
    assert signing_key_for([a, b, c], "RS256", clock()) is None


def test_revoking_during_a_scheduled_rotation_hands_over_on_schedule(
    runtime: Runtime, clock: Clock
) -> None:
    tenant_id = make_tenant(runtime)
    old = signer(runtime, tenant_id, "ES256")
    with runtime.database.session() as session:
        (pending,) = manager(runtime, session, tenant_id).rotate(clock(), "test", ["ES256"])
        pending_kid, activates = pending.kid, pending.activates_at
    with runtime.database.session() as session:
        stopgap = manager(runtime, session, tenant_id).revoke(old, clock(), "test")
        stopgap_kid = stopgap.kid
    assert signer(runtime, tenant_id, "ES256") == stopgap_kid, "a stopgap key signs at once"
    clock.now = activates
    assert signer(runtime, tenant_id, "ES256") == pending_kid, \
        "the scheduled key must still take over at its activation time"
    assert stopgap_kid in jwks_kids(runtime, tenant_id), "the stopgap stays published"


def test_a_revoked_key_is_purged_and_leaves_memory(runtime: Runtime, clock: Clock) -> None:
    tenant_id = make_tenant(runtime)
    old = signer(runtime, tenant_id, "ES256")
    with runtime.database.session() as session:
        manager(runtime, session, tenant_id).revoke(old, clock(), "test")
    runtime.keyring.invalidate()
    runtime.keyring.snapshot(tenant_id)
    assert old not in runtime.keyring._opened.get(tenant_id, {}), \
        "a revoked key's private half must not stay in memory"
    clock.advance(seconds=1)
    with runtime.database.session() as session:
        assert manager(runtime, session, tenant_id).purge_expired(clock()) == 1
        assert SigningKeyRepository(session, tenant_id).get(old) is None


def test_a_client_algorithm_with_only_a_scheduled_key_gets_a_stopgap(
    runtime: Runtime, clock: Clock
) -> None:
    tenant_id = make_tenant(runtime)
    with runtime.database.session() as session:
        (scheduled,) = manager(runtime, session, tenant_id).rotate(clock(), "test", ["PS256"])
        scheduled_kid, activates = scheduled.kid, scheduled.activates_at
    with runtime.database.session() as session:
        (stopgap,) = manager(runtime, session, tenant_id).ensure_defaults(clock(), "test",
                                                                          ["PS256"])
        stopgap_kid = stopgap.kid
    assert signer(runtime, tenant_id, "PS256") == stopgap_kid, "PS256 must be signable now"
    clock.now = activates
    assert signer(runtime, tenant_id, "PS256") == scheduled_kid
