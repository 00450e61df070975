"""JWKS (RFC 7517) and discovery (OIDC Discovery, RFC 8414) are public and cacheable
(``Cache-Control: public``): they must not read the browser's session, so they never send
``Vary: Cookie`` (which would make shared caches keep one copy per cookie) nor a cookie,
even when the browser has a flow cookie and a sign-in session."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.support.oauth import ISSUER_PATH, Pkce, authorize_params, build_world, obtain_code

PUBLIC_DOCUMENTS = (
    f"{ISSUER_PATH}/jwks",
    f"{ISSUER_PATH}/.well-known/openid-configuration",
    f"{ISSUER_PATH}/.well-known/oauth-authorization-server",
    f"/.well-known/oauth-authorization-server{ISSUER_PATH}",
)


@pytest.fixture
def signed_in_browser(runtime: Runtime, http: FlaskClient) -> FlaskClient:
    """A browser that has been through sign-in: it holds a flow cookie and a session."""
    build_world(runtime)
    obtain_code(http, authorize_params(pkce=Pkce()))
    assert http.get_cookie("as-acme") and http.get_cookie("authserver-flow"), \
        "the set-up must leave both cookies in the browser"
    return http


@pytest.mark.parametrize("path", PUBLIC_DOCUMENTS)
def test_public_documents_do_not_vary_on_cookies(signed_in_browser: FlaskClient,
                                                  path: str) -> None:
    response = signed_in_browser.get(path)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    assert response.headers["Cache-Control"].startswith("public, max-age="), path
    assert "cookie" not in response.headers.get("Vary", "").lower(), \
        f"{path} sends Vary: {response.headers.get('Vary')}: it must not read the session"
    assert "Set-Cookie" not in response.headers, f"{path} must not set a cookie"


def test_pages_that_read_the_session_still_vary_on_cookies(signed_in_browser: FlaskClient
                                                          ) -> None:
    # The fix is to stop touching the session where it is not needed, not to drop the
    # header: a page built from the flow cookie must still say it varies on it.
    response = signed_in_browser.get(f"{ISSUER_PATH}/logout")
    assert response.status_code == 200
    assert "Cookie" in response.headers.get("Vary", ""), response.headers
