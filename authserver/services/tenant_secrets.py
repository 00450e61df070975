"""Sealing a tenant's secrets at rest (TOTP seeds, upstream secrets) under its data key.

The data key is unwrapped from the tenant row with the master key on each use: these
secrets are read once per sign-in step, not on the token hot path, so no cache is kept
(a cached data key would outlive a master-key rotation).
"""

from __future__ import annotations

from authserver.services import envelope
from authserver.storage.models import Tenant


def tenant_data_key(master_key: bytes, tenant: Tenant) -> bytes:
    """The tenant's data key; raises envelope.DecryptionError under a wrong master key."""
    return envelope.unwrap_data_key(master_key, tenant.wrapped_data_key, tenant.slug)


def seal_for(master_key: bytes, tenant: Tenant, plaintext: bytes, purpose: str) -> bytes:
    """``plaintext`` sealed under the tenant's data key, bound to ``purpose`` (e.g.
    ``totp:user:42``) so a ciphertext moved to another row does not open."""
    return envelope.seal(tenant_data_key(master_key, tenant), plaintext,
                         f"{tenant.slug}:{purpose}".encode())


def open_for(master_key: bytes, tenant: Tenant, blob: bytes, purpose: str) -> bytes:
    return envelope.open_sealed(tenant_data_key(master_key, tenant), blob,
                                f"{tenant.slug}:{purpose}".encode())
