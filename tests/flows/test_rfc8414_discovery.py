"""RFC 8414 authorization server metadata and OpenID Connect Discovery 1.0.

Relying parties configure themselves from these documents, so every claim in them must be
true: each endpoint is a real route, each advertised capability is implemented, and
nothing weaker than what the server enforces (``plain`` PKCE, ``none`` algorithms) is
offered.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.support.oauth import ISSUER, build_world

OIDC_PATH = "/t/acme/.well-known/openid-configuration"
# RFC 8414 §3: the well-known segment goes before the issuer's path; the appended form is
# what many clients build, so both are served.
RFC8414_INSERTED = "/.well-known/oauth-authorization-server/t/acme"
RFC8414_APPENDED = "/t/acme/.well-known/oauth-authorization-server"
ALL_DOCUMENTS = (OIDC_PATH, RFC8414_INSERTED, RFC8414_APPENDED)


@pytest.fixture
def world(runtime: Runtime) -> None:
    build_world(runtime)


def document(http: FlaskClient, path: str) -> dict[str, Any]:
    response = http.get(path)
    assert response.status_code == 200, f"{path} must be served, got {response.status_code}"
    assert response.mimetype == "application/json", f"{path} must be JSON"
    body: dict[str, Any] = response.get_json()
    return body


def local_path(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://127.0.0.1:8000", (
        f"endpoint {url} is not on the issuer's origin")
    return parts.path


@pytest.mark.parametrize("path", ALL_DOCUMENTS)
def test_every_document_names_the_tenant_issuer_exactly(
    world: None, http: FlaskClient, path: str
) -> None:
    # RFC 8414 §3.3 / Discovery §4.3: the issuer must be identical to the one requested.
    assert document(http, path)["issuer"] == ISSUER, f"{path}: wrong issuer"


def test_the_two_rfc8414_url_forms_serve_the_same_document(
    world: None, http: FlaskClient
) -> None:
    assert document(http, RFC8414_INSERTED) == document(http, RFC8414_APPENDED), (
        "both RFC 8414 URL forms must describe the same server")


def test_the_oidc_document_is_a_superset_of_the_oauth_document(
    world: None, http: FlaskClient
) -> None:
    oidc = document(http, OIDC_PATH)
    oauth = document(http, RFC8414_INSERTED)
    for key, value in oauth.items():
        assert oidc.get(key) == value, f"{key} differs between the OIDC and RFC 8414 documents"
    for key in ("userinfo_endpoint", "subject_types_supported",
                "id_token_signing_alg_values_supported", "end_session_endpoint"):
        assert key in oidc, f"OpenID Provider metadata lacks {key}"


@pytest.mark.parametrize("path", ALL_DOCUMENTS)
def test_advertised_capabilities_are_the_ones_enforced(
    world: None, http: FlaskClient, path: str
) -> None:
    doc = document(http, path)
    assert doc["code_challenge_methods_supported"] == ["S256"], "only S256 PKCE is accepted"
    assert doc["authorization_response_iss_parameter_supported"] is True, (
        "RFC 9207 iss is sent on every authorization response and must be advertised")
    assert doc["response_types_supported"] == ["code"], "implicit/hybrid are not offered"
    assert set(doc["grant_types_supported"]) == {
        "authorization_code", "client_credentials", "refresh_token"}, "grant types"
    assert "password" not in doc["grant_types_supported"], "ROPC must not be advertised"
    assert "none" not in doc["introspection_endpoint_auth_methods_supported"], (
        "introspection refuses public clients, so it must not advertise 'none'")


@pytest.mark.parametrize("path", ALL_DOCUMENTS)
def test_no_none_algorithm_is_advertised_anywhere(
    world: None, http: FlaskClient, path: str
) -> None:
    doc = document(http, path)
    alg_lists = {k: v for k, v in doc.items() if k.endswith("alg_values_supported")}
    assert alg_lists, "the signing algorithms must be advertised"
    for key, algs in alg_lists.items():
        assert algs, f"{key} is empty"
        assert not {a.lower() for a in algs} & {"none", "hs256", "hs384", "hs512"}, (
            f"{key} advertises an unacceptable algorithm: {algs}")


def test_id_token_algorithms_include_the_mandatory_rs256(world: None, http: FlaskClient) -> None:
    algs = document(http, OIDC_PATH)["id_token_signing_alg_values_supported"]
    assert "RS256" in algs, f"OIDC Discovery §3 requires RS256, got {algs}"


def test_the_jwks_uri_serves_the_keys_that_sign(world: None, http: FlaskClient) -> None:
    doc = document(http, OIDC_PATH)
    response = http.get(local_path(doc["jwks_uri"]))
    assert response.status_code == 200, "jwks_uri must resolve"
    keys = response.get_json()["keys"]
    published = {k["alg"] for k in keys}
    assert set(doc["id_token_signing_alg_values_supported"]) <= published, (
        "every advertised ID token algorithm needs a published key")
    assert all("d" not in k for k in keys), "the JWKS leaks private key material"


@pytest.mark.parametrize(("member", "method"), [
    ("authorization_endpoint", "GET"),
    ("token_endpoint", "POST"),
    ("revocation_endpoint", "POST"),
    ("introspection_endpoint", "POST"),
    ("userinfo_endpoint", "GET"),
    ("end_session_endpoint", "GET"),
    ("jwks_uri", "GET"),
])
def test_every_advertised_endpoint_is_a_real_route(
    world: None, http: FlaskClient, member: str, method: str
) -> None:
    url = document(http, OIDC_PATH)[member]
    response = http.open(local_path(url), method=method)
    assert response.status_code not in (404, 405), (
        f"{member} {url} does not resolve for {method}: {response.status_code}")
    assert response.status_code < 500, f"{member} answered {response.status_code}"


def test_unknown_tenant_has_no_metadata(world: None, http: FlaskClient) -> None:
    for path in ("/t/nope/.well-known/openid-configuration",
                 "/.well-known/oauth-authorization-server/t/nope"):
        assert http.get(path).status_code == 404, f"{path} must be 404"
