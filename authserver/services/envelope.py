"""Envelope encryption for secrets at rest (AES-256-GCM).

The master key (from settings, never stored in the database) wraps one random data key
per tenant; the data key encrypts that tenant's private signing keys and other secrets.
Rotating the master key then means re-wrapping a few data keys, not re-encrypting
every secret. Every ciphertext is bound to what it protects through the GCM associated
data, so a ciphertext copied onto another row (another kid, another tenant) fails to
decrypt instead of silently yielding someone else's key.
"""

from __future__ import annotations

import hashlib
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
# A format byte lets us change algorithm later without guessing what a blob is.
_FORMAT_V1 = b"\x01"


class DecryptionError(Exception):
    """A ciphertext did not authenticate: wrong key, wrong binding, or tampering."""


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def key_id(key: bytes) -> str:
    """A short public fingerprint of a key, for telling which master key wrapped a blob."""
    return hashlib.sha256(b"authserver key id\x00" + key).hexdigest()[:16]


def seal(key: bytes, plaintext: bytes, bound_to: bytes) -> bytes:
    """Encrypt ``plaintext`` under ``key``; ``bound_to`` must be presented again to open it."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return _FORMAT_V1 + nonce + AESGCM(key).encrypt(nonce, plaintext, bound_to)


def open_sealed(key: bytes, blob: bytes, bound_to: bytes) -> bytes:
    """Reverse of :func:`seal`; raises :class:`DecryptionError` on any mismatch."""
    if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != _FORMAT_V1:
        raise DecryptionError("not a sealed blob")
    nonce, ciphertext = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, bound_to)
    except InvalidTag:
        raise DecryptionError("ciphertext does not authenticate under this key") from None


def wrap_data_key(master_key: bytes, data_key: bytes, tenant_slug: str) -> bytes:
    return seal(master_key, data_key, b"tenant-data-key:" + tenant_slug.encode())


def unwrap_data_key(master_key: bytes, wrapped: bytes, tenant_slug: str) -> bytes:
    return open_sealed(master_key, wrapped, b"tenant-data-key:" + tenant_slug.encode())
