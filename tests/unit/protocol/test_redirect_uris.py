"""Redirect URI matching (protocol/redirect_uris.py): RFC 9700 §4.1.3 exact matching,
with RFC 8252 §7.3's one exception (any port on loopback, native apps only)."""

from __future__ import annotations

import pytest

from authserver.protocol.redirect_uris import redirect_uri_registered
from tests.unit.protocol.fakes import client

WEB = ("https://app.example/cb", "https://app.example/cb?tenant=1")
LOOPBACK = ("http://127.0.0.1/cb", "http://[::1]:8080/cb", "http://localhost/cb?x=1")

EXACT = [
    pytest.param("https://app.example/cb", True, id="the registered URI"),
    pytest.param("https://app.example/cb?tenant=1", True, id="a registered URI with a query"),
    pytest.param("https://app.example/cb/", False, id="a trailing slash more"),
    pytest.param("https://APP.example/cb", False, id="another spelling of the host"),
    pytest.param("https://app.example/CB", False, id="another case of the path"),
    pytest.param("https://app.example/cb?tenant=2", False, id="another query"),
    pytest.param("https://app.example/cb?", False, id="an empty query added"),
    pytest.param("https://app.example/cb#x", False, id="a fragment added"),
    pytest.param("https://app.example:443/cb", False, id="the default port spelled out"),
    pytest.param("http://app.example/cb", False, id="http instead of https"),
    pytest.param("https://app.example/cb/../cb", False, id="dot segments"),
    pytest.param("https://app.example.evil.example/cb", False, id="a longer host"),
    pytest.param("https://app.example/cbx", False, id="a longer path"),
    pytest.param("https://app.example/c", False, id="a prefix of the path"),
]


@pytest.mark.parametrize(("requested", "matches"), EXACT)
@pytest.mark.parametrize("native", [False, True], ids=["web client", "native app"])
def test_a_non_loopback_uri_must_match_character_for_character(
    requested: str, matches: bool, native: bool,
) -> None:
    assert redirect_uri_registered(requested, WEB, any_loopback_port=native) is matches, (
        f"{requested!r} {'must' if matches else 'must not'} match {WEB}")


LOOSE = [
    pytest.param("http://127.0.0.1/cb", True, True, id="registered without port, sent without"),
    pytest.param("http://127.0.0.1:50123/cb", True, False, id="IPv4 loopback, any port"),
    pytest.param("http://127.0.0.1:1/cb", True, False, id="port 1"),
    pytest.param("http://127.0.0.1:65535/cb", True, False, id="port 65535"),
    pytest.param("http://[::1]/cb", True, False, id="IPv6 loopback without its port"),
    pytest.param("http://[::1]:9/cb", True, False, id="IPv6 loopback, another port"),
    pytest.param("http://localhost:3000/cb?x=1", True, False, id="localhost, another port"),
    pytest.param("http://127.0.0.1:0/cb", False, False, id="port 0"),
    pytest.param("http://127.0.0.1:65536/cb", False, False, id="port 65536"),
    pytest.param("http://127.0.0.1:8080/other", False, False, id="another path"),
    pytest.param("http://127.0.0.1:8080/cb?x=1", False, False, id="another query"),
    pytest.param("http://localhost:3000/cb", False, False, id="localhost without its query"),
    pytest.param("http://127.0.0.1:8080/cb#f", False, False, id="a fragment"),
    pytest.param("https://127.0.0.1:8080/cb", False, False, id="https is not the loopback rule"),
    pytest.param("http://127.0.0.2:8080/cb", False, False, id="another loopback address"),
    pytest.param("http://localhost:8080@evil.example/cb", False, False,
                 id="userinfo hiding another host"),
    pytest.param("http://127.0.0.1:8080\\@evil.example/cb", False, False,
                 id="a backslash before another host"),
    pytest.param("http://[::1]:8080/cb", True, True, id="the exact IPv6 registration"),
    pytest.param("http://127.0.0.1.evil.example:8080/cb", False, False,
                 id="a host beginning like loopback"),
]


@pytest.mark.parametrize(("requested", "native_matches", "web_matches"), LOOSE)
def test_only_a_native_app_may_change_the_loopback_port(
    requested: str, native_matches: bool, web_matches: bool,
) -> None:
    native = redirect_uri_registered(requested, LOOPBACK, any_loopback_port=True)
    web = redirect_uri_registered(requested, LOOPBACK, any_loopback_port=False)
    assert (native, web) == (native_matches, web_matches), (
        f"{requested!r}: native app {native} (expected {native_matches}), "
        f"web client {web} (expected {web_matches})")


@pytest.mark.parametrize(("application_type", "matches"), [
    pytest.param("native", True, id="native: loose loopback port"),
    pytest.param("web", False, id="web: exact, a loopback URI is a fixed development server"),
])
def test_the_client_record_applies_the_rule_its_application_type_allows(
    application_type: str, matches: bool,
) -> None:
    record = client(redirect_uris=("http://127.0.0.1:8000/cb",),
                    application_type=application_type)
    assert record.check_redirect_uri("http://127.0.0.1:9000/cb") is matches
    assert record.check_redirect_uri("http://127.0.0.1:8000/cb"), "the exact URI always matches"
