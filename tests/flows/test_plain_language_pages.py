"""The pages a person meets outside a sign-in: the root page, 404 and 405 pages, the
sign-out page without a session, and the account chooser. Each says what happened in
plain words; API clients asking for JSON still get JSON."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime, build_runtime
from authserver.settings import Settings
from tests.support.browser_flow import add_user, authorize, html_of, page_after
from tests.support.oauth import (
    ISSUER_PATH,
    Pkce,
    authorize_params,
    build_world,
    csrf_of,
    form_action,
    obtain_code,
    sign_in,
)

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # what browsers send
NOT_SENT_BACK = "you were not sent back to the application"


@pytest.fixture
def world(runtime: Runtime):  # type: ignore[no-untyped-def]
    return build_world(runtime)


def test_the_root_page_says_what_this_server_is_and_links_the_demo_rp(http: FlaskClient
                                                                       ) -> None:
    response = http.get("/", headers=HTML)
    assert response.status_code == 200
    html = html_of(response)
    assert "This is an OAuth 2.0 and OpenID Connect authorization server." in " ".join(
        html.split())
    assert '<a href="/demo-rp/">demo relying party</a>' in html
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_the_root_page_has_no_demo_link_in_production(settings: Settings, database) -> None:  # type: ignore[no-untyped-def]
    from authserver import create_app

    runtime = build_runtime(dataclasses.replace(settings, env="production",
                                                public_url="https://id.example"),
                            database=database)
    response = create_app(runtime=runtime).test_client().get("/", headers=HTML,
                                                            base_url="https://id.example")
    assert response.status_code == 200
    assert "authorization server" in html_of(response)
    assert "demo" not in html_of(response).lower(), "production must not mention the demo"


@pytest.mark.parametrize("path", ["/t/nope/authorize", "/t/nope/jwks", "/nothing/here"])
def test_a_missing_page_is_a_plain_404_page_for_browsers(http: FlaskClient, path: str) -> None:
    response = http.get(path, headers=HTML)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = html_of(response)
    assert "<h1>Page not found</h1>" in html, html
    assert ("There is nothing at this address. Check the link, or go back to the application "
            "you came from and start again.") in html
    assert "requested URL was not found" not in html, "no Werkzeug developer text"
    assert NOT_SENT_BACK not in html, "a 404 is not a refused authorization request"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_wrong_method_is_a_plain_405_page_for_browsers(http: FlaskClient, world) -> None:  # type: ignore[no-untyped-def]
    response = http.post(f"{ISSUER_PATH}/jwks", headers=HTML)
    assert response.status_code == 405
    html = html_of(response)
    assert "<h1>This page can\u2019t be used that way</h1>" in html, html
    assert NOT_SENT_BACK not in html


def test_api_clients_still_get_json_errors(http: FlaskClient) -> None:
    response = http.get("/t/nope/jwks", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_logout_without_a_session_says_so_and_closes(http: FlaskClient, world) -> None:  # type: ignore[no-untyped-def]
    response = http.get(f"{ISSUER_PATH}/logout", headers=HTML)
    assert response.status_code == 200
    html = html_of(response)
    assert "<h1>You are not signed in</h1>" in html, html
    assert "Sign out?" not in html
    assert "<button" not in html, "there is nothing to confirm"
    assert "You can close this window." in html


def test_logout_without_a_session_offers_the_way_back_to_a_registered_uri(
        http: FlaskClient, world) -> None:  # type: ignore[no-untyped-def]
    query = urlencode({"client_id": "web", "post_logout_redirect_uri": "https://app.example/bye",
                       "state": "s1"})
    page = http.get(f"{ISSUER_PATH}/logout?{query}", headers=HTML)
    html = html_of(page)
    assert "<h1>You are not signed in</h1>" in html, html
    assert "you are already signed out of Web." in html
    assert '<button type="submit" name="action" value="return" class="primary">Back to Web' \
        in html
    logout_id = html.split('name="logout_id" value="', 1)[1].split('"', 1)[0]
    back = http.post(form_action(html), data={"csrf_token": csrf_of(html),
                                              "logout_id": logout_id, "action": "return"})
    assert back.status_code == 303
    assert back.headers["Location"] == "https://app.example/bye?state=s1"


def test_the_account_chooser_shows_the_name_once_and_the_email_once(http: FlaskClient,
                                                                     world) -> None:  # type: ignore[no-untyped-def]
    obtain_code(http, authorize_params(pkce=Pkce()))
    _, html = page_after(http, authorize(http, authorize_params(pkce=Pkce(),
                                                                prompt="select_account")))
    button = html.split('value="continue"', 1)[1].split("</button>", 1)[0]
    assert " ".join(button.split()) == \
        'class="primary"> Continue as Ann Lee<span class="sub">ann@example.com</span>'


def test_the_account_chooser_shows_an_unnamed_account_s_email_once(
        http: FlaskClient, runtime: Runtime, world) -> None:  # type: ignore[no-untyped-def]
    add_user(runtime, "bob@example.com")
    signed_in = sign_in(http, authorize(http, authorize_params(pkce=Pkce())).headers["Location"],
                        identifier="bob@example.com")
    assert signed_in.status_code in (302, 303), html_of(signed_in)[:300]
    _, html = page_after(http, authorize(http, authorize_params(pkce=Pkce(),
                                                                prompt="select_account")))
    assert html.count("bob@example.com") == 1, html
