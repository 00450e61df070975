"""Table tests of the factor policy and next_step (OIDC Core §3.1.2.1, §3.1.2.3, §3.1.2.4)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from authserver.protocol.authorization import AuthorizationRequest
from authserver.protocol.errors import (
    ConsentRequiredError,
    LoginRequiredError,
)
from authserver.protocol.interaction import (
    PASSWORD_ALONE,
    AuthResult,
    FactorPolicy,
    Progress,
    SignedIn,
    Step,
    factor_step,
    next_step,
)
from authserver.protocol.policies import (
    SecondFactor,
    acr_for,
    completes,
    is_multi_factor,
    requested_acr,
    with_mfa,
)

NOW = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
OPTIONAL = FactorPolicy(SecondFactor.OPTIONAL)
REQUIRED = FactorPolicy(SecondFactor.REQUIRED)
TOTP_ONLY = FactorPolicy(SecondFactor.REQUIRED, frozenset({"totp"}))
ESSENTIAL_MFA = {"id_token": {"acr": {"essential": True, "values": ["2"]}}}


@pytest.mark.parametrize("amr, multi", [
    ((), False), (("pwd",), False), (("otp",), False), (("sms", "mail"), False),
    (("pwd", "otp"), True), (("pwd", "sms"), True), (("pwd", "hwk"), True),
    (("hwk", "mfa"), True), (("mail", "pwd"), True), (("pwd", "pin"), False),
])
def test_multi_factor_means_two_categories_or_a_multi_factor_method(amr, multi):
    assert is_multi_factor(amr) is multi, f"{amr} should{'' if multi else ' not'} be MFA"
    assert acr_for(amr) == ("2" if multi else "1")


@pytest.mark.parametrize("method, done, helps", [
    ("totp", ("pwd",), True), ("sms", ("pwd",), True), ("email", ("pwd",), True),
    ("totp", ("mail",), False), ("sms", ("mail",), False), ("email", ("sms",), False),
    ("pwd", ("mail",), True), ("pwd", ("sms",), True), ("recovery", ("mail",), False),
    ("webauthn", ("mail",), True),  # a passkey verifying the user is two factors itself
])
def test_a_further_factor_helps_only_if_it_is_of_another_kind(method, done, helps):
    assert completes(method, done) is helps, f"{method} after {done}"


def test_tokens_say_mfa_once_and_keep_the_order():
    assert with_mfa(("pwd", "otp", "pwd")) == ("pwd", "otp", "mfa")
    assert with_mfa(("pwd",)) == ("pwd",)
    assert with_mfa(("hwk", "mfa")) == ("hwk", "mfa")


@pytest.mark.parametrize("acr_values, claims, asked", [
    (None, None, ()),
    ("2 1", None, ("2", "1")),
    ("1", ESSENTIAL_MFA, ("2", "1")),  # an essential claim request binds before acr_values
    (None, {"id_token": {"acr": {"essential": False, "values": ["2"]}}}, ()),
    (None, {"userinfo": {"acr": {"essential": True, "value": "2"}}}, ("2",)),
    (None, {"id_token": {"acr": {"essential": True, "values": "2"}}}, ()),  # not a list
    (None, {"id_token": "acr"}, ()),
])
def test_requested_acr(acr_values, claims, asked):
    assert requested_acr(acr_values, claims) == asked


@pytest.mark.parametrize("case, policy, acr_values, enrolled, amr, step", [
    ("off: a password is enough", PASSWORD_ALONE, None, (), ("pwd",), None),
    ("off: acr 2 is not offered, so not forced", PASSWORD_ALONE, "2", ("totp",), ("pwd",),
     None),
    ("optional, none enrolled", OPTIONAL, None, (), ("pwd",), None),
    ("optional, only the account's email", OPTIONAL, None, ("email",), ("pwd",), None),
    ("required, the account's email will do", REQUIRED, None, ("email",), ("pwd",),
     Step.FACTOR),
    ("optional, enrolled: asked", OPTIONAL, None, ("totp",), ("pwd",), Step.FACTOR),
    ("optional, enrolled, done", OPTIONAL, None, ("totp",), ("pwd", "otp"), None),
    ("optional, step-up asked, none enrolled", OPTIONAL, "2", (), ("pwd",), Step.ENROL),
    ("required, none enrolled", REQUIRED, None, (), ("pwd",), Step.ENROL),
    ("required, enrolled", REQUIRED, None, ("sms",), ("pwd",), Step.FACTOR),
    ("required, only a method the tenant refuses", TOTP_ONLY, None, ("sms",), ("pwd",),
     Step.ENROL),
    ("required, a passkey with user verification", REQUIRED, None, ("webauthn",),
     ("hwk", "mfa"), None),
    ("voluntary acr 1 never lowers the tenant's rule", REQUIRED, "1", ("totp",), ("pwd",),
     Step.FACTOR),
])
def test_factor_step(case, policy, acr_values, enrolled, amr, step):
    assert factor_step(request(acr_values=acr_values), policy, enrolled, amr) is step, case


def test_a_policy_names_only_known_methods():
    with pytest.raises(ValueError):
        FactorPolicy(SecondFactor.REQUIRED, frozenset({"carrier-pigeon"}))


def request(**extra):
    values = {"client_id": "web", "redirect_uri": "https://app.example/cb",
              "scope": "openid email", "state": "s", "response_mode": "query",
              "code_challenge": None, "nonce": None, **extra}
    return AuthorizationRequest(**values)


THIRD_PARTY = SimpleNamespace(first_party=False)
FIRST_PARTY = SimpleNamespace(first_party=True)
SESSION = SignedIn(1, NOW - dt.timedelta(minutes=10), ("pwd",), "1")
MFA_SESSION = SignedIn(7, NOW, ("pwd", "otp", "mfa"), "2")
PWD_DONE = AuthResult(7, ("pwd",), "1", NOW)
GRANTED = {"openid", "email"}


@pytest.mark.parametrize("case, req, client, session, granted, progress, policy, step", [
    ("no session", request(), THIRD_PARTY, None, set(), Progress(), PASSWORD_ALONE,
     Step.LOGIN),
    ("session, consent remembered", request(), THIRD_PARTY, SESSION, GRANTED, Progress(),
     PASSWORD_ALONE, Step.ISSUE),
    ("session, scope not granted", request(), THIRD_PARTY, SESSION, {"openid"}, Progress(),
     PASSWORD_ALONE, Step.CONSENT),
    ("first party never asks consent", request(), FIRST_PARTY, SESSION, set(), Progress(),
     PASSWORD_ALONE, Step.ISSUE),
    ("prompt=login asks again", request(prompt=("login",)), FIRST_PARTY, SESSION, set(),
     Progress(), PASSWORD_ALONE, Step.LOGIN),
    ("prompt=login once signed in here", request(prompt=("login",)), FIRST_PARTY, SESSION,
     set(), Progress(logged_in=True), PASSWORD_ALONE, Step.ISSUE),
    ("max_age exceeded", request(max_age=60), FIRST_PARTY, SESSION, set(), Progress(),
     PASSWORD_ALONE, Step.LOGIN),
    ("max_age met", request(max_age=3600), FIRST_PARTY, SESSION, set(), Progress(),
     PASSWORD_ALONE, Step.ISSUE),
    ("max_age=0", request(max_age=0), FIRST_PARTY, SESSION, set(), Progress(),
     PASSWORD_ALONE, Step.LOGIN),
    ("select_account", request(prompt=("select_account",)), FIRST_PARTY, SESSION, set(),
     Progress(), PASSWORD_ALONE, Step.SELECT_ACCOUNT),
    ("select_account chosen", request(prompt=("select_account",)), FIRST_PARTY, SESSION,
     set(), Progress(account_chosen=True), PASSWORD_ALONE, Step.ISSUE),
    ("prompt=consent asks again", request(prompt=("consent",)), THIRD_PARTY, SESSION,
     GRANTED, Progress(), PASSWORD_ALONE, Step.CONSENT),
    ("prompt=consent given", request(prompt=("consent",)), THIRD_PARTY, SESSION, GRANTED,
     Progress(consented=True), PASSWORD_ALONE, Step.ISSUE),
    ("step-up: the session lacks a factor", request(acr_values="2"), FIRST_PARTY, SESSION,
     set(), Progress(), OPTIONAL, Step.FACTOR),
    ("step-up by an essential acr claim", request(claims=ESSENTIAL_MFA), FIRST_PARTY,
     SESSION, set(), Progress(), OPTIONAL, Step.FACTOR),
    ("step-up not asked, nothing enrolled", request(acr_values="1"), FIRST_PARTY, SESSION,
     set(), Progress(), OPTIONAL, Step.ISSUE),
    ("required and nothing enrolled", request(), FIRST_PARTY, None, set(),
     Progress(authenticated=PWD_DONE), REQUIRED, Step.ENROL),
    ("factors done, session started", request(), FIRST_PARTY, MFA_SESSION, set(),
     Progress(logged_in=True, authenticated=PWD_DONE), REQUIRED, Step.ISSUE),
])
def test_next_step(case, req, client, session, granted, progress, policy, step):
    enrolled = frozenset() if "nothing enrolled" in case else frozenset({"totp"})
    assert next_step(req, client, session, granted, progress, NOW, policy,
                     lambda _user: enrolled) is step, case


def test_next_step_asks_the_enrolled_methods_of_whoever_is_signing_in():
    asked = []

    def enrolled(user_id):
        asked.append(user_id)
        return {"totp"}

    step = next_step(request(), FIRST_PARTY, None, set(), Progress(authenticated=PWD_DONE),
                     NOW, OPTIONAL, enrolled)
    assert (step, asked) == (Step.FACTOR, [7]), "the person part-way through is user 7"


@pytest.mark.parametrize("case, req, session, granted, error", [
    ("no session", request(prompt=("none",)), None, set(), LoginRequiredError),
    ("too old", request(prompt=("none",), max_age=60), SESSION, GRANTED, LoginRequiredError),
    ("no consent", request(prompt=("none",)), SESSION, set(), ConsentRequiredError),
    ("step-up needed", request(prompt=("none",), acr_values="2"), SESSION, GRANTED,
     LoginRequiredError),
])
def test_prompt_none_raises_instead_of_showing_a_page(case, req, session, granted, error):
    with pytest.raises(error):
        next_step(req, THIRD_PARTY, session, granted, Progress(), NOW, OPTIONAL)
