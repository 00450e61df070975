"""Recovery codes over HTTP: generated on the account page and shown once, each signs in
once in place of the authenticator app's code, a new batch ends the old one."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.storage.models import RecoveryCode
from tests.conftest import Clock
from tests.support.browser_flow import html_of, session_cookie
from tests.support.factors import (
    account_page,
    account_post,
    enrol_on_account_page,
    post_factor,
    to_factor_page,
    tokens_after,
)
from tests.support.oauth import Pkce, World, build_world
from tests.support.sign_in_policy import set_sign_in_policy

REFUSED = "That recovery code is not correct, or it has already been used."


def codes_of(html: str) -> list[str]:
    block = re.search(r'<ul class="recovery-codes" id="recovery-codes">(.*?)</ul>', html, re.S)
    assert block, f"the page must list the new codes: {html[:500]}"
    return re.findall(r"<code>([0-9a-z]{5}-[0-9a-z]{5})</code>", block.group(1))


@pytest.fixture
def world(runtime: Runtime) -> World:
    built = build_world(runtime)
    # Second factors are set up on the account page only where the tenant asks for them.
    set_sign_in_policy(runtime, mfa="optional")
    return built


@pytest.fixture
def ann(app: Flask, world: World) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def codes(ann: FlaskClient, runtime: Runtime, clock: Clock) -> list[str]:
    """Ann set up an app and recovery codes; the tenant asks for a second factor."""
    enrol_on_account_page(ann, clock)
    generated = account_post(ann, "recovery-codes")
    assert generated.status_code == 200
    found = codes_of(html_of(generated))
    set_sign_in_policy(runtime, mfa="optional")
    return found


def test_the_account_page_shows_ten_codes_once_with_a_warning(
        ann: FlaskClient, world: World, runtime: Runtime) -> None:
    first = account_page(ann)
    assert "You have no recovery codes." in first and ">Generate recovery codes<" in first
    generated = html_of(account_post(ann, "recovery-codes"))
    shown = codes_of(generated)
    assert len(set(shown)) == 10
    assert "shown only this once" in generated and "no longer work" in generated
    later = account_page(ann)
    assert not any(code in later for code in shown), "codes are shown once only"
    assert "You have 10 unused recovery codes." in later and ">Regenerate<" in later
    with runtime.database.session() as session:
        stored = " ".join(r.code_digest for r in session.query(RecoveryCode))
    assert not any(c in stored or c.replace("-", "") in stored for c in shown)


def test_a_recovery_code_signs_in_once_in_place_of_the_app(
        app: Flask, http: FlaskClient, codes: list[str], world: World,
        ann: FlaskClient) -> None:
    pkce = Pkce()
    location, html = to_factor_page(http, pkce)
    assert "Recovery code" in html, "offered beside the authenticator app"
    done = post_factor(http, location, html, "recovery", codes[0].upper())
    assert done.status_code == 303, f"a recovery code completes sign-in: {done.status_code}"
    id_claims, _ = tokens_after(http, done, pkce, world)
    assert (id_claims["amr"], id_claims["acr"]) == (["pwd", "otp", "mfa"], "2"), id_claims
    other = app.test_client()
    location, html = to_factor_page(other, Pkce())
    again = post_factor(other, location, html, "recovery", codes[0])
    assert again.status_code == 401 and REFUSED in html_of(again)
    assert session_cookie(other) is None


def test_regenerating_makes_the_old_codes_stop_working(
        app: Flask, http: FlaskClient, codes: list[str], ann: FlaskClient) -> None:
    new = codes_of(html_of(account_post(ann, "recovery-codes")))
    assert not set(new) & set(codes)
    location, html = to_factor_page(http, Pkce())
    old = post_factor(http, location, html, "recovery", codes[1])
    assert old.status_code == 401 and REFUSED in html_of(old)
    assert post_factor(http, location, html, "recovery", new[1]).status_code == 303


def test_wrong_recovery_codes_are_throttled_after_five(
        http: FlaskClient, codes: list[str], clock: Clock) -> None:
    location, html = to_factor_page(http, Pkce())
    for n in range(5):
        assert post_factor(http, location, html, "recovery", "zzzzz-zzzzz").status_code \
            == 401, f"attempt {n + 1}"
    blocked = post_factor(http, location, html, "recovery", codes[0])
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "300"
    clock.advance(minutes=5)
    assert post_factor(http, location, html, "recovery", codes[0]).status_code == 303
