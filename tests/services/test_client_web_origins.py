"""Client registration: web origins for CORS (Fetch standard, RFC 6454) and the
application type that decides whether a loopback redirect URI's port may vary
(OIDC Registration §2, RFC 8252 §7.3)."""

from __future__ import annotations

import pytest

from authserver.runtime import Runtime
from authserver.services.clients import ClientSpec, register_client
from authserver.services.errors import InvalidInput
from authserver.services.tenants import create_tenant
from authserver.storage.repositories import AuditRepository, ClientRepository


def register(runtime: Runtime, **spec: object):  # type: ignore[no-untyped-def]
    with runtime.database.session() as session:
        tenant = create_tenant(session, runtime.master_key, runtime.key_timing, "acme", "Acme",
                               "test", runtime.clock())
        fields = {"name": "App", "redirect_uris": ("https://app.example/cb",), **spec}
        registered = register_client(ClientRepository(session, tenant.id),
                                     AuditRepository(session, tenant.id),
                                     ClientSpec(**fields), "test")  # type: ignore[arg-type]
        return registered.client.web_origins, registered.client.application_type


@pytest.mark.parametrize("origin", [
    "https://app.example", "https://app.example:8443", "http://localhost:5173",
    "http://127.0.0.1:8080", "http://[::1]:3000", "https://xn--pp-8kc.example",
])
def test_canonical_origins_are_accepted_as_given(runtime: Runtime, origin: str) -> None:
    origins, _ = register(runtime, public=True, web_origins=(origin,))
    assert origins == [origin], f"{origin} is canonical and must be stored unchanged"


@pytest.mark.parametrize(("origin", "problem"), [
    ("https://app.example/", "register 'https://app.example'"),
    ("https://App.Example", "register 'https://app.example'"),
    ("HTTPS://app.example", "register 'https://app.example'"),
    ("https://app.example:443", "register 'https://app.example'"),
    ("https://app.example/spa", "only scheme, host and port: register 'https://app.example'"),
    ("https://app.example?x=1", "only scheme, host and port: register 'https://app.example'"),
    ("http://app.example", "must use https"),
    ("https://*.app.example", "no wildcard"),
    ("https://user@app.example", "no user information"),
    ("https://app.example:99999", "invalid port"),
    ("https://app.example:0", "invalid port"),
    ("null", "is not an http(s) origin"),
    ("app.example", "is not an http(s) origin"),
    ("ftp://app.example", "is not an http(s) origin"),
    ("https://\u0430pp.example", "not ASCII"),
    ("https://app.example ", "white space"),
])
def test_non_canonical_or_unsafe_origins_are_refused_naming_the_fix(
        runtime: Runtime, origin: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        register(runtime, public=True, web_origins=(origin,))
    assert refused.value.field == "web_origin"
    assert problem in str(refused.value), f"{origin!r}: the error must say {problem!r}"


def test_repeated_origins_are_stored_once(runtime: Runtime) -> None:
    origins, _ = register(runtime, public=True,
                          web_origins=("https://app.example", "https://app.example"))
    assert origins == ["https://app.example"]


@pytest.mark.parametrize(("spec", "expected"), [
    ({}, "web"),
    ({"public": True}, "native"),
    ({"public": True, "web_origins": ("https://app.example",)}, "web"),
    ({"public": True, "application_type": "web"}, "web"),
    ({"application_type": "native"}, "native"),
])
def test_application_type_defaults(runtime: Runtime, spec: dict[str, object],
                                   expected: str) -> None:
    _, application_type = register(runtime, **spec)
    assert application_type == expected, f"{spec} must register as {expected}"


def test_a_native_app_cannot_have_web_origins(runtime: Runtime) -> None:
    with pytest.raises(InvalidInput) as refused:
        register(runtime, public=True, application_type="native",
                 web_origins=("https://app.example",))
    assert "web origins are for browser apps" in str(refused.value)


def test_an_unknown_application_type_is_refused(runtime: Runtime) -> None:
    with pytest.raises(InvalidInput) as refused:
        register(runtime, application_type="desktop")
    assert refused.value.field == "application_type"
