"""The registry is the one list of grant types and client authentication methods: the token
server registers exactly these, discovery advertises exactly these (RFC 8414 §2), and client
registration accepts exactly these (RFC 7591 §2). Table tests, no database, no Flask."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from authserver.protocol import registry
from authserver.protocol.errors import UnsupportedGrantTypeError
from authserver.protocol.metadata import metadata
from authserver.protocol.server import FormRequest, TokenServer
from authserver.services import clients as client_service

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _server() -> TokenServer:
    ctx: Any = SimpleNamespace(
        issuer="https://as.example/t/acme", token_endpoint="https://as.example/t/acme/token",
        replay_guard=None, clock=lambda: NOW, client_assertion_max_lifetime=dt.timedelta(hours=1),
        clients=SimpleNamespace(get=lambda _client_id: None), client_throttle=None)
    return TokenServer(ctx)


def _request(grant_type: str) -> FormRequest:
    return FormRequest("POST", "https://as.example/t/acme/token", {}, {"grant_type": grant_type})


@pytest.mark.parametrize("grant", registry.GRANT_TYPES, ids=lambda g: g.name)
def test_each_grant_class_answers_the_grant_type_it_is_listed_under(
        grant: registry.GrantType) -> None:
    assert grant.name == grant.grant_class.GRANT_TYPE


@pytest.mark.parametrize("grant", registry.GRANT_TYPES, ids=lambda g: g.name)
def test_the_token_server_dispatches_each_grant_type_with_the_registry_auth_methods(
        grant: registry.GrantType) -> None:
    handler = _server().get_token_grant(_request(grant.name))
    assert type(handler) is grant.grant_class
    assert list(grant.auth_methods) == handler.TOKEN_ENDPOINT_AUTH_METHODS


def test_a_grant_type_not_in_the_registry_is_unsupported() -> None:
    with pytest.raises(UnsupportedGrantTypeError):
        _server().get_token_grant(_request("password"))


@pytest.mark.parametrize(("name", "methods"), [
    ("authorization_code", ("client_secret_basic", "client_secret_post", "private_key_jwt",
                            "none")),
    # RFC 6749 §4.4: only confidential clients.
    ("client_credentials", ("client_secret_basic", "client_secret_post", "private_key_jwt")),
    ("refresh_token", ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")),
])
def test_which_auth_methods_each_grant_takes(name: str, methods: tuple[str, ...]) -> None:
    grant = registry.grant_type(name)
    assert grant is not None
    assert grant.auth_methods == methods


@pytest.mark.parametrize(("method", "confidential", "secret", "key_set"), [
    ("client_secret_basic", True, True, False),
    ("client_secret_post", True, True, False),
    ("private_key_jwt", True, False, True),
    ("none", False, False, False),
])
def test_what_each_auth_method_proves(method: str, confidential: bool, secret: bool,
                                      key_set: bool) -> None:
    assert (method in registry.CONFIDENTIAL_AUTH_METHODS) is confidential
    assert (method in registry.SECRET_AUTH_METHODS) is secret
    assert (method in registry.KEY_SET_AUTH_METHODS) is key_set


@pytest.mark.parametrize("openid", [True, False])
def test_discovery_advertises_exactly_the_registry(openid: bool) -> None:
    doc = metadata("https://as.example/t/acme", ["RS256"], openid)
    assert doc["grant_types_supported"] == list(registry.GRANT_TYPE_NAMES)
    assert doc["token_endpoint_auth_methods_supported"] == list(registry.AUTH_METHODS)
    assert doc["revocation_endpoint_auth_methods_supported"] == list(registry.AUTH_METHODS)
    assert doc["introspection_endpoint_auth_methods_supported"] == list(
        registry.CONFIDENTIAL_AUTH_METHODS)


def test_client_registration_accepts_exactly_the_registry() -> None:
    assert client_service.GRANT_TYPES == registry.GRANT_TYPE_NAMES
    assert client_service.AUTH_METHODS == registry.AUTH_METHODS
    assert client_service.SECRET_METHODS == registry.SECRET_AUTH_METHODS


@pytest.mark.parametrize(("grants", "public", "redirect", "problem"), [
    (["authorization_code", "refresh_token"], False, True, None),
    (["authorization_code"], True, True, None),
    (["client_credentials"], False, False, None),
    (["password"], False, True,
     ("grant_type", "'password' is not supported; use authorization_code, client_credentials, "
                    "refresh_token")),
    (["client_credentials", "password"], True, False,
     ("grant_type", "'password' is not supported; use authorization_code, client_credentials, "
                    "refresh_token")),
    (["client_credentials"], True, False,
     ("grant_type", "public clients cannot use client_credentials")),
    (["refresh_token"], False, True,
     ("grant_type", "refresh_token needs authorization_code: refresh tokens are only issued "
                    "from a code exchange")),
    (["client_credentials", "refresh_token"], True, True,
     ("grant_type", "public clients cannot use client_credentials")),
    (["authorization_code"], False, False,
     ("redirect_uri", "authorization_code clients need a redirect URI")),
    (["refresh_token"], False, False,
     ("grant_type", "refresh_token needs authorization_code: refresh tokens are only issued "
                    "from a code exchange")),
])
def test_which_grant_type_combinations_a_client_may_register(
        grants: list[str], public: bool, redirect: bool,
        problem: tuple[str, str] | None) -> None:
    assert registry.grant_types_problem(grants, public=public,
                                        has_redirect_uri=redirect) == problem
