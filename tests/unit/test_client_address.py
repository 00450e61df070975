"""The source address throttling counts by (web/client_address.py) and the
TRUSTED_PROXIES setting that decides it: werkzeug ProxyFix ``x_for`` semantics."""

from __future__ import annotations

import pytest

from authserver.settings import SettingsError, load_settings
from authserver.web.client_address import source_address


@pytest.mark.parametrize(("remote", "forwarded", "hops", "expected"), [
    ("203.0.113.9", None, 0, "203.0.113.9"),
    ("203.0.113.9", "192.0.2.1", 0, "203.0.113.9"),  # no trusted proxy: header ignored
    ("10.0.0.1", "192.0.2.1", 1, "192.0.2.1"),
    ("10.0.0.1", "6.6.6.6, 192.0.2.1", 1, "192.0.2.1"),  # the client wrote the first entry
    ("10.0.0.1", "6.6.6.6, 192.0.2.1, 10.0.0.2", 2, "192.0.2.1"),
    ("10.0.0.1", "192.0.2.1", 2, "10.0.0.1"),  # fewer entries than proxies: not via them all
    ("10.0.0.1", "not-an-address", 1, "10.0.0.1"),
    ("2001:db8:1:2:3:4:5:6", None, 0, "2001:db8:1:2::/64"),
    ("::ffff:192.0.2.7", None, 0, "192.0.2.7"),
    ("", None, 0, "unknown"),
])
def test_the_source_address(remote: str, forwarded: str | None, hops: int,
                            expected: str) -> None:
    environ = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    assert source_address(environ, hops) == expected


def test_trusted_proxies_defaults_to_none_and_reads_a_hop_count() -> None:
    assert load_settings({}).trusted_proxies == 0
    assert load_settings({"AUTHSERVER_TRUSTED_PROXIES": "2"}).trusted_proxies == 2


@pytest.mark.parametrize("raw", ["-1", "11", "yes", "1.5", ""])
def test_trusted_proxies_refuses_anything_but_a_small_hop_count(raw: str) -> None:
    with pytest.raises(SettingsError, match="AUTHSERVER_TRUSTED_PROXIES: must be a whole"):
        load_settings({"AUTHSERVER_TRUSTED_PROXIES": raw})
