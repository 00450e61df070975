"""Known-device tokens: a browser that signed in to an account before is recognised by it.

The token only exempts that browser from the sign-in throttle's account-wide and
per-address blocks (services/throttle.py); it authenticates nothing, so the password is
still checked. It carries a random device id (128 bits, so each browser has its own
throttle bucket), the tenant, the account and the issue time, and is signed with HMAC-
SHA256 under a key derived from the master key: nothing is stored on the server, and a
token minted for one account or tenant is worthless for another.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

LIFETIME = dt.timedelta(days=90)
_VERSION = "d1"
_MAX_LENGTH = 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class KnownDevices:
    key: bytes

    @classmethod
    def from_master_key(cls, master_key: bytes) -> KnownDevices:
        # Its own key: the master key is never used directly for two purposes.
        return cls(HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                        info=b"known-device-token").derive(master_key))

    def issue(self, tenant_id: int, user_id: int, now: dt.datetime,
              device_id: str | None = None) -> str:
        """A new token; ``device_id`` keeps a browser's id when its token is renewed."""
        device_id = device_id or _b64(secrets.token_bytes(16))
        payload = f"{_VERSION}.{tenant_id}.{user_id}.{int(now.timestamp())}.{device_id}"
        return f"{payload}.{self._mac(payload)}"

    def device_of(self, token: str | None, tenant_id: int, user_id: int,
                  now: dt.datetime) -> str | None:
        """The device id if ``token`` is genuine, unexpired and for this tenant and account."""
        if not token or len(token) > _MAX_LENGTH or not token.isascii():
            return None
        payload, _, mac = token.rpartition(".")
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        version, tenant, user, issued, device_id = (payload.split(".") + [""] * 5)[:5]
        if version != _VERSION or tenant != str(tenant_id) or user != str(user_id):
            return None
        try:
            issued_at = dt.datetime.fromtimestamp(int(issued), dt.UTC)
        except (ValueError, OverflowError, OSError):
            return None
        if not now - LIFETIME < issued_at <= now + dt.timedelta(minutes=5):
            return None
        return device_id or None

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self.key, payload.encode(), hashlib.sha256).digest())
