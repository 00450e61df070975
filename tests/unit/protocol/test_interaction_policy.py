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
    FactorPolicy,
    Level,
    Progress,
    SignedIn,
    Step,
    factors_needed,
    next_step,
)

NOW = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
TWO_LEVELS = FactorPolicy((Level("1", frozenset({"pwd"})), Level("2", frozenset({"pwd", "otp"}))))


@pytest.mark.parametrize("policy, acr_values, done, missing", [
    (PASSWORD_ALONE, None, (), {"pwd"}),
    (PASSWORD_ALONE, None, ("pwd",), set()),
    (PASSWORD_ALONE, "2 3", ("pwd",), set()),  # voluntary: unknown levels are ignored
    (TWO_LEVELS, None, ("pwd",), set()),
    (TWO_LEVELS, "2", ("pwd",), {"otp"}),
    (TWO_LEVELS, "9 2 1", ("pwd",), {"otp"}),  # the first offered level wins
    (TWO_LEVELS, "1 2", ("pwd",), set()),
    (TWO_LEVELS, "2", ("otp", "pwd"), set()),
    (TWO_LEVELS, "2", (), {"pwd", "otp"}),
])
def test_factors_needed(policy, acr_values, done, missing):
    assert factors_needed(acr_values, policy, done) == missing


def test_a_policy_needs_a_level():
    with pytest.raises(ValueError):
        FactorPolicy(())


def request(**extra):
    values = {"client_id": "web", "redirect_uri": "https://app.example/cb",
              "scope": "openid email", "state": "s", "response_mode": "query",
              "code_challenge": None, "nonce": None, **extra}
    return AuthorizationRequest(**values)


THIRD_PARTY = SimpleNamespace(first_party=False)
FIRST_PARTY = SimpleNamespace(first_party=True)
SESSION = SignedIn(1, NOW - dt.timedelta(minutes=10), ("pwd",), "1")
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
     set(), Progress(), TWO_LEVELS, Step.LOGIN),
    ("step-up not asked", request(acr_values="1"), FIRST_PARTY, SESSION, set(), Progress(),
     TWO_LEVELS, Step.ISSUE),
])
def test_next_step(case, req, client, session, granted, progress, policy, step):
    assert next_step(req, client, session, granted, progress, NOW, policy) is step, case


@pytest.mark.parametrize("case, req, session, granted, error", [
    ("no session", request(prompt=("none",)), None, set(), LoginRequiredError),
    ("too old", request(prompt=("none",), max_age=60), SESSION, GRANTED, LoginRequiredError),
    ("no consent", request(prompt=("none",)), SESSION, set(), ConsentRequiredError),
])
def test_prompt_none_raises_instead_of_showing_a_page(case, req, session, granted, error):
    with pytest.raises(error):
        next_step(req, THIRD_PARTY, session, granted, Progress(), NOW)
