"""protocol/errors.py: fixed public descriptions, private details logged once when the error
is answered, and the shapes of the three renderings (RFC 6749 §5.2, §4.1.2.1; RFC 6750 §3)."""

from __future__ import annotations

import logging

import pytest

from authserver.protocol import errors


@pytest.mark.parametrize(("status", "code"), [
    (400, "invalid_request"), (404, "not_found"), (405, "invalid_request"),
    (413, "invalid_request"), (500, "server_error"), (503, "server_error"),
])
def test_http_failures_become_protocol_errors(status: int, code: str) -> None:
    answered, body, _ = errors.error_response(errors.http_error(status, "Why."))
    assert (answered, body) == (status, {"error": code, "error_description": "Why."})


@pytest.mark.parametrize("hostile", ["caf\u00e9", 'say"hi"', "back\\slash", "tab\there"])
def test_descriptions_keep_to_rfc6749_characters(hostile: str) -> None:
    _, body, _ = errors.error_response(errors.InvalidRequestError(hostile))
    assert all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in body["error_description"])


def test_the_detail_is_logged_when_answered_and_never_sent(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="authserver.protocol.errors")
    error = errors.InvalidScopeError("Not allowed.", detail="not allowed: secret\u202e")
    assert not caplog.records, "constructing an error must not log it"
    _, body, _ = errors.error_response(error)
    assert "secret" not in str(body)
    assert [r.getMessage() for r in caplog.records] == [
        "invalid_scope: 'not allowed: secret\\u202e'"]


@pytest.mark.parametrize(("error", "status", "header", "body"), [
    (errors.BearerTokenMissingError("Send a token."), 401, 'Bearer realm="R"',
     {"error_description": "Send a token."}),
    (errors.InvalidTokenError("Not active."), 401,
     'Bearer realm="R", error="invalid_token", error_description="Not active."',
     {"error": "invalid_token", "error_description": "Not active."}),
    (errors.InsufficientScopeError("Need openid.", scope="openid"), 403,
     'Bearer realm="R", error="insufficient_scope", error_description="Need openid.", '
     'scope="openid"', {"error": "insufficient_scope", "error_description": "Need openid."}),
])
def test_bearer_challenges(error: errors.OAuth2Error, status: int, header: str,
                           body: dict[str, str]) -> None:
    answered, sent, headers = errors.bearer_error_response(error, "R")
    assert (answered, sent) == (status, body)
    assert dict(headers) == {"WWW-Authenticate": header, "Cache-Control": "no-store"}


@pytest.mark.parametrize(("error", "params"), [
    (errors.AccessDeniedError("No."), [("error", "access_denied"), ("error_description", "No.")]),
    (errors.RequestNotSupportedError(), [("error", "request_not_supported")]),
    (errors.LoginRequiredError("x" * 400),
     [("error", "login_required"), ("error_description", "x" * 300)]),
])
def test_redirect_error_params(error: errors.OAuth2Error, params: list[tuple[str, str]]) -> None:
    assert errors.redirect_error_params(error) == params


def test_refusals_are_pages_not_protocol_errors() -> None:
    for cls in (errors.UntrustedRequest, errors.LogoutRefused):
        refusal = cls("Plain words.")
        assert isinstance(refusal, errors.RefusedRequest)
        assert not isinstance(refusal, errors.OAuth2Error)
        assert refusal.description == "Plain words."


def test_every_exported_name_exists() -> None:
    assert all(hasattr(errors, name) for name in errors.__all__)
