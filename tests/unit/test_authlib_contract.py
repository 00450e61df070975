"""What authserver relies on in Authlib beyond its documented API, one test per reliance.

setup.cfg caps Authlib below its next major; a minor release may still change these. Each
failure names the module of ours that depends on the behaviour, so an upgrade that breaks
one says where to look.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Any

import pytest
from authlib.oauth2.rfc6749 import AuthorizationServer, grants
from authlib.oauth2.rfc6749 import errors as authlib_errors
from authlib.oauth2.rfc6749.authenticate_client import ClientAuthentication
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload, OAuth2Request

from authserver.protocol.server import FormRequest

URI = "https://as.example/t/acme/token"


def _form_request(form: dict[str, str]) -> FormRequest:
    return FormRequest("POST", URI, {}, form)


def test_form_request_sets_every_attribute_oauth2request_init_sets() -> None:
    real = OAuth2Request("POST", URI, headers={})
    ours = _form_request({})
    missing = set(vars(real)) - set(vars(ours))
    assert not missing, (
        f"protocol/server.py FormRequest skips OAuth2Request.__init__ and must set what it "
        f"sets; Authlib now also sets {sorted(missing)}")


def test_request_scope_reads_and_writes_the_private_scope_attribute() -> None:
    request = _form_request({"scope": "a b"})
    assert request.scope == "a b", "OAuth2Request.scope no longer falls back to payload.scope"
    request.scope = "a"
    assert request._scope == "a" and request.scope == "a", (
        "protocol/server.py FormRequest initialises OAuth2Request._scope, and the grants "
        "(protocol/grants/*.py) narrow request.scope: the setter must still store it there")


def test_basic_payload_exposes_the_form_fields() -> None:
    payload = BasicOAuth2Payload({"grant_type": "x", "scope": "s", "client_id": "c"})
    assert (payload.grant_type, payload.scope, payload.client_id) == ("x", "s", "c"), (
        "protocol/server.py FormRequest builds its payload as BasicOAuth2Payload(form)")


class _Server(AuthorizationServer):
    def __init__(self) -> None:
        super().__init__()
        self.methods_seen: list[list[str]] = []

    def query_client(self, client_id: str) -> None:
        return None

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def authenticate_client(self, request: Any, methods: list[str],
                            endpoint: str = "token") -> Any:
        self.methods_seen.append(methods)
        return SimpleNamespace(check_grant_type=lambda _grant_type: True)


def test_register_grant_applies_extensions_to_each_grant_it_creates() -> None:
    server = _Server()
    seen: list[Any] = []
    server.register_grant(grants.ClientCredentialsGrant, [seen.append])
    grant = server.get_token_grant(_form_request({"grant_type": "client_credentials"}))
    assert seen == [grant], (
        "protocol/server.py hands each grant the registry's auth methods through "
        "register_grant(..., extensions): Authlib must call them with the new grant")


def test_grants_authenticate_with_the_instance_token_endpoint_auth_methods() -> None:
    server = _Server()
    grant = grants.ClientCredentialsGrant(_form_request({}), server)
    grant.TOKEN_ENDPOINT_AUTH_METHODS = ["private_key_jwt"]
    grant.authenticate_token_endpoint_client()
    assert server.methods_seen == [["private_key_jwt"]], (
        "protocol/server.py sets TOKEN_ENDPOINT_AUTH_METHODS on each grant instance; "
        "BaseGrant.authenticate_token_endpoint_client must read it from self")


def test_refresh_token_grant_still_has_validate_request_client() -> None:
    server = _Server()
    grant = grants.RefreshTokenGrant(_form_request({}), server)
    assert callable(getattr(grant, "_validate_request_client", None)), (
        "protocol/grants/refresh_token.py calls RefreshTokenGrant._validate_request_client")
    client = grant._validate_request_client()
    assert server.methods_seen == [grant.TOKEN_ENDPOINT_AUTH_METHODS] and client is not None


def test_code_grant_validation_queries_the_code_and_keeps_it_on_the_request() -> None:
    server = _Server()
    record = SimpleNamespace(get_redirect_uri=lambda: "https://rp.example/cb")
    queried: list[tuple[str, Any]] = []

    class Grant(grants.AuthorizationCodeGrant):
        def query_authorization_code(self, code: str, client: Any) -> Any:
            queried.append((code, client))
            return record

    request = _form_request({"code": "c1", "redirect_uri": "https://rp.example/cb"})
    Grant(request, server).validate_token_request()
    assert [code for code, _ in queried] == ["c1"] and request.authorization_code is record, (
        "protocol/grants/authorization_code.py burns the code in query_authorization_code "
        "and reads request.authorization_code afterwards")
    request = _form_request({"code": "c2", "redirect_uri": "https://evil.example/cb"})
    with pytest.raises(authlib_errors.InvalidGrantError):
        Grant(request, server).validate_token_request()


def test_oauth2_error_refuses_descriptions_outside_rfc6749_characters() -> None:
    with pytest.raises(ValueError):
        authlib_errors.InvalidRequestError('say "hi"')
    # protocol/errors.py public_description exists because of this refusal; if Authlib
    # stops refusing, the safety net is still right, but this note becomes stale.


def test_invalid_client_with_401_carries_a_basic_challenge() -> None:
    status, _body, headers = authlib_errors.InvalidClientError(status_code=401)()
    assert status == 401 and any(
        name == "WWW-Authenticate" and value.startswith("Basic") for name, value in headers), (
        "protocol/server.py relies on InvalidClientError(status_code=401) adding the "
        "RFC 6749 §5.2 Basic challenge")


def test_client_authentication_builtins_and_signature() -> None:
    builtins = set(ClientAuthentication(lambda _client_id: None)._methods)
    assert {"none", "client_secret_basic", "client_secret_post"} <= builtins, (
        "protocol/registry.py lists these methods and only registers private_key_jwt "
        "itself (protocol/server.py): Authlib must still provide the other three")
    params = list(inspect.signature(AuthorizationServer.authenticate_client).parameters)
    assert params == ["self", "request", "methods", "endpoint"], (
        "protocol/server.py TokenServer.authenticate_client overrides this signature")


def test_unknown_grant_types_raise_authlibs_unsupported_grant_type() -> None:
    with pytest.raises(authlib_errors.UnsupportedGrantTypeError):
        _Server().get_token_grant(_form_request({"grant_type": "password"}))
    # protocol/server.py TokenServer.get_token_grant catches exactly this to answer with
    # its own description.


def test_create_token_response_goes_through_the_hooks_we_override() -> None:
    calls: list[str] = []

    class Server(_Server):
        def create_oauth2_request(self, request: Any) -> Any:
            calls.append("create_oauth2_request")
            return request

        def handle_error_response(self, request: Any, error: Any) -> Any:
            calls.append("handle_error_response")
            return error.error

    result = Server().create_token_response(_form_request({"grant_type": "password"}))
    assert result == "unsupported_grant_type" and calls == [
        "create_oauth2_request", "handle_error_response"], (
        "protocol/server.py renders every token error in handle_error_response and passes "
        "its FormRequest through create_oauth2_request")
