"""NUL characters in form posts, whatever the body's content type. NUL is never valid in
anything we read, and PostgreSQL text columns cannot hold it: a sign-in form sent as
``multipart/form-data`` with a NUL in the identifier used to reach the user lookup and
answer 500 on PostgreSQL. Every form field name and value, and every uploaded file's
name, is checked before any view runs: 400 with a plain message."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.support.browser_flow import authorize, page_after, page_kind
from tests.support.hostile import assert_handled
from tests.support.oauth import PASSWORD, Pkce, authorize_params, build_world, csrf_of, form_action


@pytest.fixture
def login(runtime: Runtime, http: FlaskClient) -> tuple[str, str]:
    """(the login form's action, its CSRF token)."""
    build_world(runtime)
    _, html = page_after(http, authorize(http, authorize_params(pkce=Pkce())))
    assert page_kind(html) == "login", f"expected the login page: {html[:200]}"
    return form_action(html), csrf_of(html)


def _fields(csrf: str, **changes: Any) -> dict[str, Any]:
    return {"csrf_token": csrf, "identifier": "ann@example.com", "password": PASSWORD,
            "action": "login", **changes}


def assert_nul_refused(response: Any, caplog: pytest.LogCaptureFixture, what: str) -> None:
    assert_handled(response, caplog, what)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "NUL character" in body, (
        f"{what}: expected 400 refusing the NUL, got {response.status_code}: {body[:200]}")


@pytest.mark.parametrize("content_type", ["multipart/form-data",
                                          "application/x-www-form-urlencoded"])
@pytest.mark.parametrize("field", ["identifier", "password", "csrf_token"])
def test_a_nul_in_a_sign_in_field_is_refused(
        http: FlaskClient, login: tuple[str, str], caplog: pytest.LogCaptureFixture,
        content_type: str, field: str) -> None:
    action, csrf = login
    fields = _fields(csrf)
    fields[field] = fields[field][:3] + "\x00" + fields[field][3:]
    response = http.post(action, data=fields, content_type=content_type)
    assert_nul_refused(response, caplog, f"NUL in {field}, {content_type}")


def test_a_nul_in_a_multipart_field_name_is_refused(
        http: FlaskClient, login: tuple[str, str], caplog: pytest.LogCaptureFixture) -> None:
    action, csrf = login
    response = http.post(action, data=_fields(csrf, **{"x\x00y": "1"}),
                         content_type="multipart/form-data")
    assert_nul_refused(response, caplog, "NUL in a multipart field name")


def test_a_nul_in_an_uploaded_file_name_is_refused(
        http: FlaskClient, login: tuple[str, str], caplog: pytest.LogCaptureFixture) -> None:
    action, csrf = login
    upload = (io.BytesIO(b"content"), "a\x00b.txt")
    response = http.post(action, data=_fields(csrf, attachment=upload),
                         content_type="multipart/form-data")
    assert_nul_refused(response, caplog, "NUL in an uploaded file's name")


def test_a_multipart_sign_in_without_nul_still_signs_in(
        http: FlaskClient, login: tuple[str, str]) -> None:
    action, csrf = login
    response = http.post(action, data=_fields(csrf), content_type="multipart/form-data")
    assert response.status_code in (302, 303), (
        f"a clean multipart sign-in must work as before: {response.status_code} "
        f"{response.get_data(as_text=True)[:200]}")
