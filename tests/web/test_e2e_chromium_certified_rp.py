"""End to end: a person signs in through the hosted pages in Debian's headless Chromium,
and an independent, OpenID-certified relying party (openid-client, tests/web/rp/rp.mjs)
completes the flow: discovery, authorization code + PKCE S256 + state + nonce, callback on
its own loopback server, code exchange with client_secret_basic, ID token validation
(signature against the JWKS, iss, aud, azp, exp, iat, nonce, at_hash) and userinfo.
The test then verifies the access token against the JWKS with authserver_verifier.

The two tests share one browser profile and one interactive sign-in (the module fixture
``first_sign_in``, run by whichever test comes first): the silent test reuses its session
and consent, so prompt=none must come back with a code and no page shown."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from authserver_verifier import Verifier
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.web.conftest import EMAIL, PASSWORD, Stack

SCOPES = {"openid", "profile", "email"}


def rp_result(page: Any, stack: Stack) -> dict[str, Any]:
    """The RP's JSON outcome shown on its callback page, which must be a success."""
    try:
        page.wait_for_url(f"{stack.rp_base}/callback?*")
    except PlaywrightTimeout:
        console = "\n".join(page.console_lines)
        raise AssertionError(f"the browser never reached the RP's callback; it is at {page.url}"
                             f"\nbrowser console:\n{console}\n{stack.logs()}") from None
    result = json.loads(page.locator("#result").inner_text())
    assert "error" not in result, f"RP rejected the response: {result}\n{stack.logs()}"
    return result


def check_tokens(result: dict[str, Any], stack: Stack) -> dict[str, Any]:
    """What openid-client validated, then the access token against the JWKS."""
    claims = result["claims"]
    now = time.time()
    assert claims["iss"] == stack.issuer
    assert claims["aud"] == stack.client_id
    assert claims["azp"] == stack.client_id
    assert claims["sub"] == stack.user["sub"]
    assert claims["nonce"] == result["nonce"]
    assert claims["iat"] <= now + 5 < claims["exp"] + 5
    assert claims["at_hash"], "openid-client checked at_hash only because it was present"
    assert result["id_token_header"]["alg"] == "RS256"
    # RFC 9207: the authorization response names its issuer; openid-client compared it.
    assert result["iss_param"] == stack.issuer
    assert {"code", "state", "iss"} <= set(result["callback_params"])
    assert result["token_type"].lower() == "bearer"
    assert set(result["scope"].split()) == SCOPES

    verifier = Verifier(issuer=stack.issuer, audience=stack.issuer, algorithms=("ES256",),
                        jwks_uri=f"{stack.issuer}/jwks")
    access = verifier.verify(result["access_token"], required_scopes=sorted(SCOPES))
    header = json.loads(_b64url(result["access_token"].split(".")[0]))
    assert header["typ"].lower() == "at+jwt"
    assert header["alg"] == "ES256"
    assert access.iss == stack.issuer
    assert stack.issuer in access.aud
    assert access.client_id == stack.client_id
    assert access.sub == stack.user["sub"]
    assert set(access["scope"].split()) == SCOPES
    assert access.has_scopes(*SCOPES)

    userinfo = result["userinfo"]
    assert userinfo["sub"] == stack.user["sub"]
    assert userinfo["email"] == EMAIL
    assert userinfo["email_verified"] is True
    assert userinfo.get("given_name") == "Ada"
    return claims


def _b64url(segment: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@dataclass(frozen=True)
class SignIn:
    result: dict[str, Any]
    consent_heading: str


@pytest.fixture(scope="module")
def first_sign_in(page: Any, stack: Stack) -> SignIn:
    """Sign in and consent through the hosted pages, once per module: both tests need it,
    whichever runs first (a test that relied on the other having run failed alone)."""
    page.goto(f"{stack.rp_base}/login")
    # GET {issuer}/authorize answered with a redirect to the hosted interaction page.
    assert page.url.startswith(f"{stack.issuer}/interaction/"), page.url
    page.fill("#identifier", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[value=login]")
    approve = page.locator("button[value=approve]")
    approve.wait_for()
    consent_heading = page.locator("h1").inner_text()
    approve.click()
    return SignIn(rp_result(page, stack), consent_heading)


def test_sign_in_and_consent_in_chromium_then_certified_rp_validates(
        first_sign_in: SignIn, stack: Stack) -> None:
    claims = check_tokens(first_sign_in.result, stack)
    assert "pwd" in claims["amr"]
    assert first_sign_in.consent_heading == "Allow E2E RP?", \
        "the consent page should name the client"


def test_second_authorization_is_silent_with_prompt_none(
        page: Any, stack: Stack, first_sign_in: SignIn) -> None:
    first = first_sign_in.result["claims"]

    seen: list[str] = []
    page.on("framenavigated", lambda frame: seen.append(frame.url))
    page.goto(f"{stack.rp_base}/login?prompt=none")
    result = rp_result(page, stack)
    assert not [u for u in seen if "/interaction/" in u], f"a page was shown: {seen}"
    claims = check_tokens(result, stack)
    assert claims["sub"] == first["sub"]
    assert claims["auth_time"] == first["auth_time"], "silent authorization re-authenticated"
    assert claims["nonce"] != first["nonce"]
    code = parse_qs(urlsplit(page.url).query)["code"][0]
    assert code, page.url
    assert "Traceback" not in stack.server_log.read_text(), stack.logs()
