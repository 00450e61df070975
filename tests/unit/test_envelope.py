"""Envelope encryption: AES-256-GCM, bound to what it protects, tamper-evident."""

from __future__ import annotations

import pytest

from authserver.services import envelope


def test_sealed_data_opens_with_the_same_key_and_binding() -> None:
    key = envelope.new_data_key()
    blob = envelope.seal(key, b"secret material", b"signing-key:k1")
    assert b"secret material" not in blob, "ciphertext must not contain the plaintext"
    assert envelope.open_sealed(key, blob, b"signing-key:k1") == b"secret material"


def test_sealing_twice_gives_different_ciphertexts() -> None:
    key = envelope.new_data_key()
    assert envelope.seal(key, b"x", b"a") != envelope.seal(key, b"x", b"a"), "nonce must be fresh"


@pytest.mark.parametrize("mutation", ["wrong key", "wrong binding", "flipped bit", "truncated"])
def test_anything_but_the_original_fails_to_open(mutation: str) -> None:
    key = envelope.new_data_key()
    blob = envelope.seal(key, b"secret", b"signing-key:k1")
    open_key, binding = key, b"signing-key:k1"
    if mutation == "wrong key":
        open_key = envelope.new_data_key()
    elif mutation == "wrong binding":
        binding = b"signing-key:k2"
    elif mutation == "flipped bit":
        blob = blob[:-1] + bytes([blob[-1] ^ 1])
    else:
        blob = blob[:10]
    with pytest.raises(envelope.DecryptionError):
        envelope.open_sealed(open_key, blob, binding)


def test_data_keys_are_wrapped_per_tenant() -> None:
    master = envelope.new_data_key()
    data_key = envelope.new_data_key()
    wrapped = envelope.wrap_data_key(master, data_key, "acme")
    assert envelope.unwrap_data_key(master, wrapped, "acme") == data_key
    with pytest.raises(envelope.DecryptionError):
        envelope.unwrap_data_key(master, wrapped, "globex")
