"""Known-device tokens (services/known_devices.py): genuine only for the tenant and
account they were issued for, for 90 days, and unforgeable without the server's key."""

from __future__ import annotations

import datetime as dt

from authserver.services.known_devices import LIFETIME, KnownDevices

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
DEVICES = KnownDevices.from_master_key(bytes(32))


def test_a_token_names_its_device_for_its_tenant_and_account() -> None:
    token = DEVICES.issue(1, 7, NOW)
    device = DEVICES.device_of(token, 1, 7, NOW)
    assert device is not None and len(device) >= 22, "128 random bits, base64url"
    assert DEVICES.issue(1, 7, NOW) != token, "every browser gets its own device id"
    assert DEVICES.device_of(DEVICES.issue(1, 7, NOW, device_id=device), 1, 7, NOW) == device, \
        "a renewed token keeps the browser's device id"


def test_a_token_is_worthless_for_another_account_or_tenant() -> None:
    token = DEVICES.issue(1, 7, NOW)
    assert DEVICES.device_of(token, 1, 8, NOW) is None
    assert DEVICES.device_of(token, 2, 7, NOW) is None


def test_a_token_expires_after_its_lifetime() -> None:
    token = DEVICES.issue(1, 7, NOW)
    assert DEVICES.device_of(token, 1, 7, NOW + LIFETIME - dt.timedelta(seconds=1))
    assert DEVICES.device_of(token, 1, 7, NOW + LIFETIME) is None


def test_a_tampered_or_foreign_token_is_refused() -> None:
    token = DEVICES.issue(1, 7, NOW)
    payload, _, mac = token.rpartition(".")
    other_server = KnownDevices.from_master_key(bytes([1]) * 32)
    for bad in (payload.replace(".7.", ".8.") + "." + mac, token[:-2] + "AA",
                other_server.issue(1, 7, NOW), "", "x" * 500, "é.1.7", None):
        assert DEVICES.device_of(bad, 1, 7, NOW) is None, bad
