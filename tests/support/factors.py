"""Helpers for tests of the TOTP and recovery-code factors: a tenant and a user to enrol,
and the code an authenticator app would show at a given time."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from authserver.runtime import Runtime
from authserver.services import totp_codes
from authserver.services.authn import Submission
from authserver.services.totp_enrolment import TotpEnrolment
from authserver.storage.models import User
from tests.conftest import Clock
from tests.support.browser_flow import (
    authorize,
    html_of,
    page_after,
    redirected_to_client,
    submit,
)
from tests.support.oauth import (
    ISSUER_PATH,
    REDIRECT,
    Pkce,
    World,
    authorize_params,
    build_world,
    csrf_of,
    exchange,
    sign_in,
)
from tests.support.tokens import verify_jwt


@dataclass
class Person:
    world: World
    tenant_id: int
    user_id: int


def a_person(runtime: Runtime) -> Person:
    world = build_world(runtime)
    with runtime.database.session() as session:
        user = session.query(User).filter_by(email=world.user_email).one()
        return Person(world, user.tenant_id, user.id)


def enrolment(runtime: Runtime, person: Person) -> TotpEnrolment:
    return TotpEnrolment(runtime.database, runtime.master_key, runtime.throttle,
                         person.tenant_id)


def app_code(seed: str, at: dt.datetime, steps: int = 0) -> str:
    """What the app shows at ``at``, ``steps`` time steps later (negative: earlier)."""
    return totp_codes.code_at(seed, totp_codes.current_step(at) + steps)


def code_submission(person: Person, code: str, now: dt.datetime,
                    source: str = "192.0.2.1") -> Submission:
    return Submission({"code": code}, source, None, now, user_id=person.user_id,
                      attempt="uid-1")


# --- over HTTP: the account page and the sign-in pages, as a browser uses them -----------

ACCOUNT = f"{ISSUER_PATH}/account"


def account_page(http: FlaskClient) -> str:
    """The account page's HTML, signing in with the password first when needed."""
    page = http.get(ACCOUNT)
    if page.status_code == 303:
        done = sign_in(http, page.headers["Location"])
        assert done.status_code == 303 and done.headers["Location"].endswith(ACCOUNT), \
            f"signing in for the account page should come back to it: {done.headers}"
        page = http.get(ACCOUNT)
    assert page.status_code == 200, f"account page answered {page.status_code}"
    return html_of(page)


def account_post(http: FlaskClient, path: str, **fields: str) -> TestResponse:
    html = account_page(http)
    return http.post(f"{ACCOUNT}/{path}", data={"csrf_token": csrf_of(html), **fields})


def shown_secret(html: str) -> str:
    """The key the page shows for typing into an app, without its spaces."""
    match = re.search(r'<code class="totp-secret" id="totp-secret">([A-Z2-7 ]+)</code>', html)
    assert match, f"the page must show the new key as text: {html[:500]}"
    return match.group(1).replace(" ", "")


def enrol_on_account_page(http: FlaskClient, clock: Clock) -> str:
    """Set up an authenticator app on the account page; returns its seed. The clock then
    moves to the next step, so the confirming code is not the next one asked."""
    begun = account_post(http, "totp/begin")
    assert begun.status_code == 200, f"setting up answered {begun.status_code}"
    html = html_of(begun)
    assert "<svg" in html, "the page shows the QR code"
    seed = shown_secret(html)
    done = http.post(f"{ACCOUNT}/totp/confirm", data={
        "csrf_token": csrf_of(html), "code": app_code(seed, clock())})
    assert done.status_code == 200 and "Your authenticator app is set up" in html_of(done), \
        f"confirming answered {done.status_code}: {html_of(done)[:500]}"
    clock.advance(seconds=30)
    return seed


def to_factor_page(http: FlaskClient, pkce: Pkce, **extra: str) -> tuple[str, str]:
    """Authorize, sign in with the password; (factor page URL, its HTML)."""
    location, _ = page_after(http, authorize(http, authorize_params(pkce=pkce, **extra)))
    after = sign_in(http, location)
    assert after.status_code == 303, f"password accepted, got {after.status_code}"
    page = http.get(after.headers["Location"])
    assert page.status_code == 200, f"factor page answered {page.status_code}"
    return after.headers["Location"], html_of(page)


def post_factor(http: FlaskClient, location: str, html: str, method: str,
                code: str) -> TestResponse:
    action = f"{location}/factor/{method}"
    assert f'action="{action}"' in html, f"the page must offer {method}: {html[:800]}"
    return http.post(action, data={"csrf_token": csrf_of(html), "code": code})


def tokens_after(http: FlaskClient, response: TestResponse, pkce: Pkce,
                 world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """From the response that completed sign-in to the ID and access tokens' claims."""
    _, consent = page_after(http, response)
    query = redirected_to_client(submit(http, consent, action="approve"), REDIRECT, 303)
    tokens = exchange(http, query["code"], pkce, secret=world.web_secret).get_json()
    return verify_jwt(http, tokens["id_token"])[1], verify_jwt(http, tokens["access_token"])[1]
