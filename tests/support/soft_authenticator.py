"""A software WebAuthn authenticator for service tests: a real P-256 key, attestation
"none" and assertions built byte by byte (WebAuthn Level 2 §6.1 authenticator data,
§6.5.4 attested credential data) with cryptography and cbor2, as a browser returns them
from ``navigator.credentials.create/get`` (PublicKeyCredential JSON)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
AAGUID = bytes(16)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftPasskey:
    """One discoverable credential; ``sign_count`` None makes it a never-counting key."""

    rp_id: str
    origin: str
    user_handle: bytes = b""
    synced: bool = False
    sign_count: int | None = 0
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})

    def _auth_data(self, rp_id: str, verified: bool, attested: bool) -> bytes:
        flags = UP | (UV if verified else 0) | ((BE | BS) if self.synced else 0)
        count = 0
        if self.sign_count is not None and not attested:
            self.sign_count += 1
            count = self.sign_count
        data = hashlib.sha256(rp_id.encode()).digest()
        if attested:
            flags |= AT
            data += bytes([flags]) + struct.pack(">I", count)
            return (data + AAGUID + struct.pack(">H", len(self.credential_id))
                    + self.credential_id + self._cose_key())
        return data + bytes([flags]) + struct.pack(">I", count)

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge,
                           "origin": origin or self.origin, "crossOrigin": False}).encode()

    def create(self, options_json: str, *, verified: bool = True, origin: str | None = None,
               rp_id: str | None = None, challenge: str | None = None) -> str:
        """The registration response to ``options_json`` (attestation "none")."""
        options = json.loads(options_json)
        self.user_handle = unb64url(options["user"]["id"])
        auth_data = self._auth_data(rp_id or options["rp"]["id"], verified, attested=True)
        client_data = self._client_data("webauthn.create", challenge or options["challenge"],
                                        origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return self._credential({"clientDataJSON": b64url(client_data),
                                 "attestationObject": b64url(attestation),
                                 "transports": ["internal"]})

    def get(self, options_json: str, *, verified: bool = True, origin: str | None = None,
            user_handle: bytes | None = None, challenge: str | None = None) -> str:
        """The assertion answering ``options_json`` (request options)."""
        options = json.loads(options_json)
        auth_data = self._auth_data(options["rpId"], verified, attested=False)
        client_data = self._client_data("webauthn.get", challenge or options["challenge"],
                                        origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        handle = self.user_handle if user_handle is None else user_handle
        return self._credential({"clientDataJSON": b64url(client_data),
                                 "authenticatorData": b64url(auth_data),
                                 "signature": b64url(signature),
                                 "userHandle": b64url(handle) if handle else None})

    def _credential(self, response: dict[str, Any]) -> str:
        return json.dumps({"id": b64url(self.credential_id), "rawId": b64url(self.credential_id),
                           "type": "public-key", "response": response,
                           "clientExtensionResults": {}, "authenticatorAttachment": "platform"})
