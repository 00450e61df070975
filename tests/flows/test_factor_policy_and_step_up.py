"""A tenant's second-factor policy, step-up with acr_values (OIDC Core §3.1.2.1) or an
essential acr claim request (§5.5.1.1), forced enrolment, and amr/acr in the tokens
(RFC 8176; docs/sign-in.md).

The second factor here is a stand-in registered under the name "totp" that accepts one
fixed code, so these tests pin the pages' and the policy's behaviour whatever the real
factors do (their own suites test those); the enrolment row is a real one.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from authserver.protocol.interaction import AuthResult
from authserver.services.authn import Attempt, Outcome, Submission
from authserver.services.senders import Senders
from authserver.storage.models import TotpCredential, User
from authserver.web.interaction.authenticators import Factor, register_factor
from tests.support.browser_flow import (
    assert_error_redirect,
    authorize,
    html_of,
    page_after,
    page_kind,
    redirected_to_client,
    session_cookie,
    submit,
)
from tests.support.oauth import (
    ISSUER_PATH,
    REDIRECT,
    Pkce,
    authorize_params,
    build_world,
    csrf_of,
    exchange,
    sign_in,
)
from tests.support.runtimes import make_app, make_runtime
from tests.support.sign_in_policy import set_sign_in_policy
from tests.support.tokens import verify_jwt

GOOD_CODE = "424242"


class StandInCode:
    """Accepts GOOD_CODE from the person the page asked; anything else is refused."""

    def authenticate(self, submission: Submission) -> Attempt:
        if submission.fields.get("code") != GOOD_CODE or submission.user_id is None:
            return Attempt(Outcome.REFUSED)
        return Attempt(Outcome.SIGNED_IN,
                       AuthResult(submission.user_id, ("otp",), "2", submission.now))


@pytest.fixture
def world(runtime, app):
    built = build_world(runtime)
    register_factor(app, Factor("totp", build=StandInCode))
    return built


def enrol_totp(runtime) -> None:
    with runtime.database.session() as session:
        user = session.scalar(select(User).where(User.email == "ann@example.com"))
        session.add(TotpCredential(tenant_id=user.tenant_id, user_id=user.id,
                                   secret_sealed=b"sealed elsewhere",
                                   confirmed_at=runtime.clock(), last_used_step=0))


def factor_post(http, location, code):
    """The further-factor page's form for "totp", as a person would submit it."""
    page = http.get(location)
    html = html_of(page)
    assert page.status_code == 200 and "Confirm it" in html, \
        f"expected the further-factor page, got {page.status_code}: {html[:300]}"
    return http.post(f"{location}/factor/totp", data={"csrf_token": csrf_of(html),
                                                      "code": code})


def finish(http, response, pkce, world):
    """From the response that completed sign-in to the ID token's claims."""
    _, consent = page_after(http, response)
    query = redirected_to_client(submit(http, consent, action="approve"), REDIRECT, 303)
    tokens = exchange(http, query["code"], pkce, secret=world.web_secret).get_json()
    _, id_claims = verify_jwt(http, tokens["id_token"])
    _, access_claims = verify_jwt(http, tokens["access_token"])
    return id_claims, access_claims


def test_optional_mfa_asks_an_enrolled_person_for_the_second_factor(http, world, runtime):
    set_sign_in_policy(runtime, mfa="optional")
    enrol_totp(runtime)
    pkce = Pkce()
    location, _ = page_after(http, authorize(http, authorize_params(pkce=pkce)))
    after_password = sign_in(http, location)
    assert after_password.status_code == 303, "a correct password leads to the next step"
    assert session_cookie(http) is None, "no session before the second factor"
    wrong = factor_post(http, after_password.headers["Location"], "000000")
    assert wrong.status_code == 401, f"a wrong code is refused, got {wrong.status_code}"
    assert "not the right code" in html_of(wrong)
    right = factor_post(http, after_password.headers["Location"], GOOD_CODE)
    id_claims, access_claims = finish(http, right, pkce, world)
    for name, claims in (("ID token", id_claims), ("access token", access_claims)):
        assert claims["amr"] == ["pwd", "otp", "mfa"], f"{name} amr: {claims}"
        assert claims["acr"] == "2", f"{name} acr: {claims}"


def test_optional_mfa_lets_a_person_without_a_second_factor_in_with_a_password(
        http, world, runtime):
    set_sign_in_policy(runtime, mfa="optional")
    pkce = Pkce()
    location, _ = page_after(http, authorize(http, authorize_params(pkce=pkce)))
    id_claims, _ = finish(http, sign_in(http, location), pkce, world)
    assert (id_claims["amr"], id_claims["acr"]) == (["pwd"], "1"), id_claims


@pytest.mark.parametrize("ask", ["acr_values", "claims"])
def test_acr_values_step_up_an_existing_session_with_a_new_session_id(
        http, world, runtime, ask):
    set_sign_in_policy(runtime, mfa="optional")
    location, _ = page_after(http, authorize(http, authorize_params(pkce=Pkce())))
    page_after(http, sign_in(http, location))  # signed in with a password: acr 1
    before = session_cookie(http)
    assert before, "the password alone started a session"
    enrol_totp(runtime)
    extra = {"acr_values": "2"} if ask == "acr_values" else {
        "claims": '{"id_token":{"acr":{"essential":true,"values":["2"]}}}'}
    pkce = Pkce()
    location, html = page_after(http, authorize(http, authorize_params(pkce=pkce, **extra)))
    assert "Confirm it" in html and 'name="password"' not in html, \
        "step-up asks only for the missing factor"
    stepped = factor_post(http, location, GOOD_CODE)
    after = session_cookie(http)
    assert after and after != before, "step-up must change the session id"
    id_claims, _ = finish(http, stepped, pkce, world)
    assert (id_claims["amr"], id_claims["acr"]) == (["pwd", "otp", "mfa"], "2"), id_claims


def test_prompt_none_cannot_step_up(http, world, runtime):
    set_sign_in_policy(runtime, mfa="optional")
    location, _ = page_after(http, authorize(http, authorize_params(pkce=Pkce())))
    page_after(http, sign_in(http, location))
    response = authorize(http, authorize_params(pkce=Pkce(), prompt="none", acr_values="2"))
    assert_error_redirect(response, "login_required", REDIRECT)


def test_required_mfa_without_a_factor_forces_enrolment(http, world, runtime):
    # Email codes are off: with them on, every account already has a second factor.
    set_sign_in_policy(runtime, mfa="required", methods="totp,webauthn")
    location, _ = page_after(http, authorize(http, authorize_params(pkce=Pkce())))
    response = sign_in(http, location)
    page = http.get(response.headers["Location"])
    html = html_of(page)
    assert page.status_code == 200 and "Set up a second sign-in step" in html, html[:300]
    assert session_cookie(http) is None, "no session until a second factor is set up"


def test_a_method_the_person_cannot_use_is_refused_with_a_page(http, world, runtime):
    set_sign_in_policy(runtime, mfa="optional", methods="totp")
    enrol_totp(runtime)
    location, _ = page_after(http, authorize(http, authorize_params(pkce=Pkce())))
    next_page = sign_in(http, location).headers["Location"]
    html = html_of(http.get(next_page))
    refused = http.post(f"{next_page}/factor/sms", data={"csrf_token": csrf_of(html),
                                                         "code": GOOD_CODE})
    assert refused.status_code == 400, f"sms is not offered, got {refused.status_code}"
    assert "not available" in html_of(refused)
    unknown = http.post(f"{next_page}/factor/%3Cscript%3E", data={
        "csrf_token": csrf_of(html), "code": GOOD_CODE})
    assert unknown.status_code == 400 and "<script>" not in html_of(unknown)


@pytest.mark.parametrize("mode, supported", [("off", ["1"]), ("optional", ["1", "2"]),
                                             ("required", ["1", "2"])])
def test_discovery_lists_the_levels_the_tenant_offers(http, world, runtime, mode, supported):
    set_sign_in_policy(runtime, mfa=mode)
    doc = http.get(f"{ISSUER_PATH}/.well-known/openid-configuration").get_json()
    assert doc["acr_values_supported"] == supported, doc.get("acr_values_supported")


def test_the_account_page_signs_the_person_in_and_comes_back(http, world, runtime):
    first = http.get(f"{ISSUER_PATH}/account")
    assert first.status_code == 303, f"no session: sign in first, got {first.status_code}"
    html = html_of(http.get(first.headers["Location"]))
    assert page_kind(html) == "login" and "your account" in html, html[:300]
    done = sign_in(http, first.headers["Location"])
    assert done.status_code == 303 and done.headers["Location"].endswith(
        f"{ISSUER_PATH}/account"), f"back to the account page, got {done.headers}"
    page = http.get(f"{ISSUER_PATH}/account")
    assert page.status_code == 200 and "ann@example.com" in html_of(page), html_of(page)
    assert page.headers["Cache-Control"] == "no-store"


def test_the_account_page_interaction_issues_no_code(http, world, runtime):
    first = http.get(f"{ISSUER_PATH}/account")
    done = sign_in(http, first.headers["Location"])
    assert "code=" not in done.headers["Location"], "the account page gets no code"


def test_a_code_channel_without_a_sender_is_not_offered(settings, database, clock):
    """With email codes the only second factor and no email sender configured, the
    person is asked to set up another factor rather than sent to a dead end."""
    runtime = make_runtime(settings, database, clock, senders=Senders())
    http = make_app(runtime).test_client()
    build_world(runtime)
    set_sign_in_policy(runtime, mfa="required", methods="email,totp")
    location, _ = page_after(http, authorize(http, authorize_params(pkce=Pkce())))
    page = http.get(sign_in(http, location).headers["Location"])
    assert "Set up a second sign-in step" in html_of(page), html_of(page)[:300]


# The sessions section (where you are signed in) is shown under every policy.
@pytest.mark.parametrize("policy, shown", [
    # The password and sessions sections are there whatever the policy says.
    ({"mfa": "off"}, ["password", "passkeys", "sessions"]),
    ({"mfa": "off", "phone_sign_in": True}, ["password", "passkeys", "phone", "sessions"]),
    ({"mfa": "optional"}, ["password", "totp", "passkeys", "recovery", "phone", "sessions"]),
    ({"mfa": "optional", "methods": "totp"}, ["password", "totp", "recovery", "sessions"]),
])
def test_the_account_page_shows_what_the_tenant_offers(http, world, runtime, policy, shown):
    set_sign_in_policy(runtime, **policy)
    sign_in(http, http.get(f"{ISSUER_PATH}/account").headers["Location"])
    page = http.get(f"{ISSUER_PATH}/account")
    sections = re.findall(r'id="section-([a-z]+)"', html_of(page))
    assert sections == shown, f"{policy}: expected sections {shown}, got {sections}"
