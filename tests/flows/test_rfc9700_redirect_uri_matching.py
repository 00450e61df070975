"""Redirect URI matching (RFC 9700 §4.1.3, RFC 6749 §3.1.2.3, RFC 8252 §7.3).

Registered redirect URIs are compared with the requested one byte for byte. A lookalike
never produces a redirect: it gets authserver's error page. The one exception is a native
app's loopback URI, where only the port may differ.
"""

from __future__ import annotations

import pytest

from authserver.services.clients import ClientSpec, register_client
from authserver.services.errors import InvalidInput
from authserver.storage.repositories import AuditRepository, ClientRepository
from tests.support.browser_flow import (
    assert_error_page,
    authorize,
    redirected_to_client,
    tenant_id,
)
from tests.support.oauth import ISSUER, Pkce, authorize_params, build_world, exchange, obtain_code

LOOKALIKES = [
    ("trailing slash", "https://app.example/cb/"),
    ("host in upper case", "https://APP.example/cb"),
    ("scheme in upper case", "HTTPS://app.example/cb"),
    ("path in upper case", "https://app.example/CB"),
    ("extra path segment", "https://app.example/cb/evil"),
    ("shorter path", "https://app.example/"),
    ("added query", "https://app.example/cb?next=https://evil.test"),
    ("added empty query", "https://app.example/cb?"),
    ("added fragment", "https://app.example/cb#frag"),
    ("added empty fragment", "https://app.example/cb#"),
    ("dot segment ..", "https://app.example/cb/../cb"),
    ("dot segment .", "https://app.example/./cb"),
    ("traversal out of the path", "https://app.example/cb/../../evil"),
    ("encoded slash", "https://app.example%2Fcb"),
    ("encoded slash in path", "https://app.example/cb%2F"),
    ("percent-encoded letter", "https://app.example/%63b"),
    ("percent-encoded host letter", "https://%61pp.example/cb"),
    ("userinfo with our host as user", "https://app.example@evil.test/cb"),
    ("userinfo with evil user", "https://evil.test@app.example/cb"),
    ("userinfo with password", "https://user:pass@app.example/cb"),
    ("suffix host", "https://app.example.evil.test/cb"),
    ("prefix host", "https://evilapp.example/cb"),
    ("subdomain", "https://www.app.example/cb"),
    ("trailing dot host", "https://app.example./cb"),
    ("path parameter", "https://app.example/cb;x"),
    ("path parameter with slash", "https://app.example/cb;/evil"),
    ("explicit default port", "https://app.example:443/cb"),
    ("other port", "https://app.example:8443/cb"),
    ("http instead of https", "http://app.example/cb"),
    ("backslash before path", "https://app.example\\cb"),
    ("backslash in scheme separator", "https:\\\\app.example/cb"),
    ("trailing backslash", "https://app.example/cb\\"),
    ("backslash host trick", "https://evil.test\\@app.example/cb"),
    ("unicode lookalike host (Cyrillic a)", "https://\u0430pp.example/cb"),
    ("punycode of the lookalike", "https://xn--pp-8kc.example/cb"),
    ("fullwidth slash", "https://app.example\uff0fcb"),
    ("leading whitespace", " https://app.example/cb"),
    ("trailing whitespace", "https://app.example/cb "),
    ("trailing tab", "https://app.example/cb\t"),
    ("scheme-relative", "//app.example/cb"),
    ("only the path", "/cb"),
    ("javascript scheme", "javascript://app.example/cb%0aalert(1)"),
]


@pytest.fixture
def world(runtime):
    return build_world(runtime)


@pytest.mark.parametrize(("case", "uri"), LOOKALIKES, ids=[c for c, _ in LOOKALIKES])
def test_lookalike_redirect_uri_gets_an_error_page(http, world, case, uri):
    response = authorize(http, authorize_params(pkce=Pkce(), redirect_uri=uri))
    assert_error_page(response, f"{case}: {uri!r} must not match https://app.example/cb")


def test_exact_redirect_uri_is_accepted(http, world):
    query = obtain_code(http, authorize_params(pkce=Pkce()))
    assert "code" in query and query["iss"] == ISSUER


# --- loopback redirect URIs for native apps (RFC 8252 §7.3) ------------------------------


@pytest.fixture
def native(runtime, world):
    """A native app (public, so application type native) on the loopback interface."""
    with runtime.database.session() as session:
        tid = tenant_id(runtime)
        register_client(ClientRepository(session, tid), AuditRepository(session, tid), ClientSpec(
            name="Native", client_id="native", public=True,
            redirect_uris=("http://127.0.0.1/native",)), "test")
    return "native"


@pytest.mark.parametrize("uri", [
    "http://127.0.0.1/native",
    "http://127.0.0.1:51234/native",
    "http://127.0.0.1:1/native",
    "http://127.0.0.1:65535/native",
])
def test_loopback_redirect_uri_may_use_any_port(http, native, uri):
    pkce = Pkce()
    p = authorize_params(native, pkce=pkce, redirect_uri=uri)
    # Not signed in yet: the endpoint accepts the URI and asks the person to sign in.
    first = authorize(http, p)
    assert first.status_code in (302, 303) and "/interaction/" in first.headers["Location"], \
        f"{uri} must be accepted as the registered loopback URI"


def test_loopback_with_a_run_time_port_works_end_to_end(http, native):
    pkce = Pkce()
    uri = "http://127.0.0.1:51234/native"
    query = obtain_code(http, authorize_params(native, pkce=pkce, redirect_uri=uri))
    assert query["iss"] == ISSUER
    token = exchange(http, query["code"], pkce, client_id=native, redirect_uri=uri)
    assert token.status_code == 200, f"the code must redeem at {uri}: {token.get_json()}"
    # And the response went to that exact port.
    response = authorize(http, authorize_params(native, pkce=Pkce(), redirect_uri=uri))
    redirected_to_client(response, uri)


@pytest.mark.parametrize("uri", ["http://127.0.0.1:51234/native", "http://127.0.0.1:1/native"])
def test_a_web_client_loopback_uri_is_matched_exactly_port_included(http, world, uri):
    # RFC 9700 §2.1: only native apps may vary the port; "web" registered
    # http://127.0.0.1/native, and another port there may be another program's.
    response = authorize(http, authorize_params(pkce=Pkce(), redirect_uri=uri))
    assert_error_page(response, f"a confidential web client must not get {uri} by port change")


def test_a_web_client_gets_its_exact_loopback_uri(http, world):
    response = authorize(http, authorize_params(pkce=Pkce(),
                                                redirect_uri="http://127.0.0.1/native"))
    assert "/interaction/" in response.headers.get("Location", ""), \
        "the exact registered loopback URI must still be accepted for a web client"


LOOPBACK_LOOKALIKES = [
    ("other path", "http://127.0.0.1:51234/other"),
    ("path with trailing slash", "http://127.0.0.1:51234/native/"),
    ("path in upper case", "http://127.0.0.1/NATIVE"),
    ("added query", "http://127.0.0.1:51234/native?x=1"),
    ("added fragment", "http://127.0.0.1:51234/native#x"),
    ("https instead of http", "https://127.0.0.1/native"),
    ("https with a port", "https://127.0.0.1:51234/native"),
    ("localhost instead of 127.0.0.1", "http://localhost/native"),
    ("localhost with a port", "http://localhost:51234/native"),
    ("IPv6 loopback instead of 127.0.0.1", "http://[::1]:51234/native"),
    ("other loopback address", "http://127.0.0.2:51234/native"),
    ("port zero", "http://127.0.0.1:0/native"),
    ("port out of range", "http://127.0.0.1:65536/native"),
    ("empty port", "http://127.0.0.1:/native"),
    ("userinfo", "http://evil.test@127.0.0.1:51234/native"),
    ("userinfo host trick", "http://127.0.0.1:51234@evil.test/native"),
    ("dot segment", "http://127.0.0.1:51234/x/../native"),
    ("backslash", "http://127.0.0.1:51234\\native"),
    ("encoded slash", "http://127.0.0.1:51234%2Fnative"),
    ("host suffix", "http://127.0.0.1.evil.test/native"),
    ("decimal IP", "http://2130706433/native"),
]


@pytest.mark.parametrize(("case", "uri"), LOOPBACK_LOOKALIKES,
                         ids=[c for c, _ in LOOPBACK_LOOKALIKES])
def test_loopback_allows_only_the_port_to_change(http, native, case, uri):
    response = authorize(http, authorize_params(native, pkce=Pkce(), redirect_uri=uri))
    assert_error_page(response, f"{case}: {uri!r} must not match http://127.0.0.1/native")


def test_localhost_registration_does_not_admit_127_0_0_1(runtime, http, world):
    with runtime.database.session() as session:
        tid = tenant_id(runtime)
        register_client(ClientRepository(session, tid), AuditRepository(session, tid), ClientSpec(
            name="Native", client_id="native", public=True,
            redirect_uris=("http://localhost/cb",)), "test")
    ok = authorize(http, authorize_params("native", Pkce(), redirect_uri="http://localhost:5000/cb"))
    assert "/interaction/" in ok.headers.get("Location", ""), \
        "a port change on the registered localhost URI must be accepted"
    assert_error_page(
        authorize(http, authorize_params("native", Pkce(), redirect_uri="http://127.0.0.1/cb")),
        "127.0.0.1 must not stand in for a registered localhost")


# --- registration -----------------------------------------------------------------------


@pytest.mark.parametrize("uri", [
    "https://*.example/cb",
    "https://app.example/*",
    "https://app.example/cb*",
    "https://app.example/cb#frag",
    "https://user@app.example/cb",
    "http://app.example/cb",
    "javascript:alert(1)",
    "/relative/cb",
])
def test_registration_refuses_patterns_and_unsafe_uris(runtime, world, uri):
    with runtime.database.session() as session:
        tid = tenant_id(runtime)
        with pytest.raises(InvalidInput) as raised:
            register_client(ClientRepository(session, tid), AuditRepository(session, tid),
                            ClientSpec(name="Bad", client_id="bad", redirect_uris=(uri,)), "test")
    assert raised.value is not None, f"{uri!r} must not be registrable"
