"""Registration-time URI rules (services/uris.py): the canonical spelling a redirect URI
must be registered in (RFC 3986 §6.2.2, RFC 9700 §4.1.3), and literal internal hosts."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

import pytest

from authserver.services.uris import NotAUri, canonical_uri, internal_host, remove_dot_segments


@pytest.mark.parametrize(("written", "canonical"), [
    ("https://app.example/cb", "https://app.example/cb"),
    ("HTTPS://App.example/cb", "https://app.example/cb"),
    ("https://APP.EXAMPLE/cb?x=1", "https://app.example/cb?x=1"),
    ("https://app.example:443/cb", "https://app.example/cb"),
    ("http://127.0.0.1:80/cb", "http://127.0.0.1/cb"),
    ("https://app.example:0443/cb", "https://app.example/cb"),
    ("https://app.example:/cb", "https://app.example/cb"),
    ("https://app.example:8443/cb", "https://app.example:8443/cb"),
    ("https://app.example", "https://app.example/"),
    ("https://app.example/%63%62", "https://app.example/cb"),
    ("https://app.example/%7Euser", "https://app.example/~user"),
    ("https://app.example/a%2fb", "https://app.example/a%2Fb"),
    ("https://app.example/a/../cb", "https://app.example/cb"),
    ("https://app.example/./cb", "https://app.example/cb"),
    ("https://app.example/a/%2E%2E/cb", "https://app.example/cb"),
    ("https://app.example/{x}", "https://app.example/%7Bx%7D"),
    ("https://app.example/cb?", "https://app.example/cb?"),
    ("http://[0:0:0:0:0:0:0:1]:8080/cb", "http://[::1]:8080/cb"),
    ("com.example.app:/cb", "com.example.app:/cb"),
    ("Com.Example.App:/cb", "com.example.app:/cb"),
])
def test_the_canonical_form_is_what_url_libraries_send(written: str, canonical: str) -> None:
    assert canonical_uri(written, urlsplit(written)) == canonical


@pytest.mark.parametrize("uri", [
    "https://app.example:99999/cb", "https://app.example:0/cb", "https://app.example:x/cb",
])
def test_a_port_outside_1_to_65535_is_not_a_uri(uri: str) -> None:
    with pytest.raises(NotAUri, match=r"has an invalid port \(use 1-65535\)"):
        canonical_uri(uri, urlsplit(uri))


def test_a_malformed_ipv6_literal_is_not_a_uri() -> None:
    # Built by hand: recent Pythons' urlsplit refuses it already, older ones do not.
    parts = SplitResult("https", "[1:2:3]", "/cb", "", "")
    with pytest.raises(NotAUri, match="has an invalid IPv6 address"):
        canonical_uri("https://[1:2:3]/cb", parts)


def test_a_stray_percent_is_not_a_uri() -> None:
    with pytest.raises(NotAUri, match="'%' that is not followed by two hex digits"):
        canonical_uri("https://app.example/100%", urlsplit("https://app.example/100%"))


@pytest.mark.parametrize(("path", "expected"), [
    ("/a/b/c/./../../g", "/a/g"), ("mid/content=5/../6", "mid/6"), ("/..", "/"),
    ("/a/..", "/"), ("", ""), ("/a//b", "/a//b"),
])
def test_dot_segments_are_removed_as_rfc_3986_section_5_2_4_says(path: str,
                                                                 expected: str) -> None:
    assert remove_dot_segments(path) == expected


@pytest.mark.parametrize("host", [
    "localhost", "LOCALHOST", "api.localhost", "localhost.", "127.0.0.1", "127.1",
    "2130706433", "0x7f.0.0.1", "::1", "::ffff:127.0.0.1", "10.1.2.3", "172.16.0.1",
    "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "fd00::1", "fe80::1",  # noqa: S104
    "224.0.0.1",
])
def test_literal_internal_hosts_are_named(host: str) -> None:
    assert internal_host(host) is not None, f"{host!r} must count as internal"


@pytest.mark.parametrize("host", ["keys.example.com", "8.8.8.8", "2001:4860:4860::8888",
                                  "1e100.net", "deadbeef.example"])
def test_public_hosts_pass(host: str) -> None:
    assert internal_host(host) is None, f"{host!r} is public"
